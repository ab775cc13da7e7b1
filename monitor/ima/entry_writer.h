// Encodes measurement-list entries in the kernel's binary format (>= 5.8, ima_canonical_fmt:
// little-endian), for the node simulator. The reader never depends on it: its tests check it
// against tests/testing/ima_log_builder, an independent encoder.
//
// ima-ng, ima-sig and evm-sig: d-ng ("<algo>:\0" + digest), n-ng (name + NUL), then sig, or
// evmsig + xattrnames/lengths/values (empty) + iuid/igid (u32) + imode (u16). boot_aggregate
// has no inode: its evm-sig inode fields are empty. A violation is logged with a zero file
// digest and an all-zero template digest, and extends every bank with all-0xFF.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"
#include "monitor/ima/digest.h"
#include "monitor/ima/hash_algo.h"

namespace imawatch::ima {

enum class WritableTemplate { kImaNg, kImaSig, kEvmSig };
std::string_view Name(WritableTemplate t);
std::optional<WritableTemplate> WritableTemplateFromName(std::string_view name);

struct MeasurementRecord {
  std::string path;
  HashAlgo algo = HashAlgo::kSha256;
  std::vector<uint8_t> digest;  // DigestSize(algo) bytes; ignored for a violation
  uint32_t pcr = 10;
  bool violation = false;
  bool no_inode = false;               // boot_aggregate: evm-sig inode fields left empty
  std::vector<uint8_t> signature;      // ima-sig: security.ima
  std::vector<uint8_t> evm_signature;  // evm-sig: evmsig
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint16_t mode = 0100644;
};

struct EncodedEntry {
  std::vector<uint8_t> bytes;       // the entry as it appears in binary_runtime_measurements
  size_t template_data_offset = 0;  // of the template data within bytes
  size_t file_digest_offset = 0;    // of the file digest bytes within bytes
  uint32_t pcr = 10;
  bool violation = false;
  std::span<const uint8_t> template_data() const {
    return std::span<const uint8_t>(bytes).subspan(template_data_offset);
  }
};

// Errors: a digest of the wrong size, a PCR out of range.
Result<EncodedEntry> EncodeEntry(WritableTemplate t, const MeasurementRecord& record);

// What TPM2_PCR_Extend receives for this entry in `bank`, kernel >= 5.8: H_bank(template data),
// or all-0xFF for a violation. With padded_sha1 (a bank whose hash the kernel lacks): the
// SHA1 template digest zero-padded to the bank size.
Digest ExtendDigest(const EncodedEntry& entry, HashAlgo bank, bool padded_sha1 = false);

}  // namespace imawatch::ima
