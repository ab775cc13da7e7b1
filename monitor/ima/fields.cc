#include "monitor/ima/fields.h"

namespace imawatch::ima {

std::optional<FileDigest> DecodeDigestField(FieldFormat format, Bytes data) {
  FileDigest fd;
  if (format == FieldFormat::kDigest) {
    fd.digest = data;
    fd.algo = data.size() == 20   ? std::optional(HashAlgo::kSha1)
              : data.size() == 16 ? std::optional(HashAlgo::kMd5)
                                  : std::nullopt;
    if (fd.algo) fd.algo_name = Name(*fd.algo);
    return fd;
  }
  // As the kernel renders it: the text up to the NUL, the digest after the last ':' and the NUL.
  std::string_view text = AsString(data);
  if (text.size() == data.size()) return std::nullopt;  // no NUL terminator
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 != text.size()) return std::nullopt;
  fd.prefix = text;
  std::string_view names = text.substr(0, colon);
  if (format == FieldFormat::kDigestWithTypeAndAlgo) {
    size_t sep = names.find(':');
    if (sep == std::string_view::npos) return std::nullopt;
    fd.type = names.substr(0, sep);
    names = names.substr(sep + 1);
  }
  fd.algo_name = names;
  fd.algo = HashAlgoFromName(names);
  fd.digest = data.subspan(text.size() + 1);
  return fd;
}

std::optional<FileDigest> FileDigestOf(const EntryView& entry) {
  for (FieldId id : {FieldId::kDNgV2, FieldId::kDNg, FieldId::kD}) {
    int i = entry.descriptor->FieldIndex(id);
    if (i >= 0) return DecodeDigestField(Info(id).format, entry.fields[static_cast<size_t>(i)]);
  }
  return std::nullopt;
}

std::string_view FileNameOf(const EntryView& entry) {
  for (FieldId id : {FieldId::kNNg, FieldId::kN}) {
    int i = entry.descriptor->FieldIndex(id);
    if (i >= 0) return AsString(entry.fields[static_cast<size_t>(i)]);
  }
  return {};
}

std::optional<uint64_t> DecodeUint(Bytes data, bool big_endian) {
  if (data.size() != 1 && data.size() != 2 && data.size() != 4 && data.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    size_t at = big_endian ? i : data.size() - 1 - i;
    v = v << 8 | data[at];
  }
  return v;
}

}  // namespace imawatch::ima
