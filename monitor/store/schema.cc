#include "monitor/store/schema.h"

#include <string>

namespace imawatch::store {

namespace {

// Times are Unix seconds (UTC). Digests are lowercase hex with the algorithm beside them.
constexpr const char* kSteps[] = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE epochs (
  id INTEGER PRIMARY KEY,
  boot_aggregate TEXT NOT NULL CHECK (length(boot_aggregate) > 0),
  first_seen INTEGER NOT NULL,
  closed_at INTEGER
);
CREATE TABLE cursors (
  epoch_id INTEGER PRIMARY KEY REFERENCES epochs(id),
  entry_index INTEGER NOT NULL CHECK (entry_index >= 0),
  byte_offset INTEGER NOT NULL CHECK (byte_offset >= 0),
  proved_entries INTEGER NOT NULL CHECK (proved_entries >= 0),
  replay_state BLOB NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE proved_entries (
  epoch_id INTEGER NOT NULL REFERENCES epochs(id),
  entry_index INTEGER NOT NULL CHECK (entry_index >= 0),
  pcr INTEGER NOT NULL,
  template_name TEXT NOT NULL,
  digest_algo TEXT NOT NULL,
  digest_hex TEXT NOT NULL,
  path TEXT NOT NULL,
  PRIMARY KEY (epoch_id, entry_index)
) WITHOUT ROWID;
CREATE INDEX proved_entries_by_path ON proved_entries(path);
CREATE TABLE drift_findings (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  subject TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  resolved_at INTEGER,
  detail TEXT NOT NULL CHECK (json_valid(detail))
);
CREATE UNIQUE INDEX drift_findings_open_key ON drift_findings(key) WHERE resolved_at IS NULL;
CREATE TABLE verdicts (
  id INTEGER PRIMARY KEY,
  epoch_id INTEGER REFERENCES epochs(id),
  benchmark TEXT NOT NULL,
  recommendation TEXT NOT NULL,
  result TEXT NOT NULL,
  decided_at INTEGER NOT NULL
);
CREATE INDEX verdicts_by_recommendation ON verdicts(benchmark, recommendation, decided_at);
CREATE TABLE quotes (
  id INTEGER PRIMARY KEY,
  epoch_id INTEGER REFERENCES epochs(id),
  nonce BLOB NOT NULL,
  quote BLOB NOT NULL,
  taken_at INTEGER NOT NULL
);
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  sink TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  delivered_at INTEGER
);
CREATE INDEX outbox_pending ON outbox(sink, id) WHERE delivered_at IS NULL;
)sql",
    // 2: the daemon: which entry ranges each batch consumed (exactly-once is checkable), quotes as
    // evidence bundles, report snapshots.
    R"sql(
CREATE TABLE batches (
  epoch_id INTEGER NOT NULL REFERENCES epochs(id),
  first_entry INTEGER NOT NULL CHECK (first_entry >= 0),
  end_entry INTEGER NOT NULL CHECK (end_entry > first_entry),
  committed_at INTEGER NOT NULL,
  PRIMARY KEY (epoch_id, first_entry)
) WITHOUT ROWID;
ALTER TABLE quotes ADD COLUMN evidence TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(evidence));
CREATE INDEX quotes_by_time ON quotes(taken_at);
CREATE TABLE report_snapshots (
  id INTEGER PRIMARY KEY,
  epoch_id INTEGER REFERENCES epochs(id),
  benchmark TEXT NOT NULL,
  taken_at INTEGER NOT NULL,
  report TEXT NOT NULL CHECK (json_valid(report))
);
CREATE INDEX report_snapshots_by_benchmark ON report_snapshots(benchmark, id);
CREATE INDEX verdicts_by_time ON verdicts(decided_at);
CREATE INDEX drift_findings_resolved ON drift_findings(resolved_at) WHERE resolved_at IS NOT NULL;
)sql",
    // 3: sink delivery: when a message may be tried next, why it failed last, and whether it was
    // dropped; per-finding event sequence numbers (the sinks' deterministic event ids).
    R"sql(
