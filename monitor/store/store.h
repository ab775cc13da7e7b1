// The daemon's durable state in one SQLite file (WAL): boot epochs, the read cursor, proved
// entries, drift findings, verdict history, quotes and the sinks' outbox. Schema:
// doc/store-format.md.
#pragma once

#include <cstdint>
#include <optional>
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

class Store {
 public:
  // Opens or creates the file, sets WAL, durability, busy timeout and foreign keys, and migrates
  // the schema. A damaged file, another program's database or a newer schema is an error.
  static Result<Store> Open(const std::string& path);

  // The open epoch for this boot_aggregate; a different aggregate (a reboot) closes the open
  // epoch and starts a new one. One transaction.
  Result<Epoch> EnterEpoch(std::string_view boot_aggregate_hex, int64_t now);
  Result<std::optional<Epoch>> CurrentEpoch();

  // The epoch's cursor; a zero cursor before its first batch.
  Result<Cursor> LoadCursor(int64_t epoch_id);

  // Everything in the batch in ONE transaction: the cursor advance, the proved entries, the
  // findings, verdicts and outbox messages. On any error nothing of it is stored.
  Status CommitBatch(const Batch& batch);

  Result<uint64_t> CountProvedEntries(int64_t epoch_id);
  Result<std::vector<DriftFinding>> Findings(bool include_resolved);
  Result<uint64_t> CountPendingOutbox();

  // PRAGMA integrity_check: "ok" or SQLite's list of problems.
  Result<std::string> IntegrityCheck();
  Result<int64_t> SchemaVersion();

  Database& database() { return db_; }

 private:
  explicit Store(Database db) : db_(std::move(db)) {}

  Database db_;
};

}  // namespace imawatch::store
