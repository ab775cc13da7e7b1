#include "monitor/store/store.h"

#include <algorithm>
#include <limits>

#include "monitor/store/schema.h"

namespace imawatch::store {

namespace {

constexpr int kBusyTimeoutMs = 5000;

Error Invalid(const Database& db, std::string message) {
  return Error(ErrorKind::kInvalidInput, std::move(message), Position{.source = db.path()});
}

bool FitsInt64(uint64_t v) { return v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()); }

std::optional<int64_t> OptionalInt(const Statement& stmt, int column) {
  if (stmt.IsNull(column)) return std::nullopt;
  return stmt.Int(column);
}

}  // namespace

Result<Store> Store::Open(const std::string& path) {
  Result<Database> db = Database::Open(path);
  if (!db.ok()) return db.error();
  sqlite3_busy_timeout(db->raw(), kBusyTimeoutMs);
  // Read the header before changing anything: a damaged or foreign file fails here, untouched.
  Result<int64_t> probe = db->QueryInt("PRAGMA user_version");
  if (!probe.ok()) return probe.error();
  Result<std::string> mode = db->QueryText("PRAGMA journal_mode = WAL");
  if (!mode.ok()) return mode.error();
  if (mode.value() != "wal")
    return Invalid(*db, "cannot switch the database to WAL mode (got '" + *mode + "')");
  // FULL, not NORMAL: in WAL mode NORMAL survives a process crash but may lose the last commits
  // on power loss. The daemon tells sinks about a batch's findings after committing it, so a
  // commit that later vanished would make findings "un-happen" that an outside system already
  // saw. FULL costs one fsync of the WAL per commit, and commits are per poll, not per entry.
  Status pragmas = db->Exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
  if (!pragmas.ok()) return pragmas.error();
  Status migrated = Migrate(*db);
  if (!migrated.ok()) return migrated.error();
  return Store(std::move(db).value());
}

Result<int64_t> Store::SchemaVersion() { return db_.QueryInt("PRAGMA user_version"); }

Result<std::string> Store::IntegrityCheck() {
  Result<Statement> stmt = db_.Prepare("PRAGMA integrity_check");
  if (!stmt.ok()) return stmt.error();
  std::string out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    if (!out.empty()) out += '\n';
    out += stmt->Text(0);
  }
  return out;
}

Result<std::optional<Epoch>> Store::CurrentEpoch() {
  Result<Statement> stmt = db_.Prepare(
      "SELECT id, boot_aggregate, first_seen, closed_at FROM epochs WHERE closed_at IS NULL ORDER BY id DESC "
      "LIMIT 1");
  if (!stmt.ok()) return stmt.error();
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<Epoch>();
  return std::optional<Epoch>(Epoch{.id = stmt->Int(0),
                                    .boot_aggregate = stmt->Text(1),
                                    .first_seen = stmt->Int(2),
                                    .closed_at = OptionalInt(*stmt, 3)});
}

Result<Epoch> Store::EnterEpoch(std::string_view boot_aggregate_hex, int64_t now, bool force_new) {
  if (boot_aggregate_hex.empty()) return Invalid(db_, "empty boot_aggregate");
  Result<Transaction> tx = Transaction::Begin(db_);
  if (!tx.ok()) return tx.error();
  Result<std::optional<Epoch>> current = CurrentEpoch();
  if (!current.ok()) return current.error();
  if (!force_new && current->has_value() && (*current)->boot_aggregate == boot_aggregate_hex)
    return **current;
  if (current->has_value()) {
    for (const char* sql : {"UPDATE epochs SET closed_at = ?1 WHERE closed_at IS NULL",
                            "UPDATE drift_findings SET resolved_at = ?1 WHERE resolved_at IS NULL"}) {
      Result<Statement> close = db_.Prepare(sql);
      if (!close.ok()) return close.error();
      Status closed = close->Bind(1, now).Run();
      if (!closed.ok()) return closed.error();
    }
  }
  Result<Statement> insert = db_.Prepare("INSERT INTO epochs (boot_aggregate, first_seen) VALUES (?1, ?2)");
  if (!insert.ok()) return insert.error();
  Status inserted = insert->Bind(1, boot_aggregate_hex).Bind(2, now).Run();
  if (!inserted.ok()) return inserted.error();
  Epoch epoch{.id = sqlite3_last_insert_rowid(db_.raw()),
              .boot_aggregate = std::string(boot_aggregate_hex),
              .first_seen = now};
  Status committed = tx->Commit();
  if (!committed.ok()) return committed.error();
  return epoch;
}