ALTER TABLE outbox ADD COLUMN next_attempt_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
ALTER TABLE outbox ADD COLUMN dropped_at INTEGER;
ALTER TABLE outbox ADD COLUMN drop_reason TEXT;
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox(sink, id) WHERE delivered_at IS NULL AND dropped_at IS NULL;
CREATE INDEX outbox_done ON outbox(coalesce(delivered_at, dropped_at)) WHERE delivered_at IS NOT NULL OR dropped_at IS NOT NULL;
CREATE TABLE finding_sequences (
  epoch_id INTEGER NOT NULL REFERENCES epochs(id),
  key TEXT NOT NULL,
  sequence INTEGER NOT NULL CHECK (sequence > 0),
  PRIMARY KEY (epoch_id, key)
) WITHOUT ROWID;
-- Messages queued before sequences existed get their row id: unique, stable, in order.
UPDATE outbox SET payload = json_set(payload, '$.sequence', id)
  WHERE delivered_at IS NULL AND json_valid(payload) AND json_type(payload, '$.key') = 'text'
    AND json_type(payload, '$.sequence') IS NULL;
  )sql",
    // 4: IMA policy loads (imawatch policy load --store): what was handed to the kernel, its
    // digest and the kernel's answer; the daemon exports the latest accepted one.
    R"sql(
CREATE TABLE policy_loads (
  id INTEGER PRIMARY KEY,
  loaded_at INTEGER NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('loaded', 'rejected', 'refused', 'unavailable')),
  source TEXT NOT NULL,
  digest TEXT NOT NULL,
  rules INTEGER NOT NULL CHECK (rules >= 0),
  kernel TEXT NOT NULL,
  policy TEXT NOT NULL,
  kernel_message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX policy_loads_by_outcome ON policy_loads(outcome, id);
)sql",
};

}  // namespace

std::span<const char* const> MigrationSteps() { return kSteps; }

int64_t CurrentSchemaVersion() { return static_cast<int64_t>(MigrationSteps().size()); }

Status Migrate(Database& db) {
  Result<int64_t> version = db.QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.error();
  Result<int64_t> app = db.QueryInt("PRAGMA application_id");
  if (!app.ok()) return app.error();
  const int64_t known = CurrentSchemaVersion();
  if (*version > known) {
    return Error(ErrorKind::kUnsupported,
                 "database schema version " + std::to_string(*version) +
                     " is newer than this imawatch understands (up to " + std::to_string(known) +
                     "); refusing to open it rather than risk damaging it; run a newer imawatch",
                 Position{.source = db.path()});
  }
  if (*version < 0 || (*version > 0 && *app != kApplicationId) || (*version == 0 && *app != 0)) {
    return Error(ErrorKind::kInvalidInput,
                 "not an imawatch store (application_id " + std::to_string(*app) + ", user_version " +
                     std::to_string(*version) + ")",
                 Position{.source = db.path()});
  }
  if (*version == 0) {
    // An empty file may still hold another program's tables with user_version 0.
    Result<int64_t> tables = db.QueryInt("SELECT count(*) FROM sqlite_schema");
    if (!tables.ok()) return tables.error();
    if (*tables != 0) {
      return Error(ErrorKind::kInvalidInput, "not an imawatch store: it has tables but no schema version",
                   Position{.source = db.path()});
    }
  }
  for (int64_t step = *version; step < known; ++step) {
    Result<Transaction> tx = Transaction::Begin(db);
    if (!tx.ok()) return tx.error();
    // Re-read inside the write lock: another process may have migrated meanwhile.
    Result<int64_t> now = db.QueryInt("PRAGMA user_version");
    if (!now.ok()) return now.error();
    if (*now > step) {
      step = *now - 1;
      continue;  // tx rolls back, nothing written
    }
    Status applied = db.Exec(MigrationSteps()[static_cast<size_t>(step)]);
    if (!applied.ok()) {
      Error error = applied.error();
      return Error(error.kind(),
                   "migration to schema version " + std::to_string(step + 1) + ": " + error.message(),
                   error.where());
    }
    // Both pragmas write the header page, inside this transaction.
    Status stamped = db.Exec("PRAGMA application_id = " + std::to_string(kApplicationId) +
                             "; PRAGMA user_version = " + std::to_string(step + 1));
    if (!stamped.ok()) return stamped;
    Status committed = tx->Commit();
    if (!committed.ok()) return committed;
  }
  return Status::Ok();
}

}  // namespace imawatch::store
