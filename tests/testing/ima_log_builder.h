// Builds binary IMA measurement lists exactly as a >= 5.8 kernel writes them with
// ima_canonical_fmt (little-endian), and keeps the PCR values that kernel's TPM would hold.
//
// Every entry's SHA1 template digest is the hash of its template data; each PCR bank is
// extended with H_bank(template data), violations with all-0xFF of the bank's size (the
// logged template digest of a violation is all zero). PCRs 0-9 hold firmware values (set by
// the caller or derived from fixed strings) so the boot_aggregate entry is genuine.
//
// Entries stream to the list file through a bounded buffer: a million-entry list never sits in
// memory. Errors (a file that cannot be written, a digest of the wrong size) throw
// std::runtime_error, like the other test helpers.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/ima/digest.h"
#include "monitor/ima/hash_algo.h"
#include "monitor/ima/pcr_values.h"

namespace imawatch::testing {

enum class ImaTemplate { kImaNg, kImaSig, kEvmSig };
std::string_view TemplateName(ImaTemplate t);
// "ima-ng", "ima-sig", "evm-sig"; throws on anything else.
ImaTemplate TemplateFromName(std::string_view name);

// What the kernel knows about a measured (or violating) file.
struct FileMeasurement {
  std::string path;
  ima::HashAlgo algo = ima::HashAlgo::kSha256;
  std::vector<uint8_t> digest;  // DigestSize(algo) bytes; ignored for violations
  uint32_t pcr = 10;
  std::vector<uint8_t> signature;      // ima-sig: the security.ima blob (may be empty)
  std::vector<uint8_t> evm_signature;  // evm-sig: evmsig field (may be empty)
  uint32_t uid = 0;                    // evm-sig: iuid, igid, imode
  uint32_t gid = 0;
  uint16_t mode = 0100644;
};

// Where an entry landed in the list.
struct BuiltEntry {
  uint64_t index = 0;
  uint64_t offset = 0;  // byte offset of the entry in the list
  uint32_t size = 0;
  uint32_t file_digest_offset = 0;  // of the digest bytes in the d-ng field, from the entry start
  std::array<uint8_t, 20> template_digest{};
};

struct ImaLogBuilderOptions {
  ImaTemplate template_kind = ImaTemplate::kImaNg;
  // ima_hash: the bank boot_aggregate is computed in (PCRs 0-7 for sha1, 0-9 otherwise) and
  // the algorithm named in a violation's zero d-ng digest.
  ima::HashAlgo ima_hash = ima::HashAlgo::kSha256;
  std::vector<ima::HashAlgo> banks = {ima::HashAlgo::kSha1, ima::HashAlgo::kSha256, ima::HashAlgo::kSha384,
                                      ima::HashAlgo::kSha512};
};

class ImaLogBuilder {
 public:
  // Streams the list into list_path (created or truncated).
  ImaLogBuilder(const std::string& list_path, ImaLogBuilderOptions options = {});
  // Keeps the list in memory (small lists; see bytes()).
  explicit ImaLogBuilder(ImaLogBuilderOptions options = {});
  ~ImaLogBuilder();
  ImaLogBuilder(const ImaLogBuilder&) = delete;
  ImaLogBuilder& operator=(const ImaLogBuilder&) = delete;

  // Replaces the firmware PCRs 0-9 (e.g. a fixture's pcrs.txt); before the first entry.
  void SetBootPcrs(const ima::PcrValues& pcrs);
  // The kernel's first entry: H(PCR 0..7 or 0..9) of the ima_hash bank, into PCR 10.
  BuiltEntry AddBootAggregate();
  BuiltEntry AddMeasurement(const FileMeasurement& m);
  // An open-writers or ToMToU violation: zero d-ng digest, all-zero template digest.
  BuiltEntry AddViolation(const FileMeasurement& m);
  // Writes out what is buffered and closes the list file; the builder takes no more entries.
  void Finish();

  uint64_t entries() const { return entries_; }
  uint64_t violations() const { return violations_; }
  uint64_t bytes_written() const { return offset_; }
  // PCRs 0-9 and every PCR the list extended, per bank, as the TPM holds them now.
  const ima::PcrValues& pcrs() const { return pcrs_; }
  // The whole list when built in memory.
  std::span<const uint8_t> bytes() const { return memory_; }

 private:
  BuiltEntry Append(const FileMeasurement& m, bool violation, bool boot_aggregate);
  void AppendField(std::span<const uint8_t> bytes);
  void AppendU32Field(uint32_t v);
  void AppendU16Field(uint16_t v);
  void Extend(uint32_t pcr, bool violation);
  void Write(std::span<const uint8_t> bytes);
  void Flush();

  ImaLogBuilderOptions options_;
  std::string path_;
  std::FILE* file_ = nullptr;
  bool finished_ = false;
  std::vector<uint8_t> pending_;  // bytes not yet written to the file
  std::vector<uint8_t> memory_;   // in-memory list
  std::vector<uint8_t> data_;     // template data of the entry being built
  std::vector<uint8_t> head_;     // the entry's fields before its template data
  uint64_t offset_ = 0;
  uint64_t entries_ = 0;
  uint64_t violations_ = 0;
  ima::PcrValues pcrs_;
};

// `bank:pcr:HEX` lines (upper-case hex), banks in kPcrBanks order, PCRs ascending.
std::string PcrsText(const ima::PcrValues& pcrs);
// evmctl's --pcrs file for one bank: "PCR-00: 3A 3F ..." for PCRs 0-23 in order (evmctl reads
// them positionally), zero for PCRs the reading lacks.
std::string EvmctlPcrsText(const ima::PcrValues& pcrs, ima::HashAlgo bank);
// Creates or truncates path; throws on failure.
void WriteTextFile(const std::string& path, std::string_view text);

}  // namespace imawatch::testing