Result<Cursor> Store::LoadCursor(int64_t epoch_id) {
  Result<Statement> stmt = db_.Prepare(
      "SELECT entry_index, byte_offset, proved_entries, replay_state FROM cursors WHERE epoch_id = ?1");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, epoch_id);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return Cursor{};
  return Cursor{.entry_index = static_cast<uint64_t>(stmt->Int(0)),
                .byte_offset = static_cast<uint64_t>(stmt->Int(1)),
                .proved_entries = static_cast<uint64_t>(stmt->Int(2)),
                .replay_state = stmt->Blob(3)};
}

Status Store::CommitBatch(const Batch& batch) {
  const Cursor& c = batch.cursor;
  if (!FitsInt64(c.entry_index) || !FitsInt64(c.byte_offset) || !FitsInt64(c.proved_entries) ||
      !FitsInt64(batch.expected_entry_index)) {
    return Invalid(db_, "cursor value out of range");
  }
  if (c.entry_index < batch.expected_entry_index) {
    return Invalid(db_, "cursor would move backwards from entry " +
                            std::to_string(batch.expected_entry_index) + " to " +
                            std::to_string(c.entry_index));
  }
  Result<Transaction> tx = Transaction::Begin(db_);
  if (!tx.ok()) return tx.error();

  Result<Cursor> stored = LoadCursor(batch.epoch_id);
  if (!stored.ok()) return stored.error();
  if (stored->entry_index != batch.expected_entry_index) {
    return Invalid(db_, "stale batch: the stored cursor is at entry " + std::to_string(stored->entry_index) +
                            ", the batch expects " + std::to_string(batch.expected_entry_index));
  }

  Result<Statement> cursor = db_.Prepare(
      "INSERT INTO cursors (epoch_id, entry_index, byte_offset, proved_entries, replay_state, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (epoch_id) DO UPDATE SET entry_index = "
      "excluded.entry_index, "
      "byte_offset = excluded.byte_offset, proved_entries = excluded.proved_entries, "
      "replay_state = excluded.replay_state, updated_at = excluded.updated_at");
  if (!cursor.ok()) return cursor.error();
  Status moved = cursor->Bind(1, batch.epoch_id)
                     .Bind(2, static_cast<int64_t>(c.entry_index))
                     .Bind(3, static_cast<int64_t>(c.byte_offset))
                     .Bind(4, static_cast<int64_t>(c.proved_entries))
                     .BindBlob(5, c.replay_state)
                     .Bind(6, batch.now)
                     .Run();
  if (!moved.ok()) return moved;

  Result<Statement> entry = db_.Prepare(
      "INSERT INTO proved_entries (epoch_id, entry_index, pcr, template_name, digest_algo, digest_hex, path) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!entry.ok()) return entry.error();
  for (const ProvedEntry& e : batch.entries) {
    if (!FitsInt64(e.entry_index)) return Invalid(db_, "entry index out of range");
    Status stored_entry = entry->Bind(1, batch.epoch_id)
                              .Bind(2, static_cast<int64_t>(e.entry_index))
                              .Bind(3, static_cast<int64_t>(e.pcr))
                              .Bind(4, e.template_name)
                              .Bind(5, e.digest_algo)
                              .Bind(6, e.digest_hex)
                              .Bind(7, e.path)
                              .Run();
    if (!stored_entry.ok()) return stored_entry;
    entry->Reset();
  }

  // A finding seen again while open refreshes last_seen and detail; after it was resolved, it
  // opens a new row (the partial unique index only covers open findings).
  Result<Statement> seen = db_.Prepare(
      "INSERT INTO drift_findings (key, subject, first_seen, last_seen, detail) VALUES (?1, ?2, ?3, ?3, ?4) "
      "ON CONFLICT (key) WHERE resolved_at IS NULL DO UPDATE SET last_seen = excluded.last_seen, "
      "subject = excluded.subject, detail = excluded.detail");
  if (!seen.ok()) return seen.error();
  for (const FindingSeen& f : batch.findings_seen) {
    Status stored_finding =
        seen->Bind(1, f.key).Bind(2, f.subject).Bind(3, batch.now).Bind(4, f.detail_json).Run();
    if (!stored_finding.ok()) return stored_finding;
    seen->Reset();
  }

  Result<Statement> resolve =
      db_.Prepare("UPDATE drift_findings SET resolved_at = ?2 WHERE key = ?1 AND resolved_at IS NULL");
  if (!resolve.ok()) return resolve.error();
  for (const std::string& key : batch.findings_resolved) {
    Status resolved = resolve->Bind(1, key).Bind(2, batch.now).Run();
    if (!resolved.ok()) return resolved;
    resolve->Reset();
  }

  Result<Statement> verdict = db_.Prepare(
      "INSERT INTO verdicts (epoch_id, benchmark, recommendation, result, decided_at) VALUES (?1, ?2, ?3, "
      "?4, ?5)");
  if (!verdict.ok()) return verdict.error();
  for (const VerdictRecord& v : batch.verdicts) {
    Status stored_verdict = verdict->Bind(1, batch.epoch_id)
                                .Bind(2, v.benchmark)
                                .Bind(3, v.recommendation)
                                .Bind(4, v.result)
                                .Bind(5, batch.now)
                                .Run();
    if (!stored_verdict.ok()) return stored_verdict;
    verdict->Reset();
  }

  // The outbox rides in the same transaction (transactional outbox): a sink hears of exactly the
  // findings that were committed.
  Status queued = QueueOutbox(batch);
  if (!queued.ok()) return queued;

  if (c.entry_index > batch.expected_entry_index) {
    Result<Statement> range = db_.Prepare(
        "INSERT INTO batches (epoch_id, first_entry, end_entry, committed_at) VALUES (?1, ?2, ?3, ?4)");
    if (!range.ok()) return range.error();
    Status recorded = range->Bind(1, batch.epoch_id)
                          .Bind(2, static_cast<int64_t>(batch.expected_entry_index))
                          .Bind(3, static_cast<int64_t>(c.entry_index))
                          .Bind(4, batch.now)
                          .Run();
    if (!recorded.ok()) return recorded;
  }

  Result<Statement> snapshot = db_.Prepare(
      "INSERT INTO report_snapshots (epoch_id, benchmark, taken_at, report) VALUES (?1, ?2, ?3, ?4)");
  if (!snapshot.ok()) return snapshot.error();
  for (const ReportSnapshot& r : batch.reports) {
    Status saved = snapshot->Bind(1, batch.epoch_id)
                       .Bind(2, r.benchmark)
                       .Bind(3, batch.now)
                       .Bind(4, r.report_json)
                       .Run();
    if (!saved.ok()) return saved;
    snapshot->Reset();
  }

  return tx->Commit();
}

// A finding's n-th event of a batch for one sink is the same event as the n-th for any other
// sink: its sequence is the stored one plus n.
Status Store::QueueOutbox(const Batch& batch) {
  Result<Statement> last =
      db_.Prepare("SELECT sequence FROM finding_sequences WHERE epoch_id = ?1 AND key = ?2");
  if (!last.ok()) return last.error();
  Result<Statement> plain = db_.Prepare("INSERT INTO outbox (sink, payload, created_at) VALUES (?1, ?2, ?3)");
  if (!plain.ok()) return plain.error();
  Result<Statement> numbered = db_.Prepare(
      "INSERT INTO outbox (sink, payload, created_at) VALUES (?1, json_set(?2, '$.sequence', ?4), ?3)");
  if (!numbered.ok()) return numbered.error();
  std::map<std::string, int64_t> stored;                         // key -> sequence before this batch
  std::map<std::pair<std::string, std::string>, int64_t> count;  // (sink, key) -> events so far
  std::map<std::string, int64_t> highest;                        // key -> sequence after this batch
  for (const OutboxMessage& m : batch.outbox) {
    if (m.finding_key.empty()) {
      Status s = plain->Bind(1, m.sink).Bind(2, m.payload).Bind(3, batch.now).Run();
      if (!s.ok()) return s;
      plain->Reset();
      continue;
    }
    auto [it, fresh] = stored.try_emplace(m.finding_key, 0);
    if (fresh) {
      last->Bind(1, batch.epoch_id).Bind(2, m.finding_key);
      Result<bool> row = last->Step();
      if (!row.ok()) return row.error();
      if (*row) it->second = last->Int(0);
      last->Reset();
    }
    const int64_t sequence = it->second + ++count[{m.sink, m.finding_key}];
    highest[m.finding_key] = std::max(highest[m.finding_key], sequence);
    Status s = numbered->Bind(1, m.sink).Bind(2, m.payload).Bind(3, batch.now).Bind(4, sequence).Run();
    if (!s.ok()) return s;
    numbered->Reset();
  }
  Result<Statement> save = db_.Prepare(
      "INSERT INTO finding_sequences (epoch_id, key, sequence) VALUES (?1, ?2, ?3) ON CONFLICT (epoch_id, "
      "key) DO UPDATE SET sequence = excluded.sequence");
  if (!save.ok()) return save.error();
  for (const auto& [key, sequence] : highest) {
    Status s = save->Bind(1, batch.epoch_id).Bind(2, key).Bind(3, sequence).Run();
    if (!s.ok()) return s;
    save->Reset();
  }
  return Status::Ok();
}

Result<std::vector<ProvedEntry>> Store::ProvedEntries(int64_t epoch_id) {
  Result<Statement> stmt = db_.Prepare(
      "SELECT entry_index, pcr, template_name, digest_algo, digest_hex, path FROM proved_entries "
      "WHERE epoch_id = ?1 ORDER BY entry_index");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, epoch_id);
  std::vector<ProvedEntry> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(ProvedEntry{.entry_index = static_cast<uint64_t>(stmt->Int(0)),
                              .pcr = static_cast<uint32_t>(stmt->Int(1)),
                              .template_name = stmt->Text(2),
                              .digest_algo = stmt->Text(3),
                              .digest_hex = stmt->Text(4),
                              .path = stmt->Text(5)});
  }
  return out;
}

