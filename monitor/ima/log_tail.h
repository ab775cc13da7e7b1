// Tails a growing binary measurement list (securityfs or a file laid out like it): keeps the
// file open, hands out only entries not read before, and notices when the list is no longer
// the one read so far.
//
// Boot epochs: a kernel's list only grows and never changes an entry. A list shorter than the
// read position, a different first entry (boot_aggregate), or the path now naming another
// file with either of those, is a new list: a reboot. Reading then starts over at entry 0
// in a new epoch. Bytes already read that changed while the first entry stayed (an edit, or a
// reboot whose boot_aggregate came out the same) are reported as a rewrite: the caller decides
// with the TPM whether it is a new boot or tampering (see live_prover.h).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "monitor/base/env.h"
#include "monitor/base/result.h"
#include "monitor/ima/binary_reader.h"
#include "monitor/ima/digest.h"

namespace imawatch::ima {

struct TailOptions {
  ReaderOptions reader;  // buffer_size is kept small by default: polls read little
  // Re-hash the bytes already read at every Sync(), so an in-place edit of an entry read
  // earlier is seen. Costs one sequential read of the list so far per poll.
  bool recheck_read_bytes = true;
};

class LogTail {
 public:
  enum class Change { kNone, kNewEpoch, kRewritten };
  struct SyncResult {
    Change change = Change::kNone;
    std::string reason;  // empty for kNone
  };

  // <root>/ima/binary_runtime_measurements.
  static std::string ListPath(const std::string& securityfs_root);
  static Result<std::unique_ptr<LogTail>> Open(Env& env, std::string path, TailOptions options = {});
  ~LogTail();

  // Checks that the list read so far is still there, unchanged. On kNewEpoch the epoch is
  // counted and reading restarts at entry 0; on kRewritten reading restarts at entry 0 in the
  // same epoch (BeginEpoch() counts it as new once the caller knows it is a reboot).
  Result<SyncResult> Sync();
  // Up to max_entries complete entries after those already read; empty when none is complete
  // yet. Views stay valid until the next call.
  Result<std::span<const EntryView>> Next(size_t max_entries = 4096);
  void BeginEpoch();

  uint64_t epoch() const { return epoch_; }  // 1 for the list found at Open()
  // The boot_aggregate file digest of this epoch's list, once its first entry was read.
  const std::optional<Digest>& boot_aggregate() const { return boot_aggregate_; }
  ReadPosition position() const { return reader_->position(); }
  const std::string& path() const { return path_; }
  uint32_t template_digest_size() const { return reader_->template_digest_size(); }

 private:
  LogTail(Env& env, std::string path, TailOptions options);
  Status Reopen();
  void Restart();
  Result<bool> ReadPrefixMatches(uint64_t length);
  Result<std::optional<std::string>> NewListReason();

  Env& env_;
  std::string path_;
  TailOptions options_;
  std::unique_ptr<RandomAccessFile> file_;
  uint64_t inode_ = 0;
  std::unique_ptr<BinaryLogReader> reader_;
  uint64_t epoch_ = 1;
  std::vector<uint8_t> first_entry_;  // bytes of entry 0 as read
  std::optional<Digest> boot_aggregate_;
  struct Sha256;
  std::unique_ptr<Sha256> read_hash_;  // SHA-256 of the bytes read so far
};

}  // namespace imawatch::ima
