// Typed access to an entry's template fields, for renderers and for appraisal.
#pragma once

#include <optional>
#include <string_view>

#include "monitor/ima/entry.h"
#include "monitor/ima/hash_algo.h"

namespace imawatch::ima {

// A d, d-ng, d-ngv2 or d-modsig field: "[<type>:]<algo>:\0" + digest, or a bare digest for 'd'.
struct FileDigest {
  std::string_view prefix;     // "sha256:" / "ima:sha256:" as logged (empty for 'd')
  std::string_view type;       // "ima" or "verity" for d-ngv2, empty otherwise
  std::string_view algo_name;  // "sha256"; "sha1" for a bare 'd' of 20 bytes
  std::optional<HashAlgo> algo;
  Bytes digest;
};

std::optional<FileDigest> DecodeDigestField(FieldFormat format, Bytes data);
// The entry's file digest from d-ngv2, d-ng or d (first present).
std::optional<FileDigest> FileDigestOf(const EntryView& entry);
// n-ng or n, up to the first NUL.
std::string_view FileNameOf(const EntryView& entry);
// A 1, 2, 4 or 8-byte integer field (iuid, igid, imode) in the list's byte order.
std::optional<uint64_t> DecodeUint(Bytes data, bool big_endian);
inline std::string_view AsString(Bytes data) {
  std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
  return s.substr(0, s.find('\0'));
}

}  // namespace imawatch::ima