Result<std::vector<BatchRange>> Store::Batches(int64_t epoch_id) {
  Result<Statement> stmt = db_.Prepare(
      "SELECT first_entry, end_entry, committed_at FROM batches WHERE epoch_id = ?1 ORDER BY first_entry");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, epoch_id);
  std::vector<BatchRange> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(BatchRange{.epoch_id = epoch_id,
                             .first_entry = static_cast<uint64_t>(stmt->Int(0)),
                             .end_entry = static_cast<uint64_t>(stmt->Int(1)),
                             .committed_at = stmt->Int(2)});
  }
  return out;
}

Status Store::SaveQuote(int64_t epoch_id, std::span<const uint8_t> nonce, std::string_view evidence_json,
                        int64_t now) {
  Result<Statement> stmt = db_.Prepare(
      "INSERT INTO quotes (epoch_id, nonce, quote, taken_at, evidence) VALUES (?1, ?2, x'', ?3, ?4)");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, epoch_id).BindBlob(2, nonce).Bind(3, now).Bind(4, evidence_json).Run();
}

Result<std::optional<QuoteRecord>> Store::LatestQuote() {
  Result<Statement> stmt =
      db_.Prepare("SELECT id, epoch_id, nonce, taken_at, evidence FROM quotes ORDER BY id DESC LIMIT 1");
  if (!stmt.ok()) return stmt.error();
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<QuoteRecord>();
  return std::optional<QuoteRecord>(QuoteRecord{.id = stmt->Int(0),
                                                .epoch_id = stmt->Int(1),
                                                .nonce = stmt->Blob(2),
                                                .taken_at = stmt->Int(3),
                                                .evidence_json = stmt->Text(4)});
}

