// Proves a growing measurement list against the TPM as it grows: the engine behind
// `imawatch verify --follow` and the daemon's live loop.
//
// Each Poll() checks the list is still the one read (log_tail.h), reads the new entries,
// reads the PCRs, reads the list again, and replays the new entries (replay.h, keep_history:
// the prefix rule). The kernel appends an entry and then extends the TPM, under one mutex
// (ima_add_template_entry), so:
//   - a PCR reading, read before the list is read again, is reproduced by some prefix of the
//     list that is at least as long as the one proved before; if none does, log and TPM
//     disagree: a mismatch;
//   - entries already in the list when the PCRs are read are covered by that reading, except
//     the one the kernel may be extending at that moment. While some are not covered the PCRs
//     are read again (every 20 ms, for up to extend_grace); still not covered, they were
//     appended without an extend: a mismatch, found by the poll that first read them.
// After a mismatch the epoch is untrusted: no later poll of that epoch proves anything. A TPM
// that cannot be read is reported and retried at the next poll; nothing is proved meanwhile.
// A new boot epoch (log_tail.h) starts over with a fresh replay.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "monitor/base/result.h"
#include "monitor/ima/boot_aggregate.h"
#include "monitor/ima/log_tail.h"
#include "monitor/ima/pcr_values.h"
#include "monitor/ima/replay.h"

namespace imawatch::ima {

// Reads the given PCR indexes in every active bank (monitor/tpm/live_pcr_reader.h).
using PcrReadFunction = std::function<Result<PcrValues>(std::span<const uint32_t> indexes)>;

struct LiveOptions {
  std::vector<HashAlgo> banks;  // empty: every bank the TPM returns
  // PCRs IMA extends; a non-zero one without entries in a non-empty list is a mismatch.
  std::vector<uint32_t> ima_pcrs = {10};
  // How long an entry may sit in the list before its extend shows in the TPM (the kernel
  // extends right after appending; a loaded machine may delay it).
  std::chrono::milliseconds extend_grace{1000};
  size_t batch_size = 4096;
  // Called with every entry read while the epoch is trusted, in list order. After a new epoch
  // or a rewritten list, indexes start again at 0; views are valid only during the call.
  std::function<void(const EntryView&)> on_entry;
};

// The value a PCR bank held when it last proved a prefix of the list.
struct PcrProofValue {
  HashAlgo bank = HashAlgo::kSha256;
  uint32_t pcr = 10;
  Digest value;
  uint64_t proved_list = 0;  // entries of the list that reading covers
};

struct PollResult {
  uint64_t epoch = 1;
  bool new_epoch = false;  // this poll started a new boot epoch
  std::string epoch_reason;
  std::optional<Digest> boot_aggregate;  // of the current epoch's list
  uint64_t entries = 0;                  // read in this epoch
  uint64_t read_now = 0;                 // read by this poll
  // Entries [first, last] (0-based, this epoch) proved by this poll.
  std::optional<std::pair<uint64_t, uint64_t>> newly_proved;
  uint64_t proved = 0;   // entries 0..proved-1 of this epoch are proved
  uint64_t pending = 0;  // read, not yet covered by a reading (appended after the PCR read)
  bool tpm_unavailable = false;
  std::string tpm_error;
  bool mismatch = false;  // found by this poll
  std::string mismatch_reason;
  uint64_t untrusted_from = 0;  // first entry not proved when the mismatch was found
  bool untrusted = false;       // the epoch has had a mismatch
  std::vector<HashAlgo> banks;  // banks of the reading
  std::optional<BootAggregateCheck> boot_aggregate_check;
};

class LiveProver {
 public:
  LiveProver(std::unique_ptr<LogTail> tail, PcrReadFunction read_pcrs, LiveOptions options = {});
  ~LiveProver();

  // An Error only when the list cannot be read or is malformed; TPM failures are results.
  Result<PollResult> Poll();

  const LogTail& tail() const { return *tail_; }
  // Per bank and PCR, the last reading that proved a prefix in this epoch.
  std::vector<PcrProofValue> proof_values() const;

 private:
  struct Evaluation;
  void ResetEpoch();
  // Applies a replaced or rewritten list to the state; true when the list changed.
  Result<bool> SyncList(PollResult& r);
  Status CatchUp(PollResult& r);
  Result<PcrValues> Read(std::vector<uint32_t>& indexes);
  Evaluation Evaluate(const PcrValues& reading);
  void MarkUntrusted(PollResult& r, std::string reason);

  std::unique_ptr<LogTail> tail_;
  PcrReadFunction read_pcrs_;
  LiveOptions options_;
  std::vector<HashAlgo> banks_;  // fixed at the first reading
  std::unique_ptr<Replay> replay_;
  bool untrusted_ = false;
  bool rewrite_undecided_ = false;  // a rewritten list the TPM has not yet shown to be a reboot
  std::string rewrite_reason_;
  uint64_t proved_ = 0;
  uint64_t entries_ = 0;
  std::vector<uint32_t> pcrs_used_;
  std::map<std::pair<HashAlgo, uint32_t>, Digest> proved_values_;  // chain value at its last proof
  std::map<std::pair<HashAlgo, uint32_t>, uint64_t> proved_lists_;
  std::optional<Digest> boot_aggregate_;
  std::optional<std::string> entry_problem_;  // a forged template digest seen while reading
  uint64_t entry_problem_index_ = 0;
};

}  // namespace imawatch::ima
