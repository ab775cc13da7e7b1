// The daemon's durable state in one SQLite file (WAL): boot epochs, the read cursor, proved
// entries, drift findings, verdict history, quotes and the sinks' outbox. Schema:
// doc/store-format.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"
#include "monitor/store/batch.h"
#include "monitor/store/sqlite.h"

namespace imawatch::store {

struct Epoch {
  int64_t id = 0;
  std::string boot_aggregate;  // hex
  int64_t first_seen = 0;
  std::optional<int64_t> closed_at;
};

struct DriftFinding {
  int64_t id = 0;
  std::string key;
  std::string subject;
  int64_t first_seen = 0;
  int64_t last_seen = 0;
  std::optional<int64_t> resolved_at;
  std::string detail_json;
};

// Entries [first_entry, end_entry) of an epoch, consumed by one committed batch.
struct BatchRange {
  int64_t epoch_id = 0;
  uint64_t first_entry = 0, end_entry = 0;
  int64_t committed_at = 0;
};

struct QuoteRecord {
  int64_t id = 0;
  int64_t epoch_id = 0;
  std::vector<uint8_t> nonce;
  int64_t taken_at = 0;
  std::string evidence_json;  // the evidence bundle (doc/evidence-format.md)
};

// One `imawatch policy load --store`: the policy as written, its digest and the kernel's answer.
struct PolicyLoad {
  int64_t id = 0;
  int64_t loaded_at = 0;
  std::string outcome;  // loaded, rejected, refused, unavailable (policy::LoadOutcomeName)
  std::string source;   // the policy file
  std::string digest;   // "sha256:<hex>" of the bytes handed to the kernel
  int64_t rules = 0;
  std::string kernel;  // the kernel version the policy was linted for
  std::string policy;  // the rules handed to the kernel
  std::string kernel_message;
};

struct VerdictRow {
  int64_t epoch_id = 0;
  std::string benchmark, recommendation, result;
  int64_t decided_at = 0;
};

// How long history is kept (seconds; 0 keeps forever). Current state (open findings, the latest
// verdict of each recommendation, the newest quote and report) is never removed.
struct Retention {
  int64_t verdict_history = 30 * 86400;
  int64_t resolved_findings = 90 * 86400;
  int64_t quotes = 7 * 86400;
  uint64_t report_snapshots = 50;  // per benchmark
  int64_t delivered_outbox = 7 * 86400;
};

struct RetentionOutcome {
  uint64_t verdicts = 0, findings = 0, quotes = 0, reports = 0, outbox = 0, epochs = 0;
};

class Store {
 public:
  // Opens or creates the file, sets WAL, durability, busy timeout and foreign keys, and migrates
  // the schema. A damaged file, another program's database or a newer schema is an error.
  static Result<Store> Open(const std::string& path);

  // The open epoch for this boot_aggregate; a different aggregate (a reboot) closes the open
  // epoch and starts a new one. One transaction.
  // A new epoch also resolves every open finding: findings of one boot are not mixed with the
  // next. force_new: a new epoch even for the same boot_aggregate (a reboot the list shows,
  // with firmware that measured the same).
  Result<Epoch> EnterEpoch(std::string_view boot_aggregate_hex, int64_t now, bool force_new = false);
  Result<std::optional<Epoch>> CurrentEpoch();

  // The epoch's cursor; a zero cursor before its first batch.
  Result<Cursor> LoadCursor(int64_t epoch_id);

  // Everything in the batch in ONE transaction: the cursor advance, the proved entries, the
  // findings, verdicts and outbox messages. On any error nothing of it is stored.
  Status CommitBatch(const Batch& batch);

  Result<uint64_t> CountProvedEntries(int64_t epoch_id);
  Result<std::vector<ProvedEntry>> ProvedEntries(int64_t epoch_id);
  Result<std::vector<BatchRange>> Batches(int64_t epoch_id);

  Status SaveQuote(int64_t epoch_id, std::span<const uint8_t> nonce, std::string_view evidence_json,
                   int64_t now);
  Result<std::optional<QuoteRecord>> LatestQuote();

  // The newest snapshot of a benchmark's report (JSON), from any epoch.
  Result<std::optional<std::string>> LatestReport(std::string_view benchmark);
  // The newest `limit` snapshots of a benchmark's report, newest first (OCSF activity compares
  // the latest with the one before).
  Result<std::vector<std::string>> RecentReports(std::string_view benchmark, int64_t limit);
  // The latest verdict per (benchmark, recommendation) decided in an epoch.
  Result<std::map<std::pair<std::string, std::string>, std::string>> CurrentVerdicts(int64_t epoch_id);
  Result<std::vector<VerdictRow>> VerdictHistory(std::string_view benchmark, std::string_view recommendation);

  Result<RetentionOutcome> ApplyRetention(const Retention& retention, int64_t now);
  // Bytes of the database file and its WAL as SQLite counts them (pages in use).
  Result<uint64_t> SizeBytes();
  Result<std::vector<DriftFinding>> Findings(bool include_resolved);
  // Messages neither delivered nor dropped (monitor/store/outbox.h delivers them).
  Result<uint64_t> CountPendingOutbox();

  // IMA policy loads (policy_loads.cc). Never removed by retention: a node has few.
  Status RecordPolicyLoad(const PolicyLoad& load);
  // The newest load with this outcome ("loaded": the policy the kernel took last).
  Result<std::optional<PolicyLoad>> LatestPolicyLoad(std::string_view outcome);
  Result<std::map<std::string, uint64_t>> CountPolicyLoads();  // by outcome

  // PRAGMA integrity_check: "ok" or SQLite's list of problems.
  Result<std::string> IntegrityCheck();
  Result<int64_t> SchemaVersion();

  Database& database() { return db_; }

 private:
  explicit Store(Database db) : db_(std::move(db)) {}
  Status QueueOutbox(const Batch& batch);

  Database db_;
};

}  // namespace imawatch::store