Result<std::optional<std::string>> Store::LatestReport(std::string_view benchmark) {
  Result<Statement> stmt =
      db_.Prepare("SELECT report FROM report_snapshots WHERE benchmark = ?1 ORDER BY id DESC LIMIT 1");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, benchmark);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(stmt->Text(0));
}

Result<std::vector<std::string>> Store::RecentReports(std::string_view benchmark, int64_t limit) {
  Result<Statement> stmt =
      db_.Prepare("SELECT report FROM report_snapshots WHERE benchmark = ?1 ORDER BY id DESC LIMIT ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, benchmark);
  stmt->Bind(2, limit);
  std::vector<std::string> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(stmt->Text(0));
  }
  return out;
}

Result<std::map<std::pair<std::string, std::string>, std::string>> Store::CurrentVerdicts(int64_t epoch_id) {
  // The row with the highest id per recommendation is the latest decision.
  Result<Statement> stmt = db_.Prepare(
      "SELECT benchmark, recommendation, result FROM verdicts WHERE id IN (SELECT max(id) FROM verdicts "
      "WHERE epoch_id = ?1 GROUP BY benchmark, recommendation)");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, epoch_id);
  std::map<std::pair<std::string, std::string>, std::string> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out[{stmt->Text(0), stmt->Text(1)}] = stmt->Text(2);
  }
  return out;
}

