#include "monitor/ima/entry_writer.h"

#include <algorithm>

#include "monitor/ima/binary_reader.h"
#include "monitor/ima/hash.h"
#include "monitor/ima/pcr_values.h"

namespace imawatch::ima {
namespace {

void PutU32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void PutField(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) {
  PutU32(out, static_cast<uint32_t>(bytes.size()));
  out.insert(out.end(), bytes.begin(), bytes.end());
}

}  // namespace

std::string_view Name(WritableTemplate t) {
  switch (t) {
    case WritableTemplate::kImaNg:
      return "ima-ng";
    case WritableTemplate::kImaSig:
      return "ima-sig";
    case WritableTemplate::kEvmSig:
      return "evm-sig";
  }
  return "?";
}

std::optional<WritableTemplate> WritableTemplateFromName(std::string_view name) {
  for (auto t : {WritableTemplate::kImaNg, WritableTemplate::kImaSig, WritableTemplate::kEvmSig}) {
    if (Name(t) == name) return t;
  }
  return std::nullopt;
}

Result<EncodedEntry> EncodeEntry(WritableTemplate t, const MeasurementRecord& record) {
  if (record.pcr > kMaxPcrIndex) return InvalidInput("PCR " + std::to_string(record.pcr) + " is not 0..23");
  const size_t digest_size = DigestSize(record.algo);
  if (!record.violation && record.digest.size() != digest_size) {
    return InvalidInput(record.path + ": a " + std::to_string(record.digest.size()) + "-byte digest for " +
                        std::string(Name(record.algo)));
  }
  if (record.path.empty()) return InvalidInput("an entry needs a file name");

  std::vector<uint8_t> data;
  const std::string_view algo = Name(record.algo);
  PutU32(data, static_cast<uint32_t>(algo.size() + 2 + digest_size));
  data.insert(data.end(), algo.begin(), algo.end());
  data.push_back(':');
  data.push_back(0);
  const size_t digest_in_data = data.size();
  if (record.violation) {
    data.insert(data.end(), digest_size, 0);
  } else {
    data.insert(data.end(), record.digest.begin(), record.digest.end());
  }
  PutU32(data, static_cast<uint32_t>(record.path.size() + 1));
  data.insert(data.end(), record.path.begin(), record.path.end());
  data.push_back(0);
  switch (t) {
    case WritableTemplate::kImaNg:
      break;
    case WritableTemplate::kImaSig:
      PutField(data, record.violation ? std::span<const uint8_t>() : std::span(record.signature));
      break;
    case WritableTemplate::kEvmSig: {
      PutField(data, record.violation ? std::span<const uint8_t>() : std::span(record.evm_signature));
      for (int i = 0; i < 3; ++i) PutField(data, {});  // no EVM-protected xattrs recorded
      if (record.no_inode) {
        for (int i = 0; i < 3; ++i) PutField(data, {});
      } else {
        PutU32(data, 4);
        PutU32(data, record.uid);
        PutU32(data, 4);
        PutU32(data, record.gid);
        PutU32(data, 2);
        data.push_back(static_cast<uint8_t>(record.mode));
        data.push_back(static_cast<uint8_t>(record.mode >> 8));
      }
      break;
    }
  }
  if (data.size() > kMaxTemplateDataLength) return InvalidInput(record.path + ": template data too large");

  EncodedEntry e{.pcr = record.pcr, .violation = record.violation};
  const std::string_view name = Name(t);
  PutU32(e.bytes, record.pcr);
  const size_t digest_at = e.bytes.size();
  e.bytes.insert(e.bytes.end(), 20, 0);
  if (!record.violation) Hash(HashAlgo::kSha1, {data}, e.bytes.data() + digest_at);
  PutU32(e.bytes, static_cast<uint32_t>(name.size()));
  e.bytes.insert(e.bytes.end(), name.begin(), name.end());
  PutU32(e.bytes, static_cast<uint32_t>(data.size()));
  e.template_data_offset = e.bytes.size();
  e.file_digest_offset = e.template_data_offset + digest_in_data;
  e.bytes.insert(e.bytes.end(), data.begin(), data.end());
  return e;
}

Digest ExtendDigest(const EncodedEntry& entry, HashAlgo bank, bool padded_sha1) {
  if (entry.violation) return Digest::Filled(bank, 0xff);
  Digest out = Digest::Zero(bank);
  if (padded_sha1 && bank != HashAlgo::kSha1) {
    std::copy_n(entry.bytes.begin() + 4, 20, out.bytes.begin());  // the logged SHA1 template digest
    return out;
  }
  Hash(bank, {entry.template_data()}, out.bytes.data());
  return out;
}

}  // namespace imawatch::ima
