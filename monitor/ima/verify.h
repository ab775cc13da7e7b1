// Verification of a whole measurement list (binary or ascii) against a PCR reading: the
// engine behind `imawatch verify`. Streams the list in batches; template digests are hashed
// on all cores, the extend chains run in list order.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "monitor/base/env.h"
#include "monitor/base/result.h"
#include "monitor/ima/binary_reader.h"
#include "monitor/ima/boot_aggregate.h"
#include "monitor/ima/pcr_values.h"
#include "monitor/ima/replay.h"

namespace imawatch::ima {

struct VerifyOptions {
  std::vector<HashAlgo> banks;  // empty: every bank the reading has
  // PCRs IMA extends (10, plus the policy's pcr= values). Such a PCR whose reading is not
  // zero while the list has no entry for it means entries were removed: a mismatch. PCRs the
  // list uses are checked in any case.
  std::vector<uint32_t> ima_pcrs = {10};
  unsigned threads = 0;  // 0: one per CPU
  ReaderOptions reader;
  size_t batch_size = 4096;
};

struct BankSummary {
  enum class Status { kVerified, kMismatch, kNoReading };
  HashAlgo bank;
  Status status = Status::kNoReading;
  uint64_t proved = 0;       // entries inside the proved prefixes of this bank's PCRs
  uint64_t not_covered = 0;  // entries after them (still being appended when PCRs were read)
  std::optional<ExtendVariant> variant;
};
std::string_view Name(BankSummary::Status s);

struct VerifyReport {
  std::string source;
  bool ascii_input = false;
  HashAlgo list_bank = HashAlgo::kSha1;  // bank of the logged template digests
  uint64_t entries = 0;
  uint64_t violations = 0;
  std::map<std::string, uint64_t> templates;
  // Entries whose logged template digest is not the hash of their template data.
  uint64_t template_digest_mismatches = 0;
  std::vector<uint64_t> template_digest_mismatch_examples;  // first few entry indexes
  std::optional<BootAggregateCheck> boot_aggregate;
  std::vector<PcrProof> proofs;
  std::vector<BankSummary> banks;

  // Verified: every bank with a reading reproduced by a non-empty prefix, every template digest
  // genuine, and the boot_aggregate not contradicted by PCRs 0-9.
  bool verified() const;
  uint64_t proved_entries() const;  // the most any bank proves
};

Result<VerifyReport> VerifyMeasurementList(Env& env, const std::string& path, const PcrValues& reading,
                                           const VerifyOptions& options);

// Opens a list for reading whatever its form: ascii lists are converted to binary in memory.
struct OpenedList {
  std::unique_ptr<RandomAccessFile> file;
  std::vector<uint8_t> converted;  // backing bytes of an ascii list
  bool ascii = false;
  // The list can be read a second time (not a pipe): verification then replays the per-bank
  // variant first and the older kernels' variants only when a bank does not match.
  bool rewindable = true;
  ReaderOptions reader;
};
Result<OpenedList> OpenMeasurementList(Env& env, const std::string& path, ReaderOptions options);

// The same for a list already open (reader options from `list`, not from `options`).
struct OpenedList;
Result<VerifyReport> VerifyOpenedList(OpenedList& list, const PcrValues& reading,
                                      const VerifyOptions& options);

// The bank of a list's template digests: from a per-bank file name, else from the size.
HashAlgo ListBank(const std::string& path, uint32_t template_digest_size);

}  // namespace imawatch::ima