Result<std::vector<VerdictRow>> Store::VerdictHistory(std::string_view benchmark,
                                                      std::string_view recommendation) {
  Result<Statement> stmt = db_.Prepare(
      "SELECT epoch_id, result, decided_at FROM verdicts WHERE benchmark = ?1 AND recommendation = ?2 "
      "ORDER BY id");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, benchmark).Bind(2, recommendation);
  std::vector<VerdictRow> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(VerdictRow{.epoch_id = stmt->Int(0),
                             .benchmark = std::string(benchmark),
                             .recommendation = std::string(recommendation),
                             .result = stmt->Text(1),
                             .decided_at = stmt->Int(2)});
  }
  return out;
}

Result<RetentionOutcome> Store::ApplyRetention(const Retention& r, int64_t now) {
  Result<Transaction> tx = Transaction::Begin(db_);
  if (!tx.ok()) return tx.error();
  RetentionOutcome out;
  auto remove = [&](std::string_view sql, int64_t keep_seconds, uint64_t& count) -> Status {
    if (keep_seconds <= 0) return Status::Ok();
    Result<Statement> stmt = db_.Prepare(sql);
    if (!stmt.ok()) return stmt.error();
    Status run = stmt->Bind(1, now - keep_seconds).Run();
    if (!run.ok()) return run;
    count += static_cast<uint64_t>(sqlite3_changes(db_.raw()));
    return Status::Ok();
  };
  // A recommendation's latest verdict in each epoch stays: it is its current state there.
  Status s = remove(
      "DELETE FROM verdicts WHERE decided_at < ?1 AND id NOT IN (SELECT max(id) FROM verdicts GROUP BY "
      "epoch_id, benchmark, recommendation)",
      r.verdict_history, out.verdicts);
  if (s.ok()) {
    s = remove("DELETE FROM drift_findings WHERE resolved_at IS NOT NULL AND resolved_at < ?1",
               r.resolved_findings, out.findings);
  }
  if (s.ok()) {
    s = remove("DELETE FROM quotes WHERE taken_at < ?1 AND id <> (SELECT max(id) FROM quotes)", r.quotes,
               out.quotes);
  }
  if (s.ok()) {
    s = remove(
        "DELETE FROM outbox WHERE (delivered_at IS NOT NULL OR dropped_at IS NOT NULL) AND "
        "coalesce(delivered_at, dropped_at) < ?1",
        r.delivered_outbox, out.outbox);
  }
  if (s.ok() && r.report_snapshots > 0) {
    Result<Statement> stmt = db_.Prepare(
        "DELETE FROM report_snapshots WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER (PARTITION "
        "BY benchmark ORDER BY id DESC) AS n FROM report_snapshots) WHERE n > ?1)");
    if (!stmt.ok()) return stmt.error();
    s = stmt->Bind(1, static_cast<int64_t>(r.report_snapshots)).Run();
    out.reports = static_cast<uint64_t>(sqlite3_changes(db_.raw()));
  }
  // A closed epoch past the history window keeps nothing but its row: its entries and batch
  // ranges were the evidence of verdicts that are gone.
  if (s.ok() && r.verdict_history > 0) {
    const int64_t cutoff = now - r.verdict_history;
    for (const char* sql :
         {"DELETE FROM proved_entries WHERE epoch_id IN (SELECT id FROM epochs WHERE closed_at < ?1)",
          "DELETE FROM batches WHERE epoch_id IN (SELECT id FROM epochs WHERE closed_at < ?1)",
          "DELETE FROM finding_sequences WHERE epoch_id IN (SELECT id FROM epochs WHERE closed_at < ?1)"}) {
      Result<Statement> stmt = db_.Prepare(sql);
      if (!stmt.ok()) return stmt.error();
      s = stmt->Bind(1, cutoff).Run();
      if (!s.ok()) break;
      out.epochs += static_cast<uint64_t>(sqlite3_changes(db_.raw()));
    }
  }
  if (!s.ok()) return s.error();
  Status committed = tx->Commit();
  if (!committed.ok()) return committed.error();
  return out;
}

Result<uint64_t> Store::SizeBytes() {
  Result<int64_t> pages = db_.QueryInt("PRAGMA page_count");
  if (!pages.ok()) return pages.error();
  Result<int64_t> size = db_.QueryInt("PRAGMA page_size");
  if (!size.ok()) return size.error();
  return static_cast<uint64_t>(*pages) * static_cast<uint64_t>(*size);
}

Result<uint64_t> Store::CountProvedEntries(int64_t epoch_id) {
  Result<Statement> stmt = db_.Prepare("SELECT count(*) FROM proved_entries WHERE epoch_id = ?1");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, epoch_id);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.error();
  return static_cast<uint64_t>(stmt->Int(0));
}

Result<uint64_t> Store::CountPendingOutbox() {
  Result<int64_t> n =
      db_.QueryInt("SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND dropped_at IS NULL");
  if (!n.ok()) return n.error();
  return static_cast<uint64_t>(*n);
}

Result<std::vector<DriftFinding>> Store::Findings(bool include_resolved) {
  Result<Statement> stmt = db_.Prepare(
      "SELECT id, key, subject, first_seen, last_seen, resolved_at, detail FROM drift_findings "
      "WHERE ?1 OR resolved_at IS NULL ORDER BY id");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, include_resolved ? 1 : 0);
  std::vector<DriftFinding> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(DriftFinding{.id = stmt->Int(0),
                               .key = stmt->Text(1),
                               .subject = stmt->Text(2),
                               .first_seen = stmt->Int(3),
                               .last_seen = stmt->Int(4),
                               .resolved_at = OptionalInt(*stmt, 5),
                               .detail_json = stmt->Text(6)});
  }
  return out;
}

}  // namespace imawatch::store
