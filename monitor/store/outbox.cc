#include "monitor/store/outbox.h"

namespace imawatch::store {

Result<std::vector<PendingMessage>> Outbox::Next(std::string_view sink, size_t limit) {
  Result<Statement> stmt = db_.Prepare(
      "SELECT id, payload, created_at, attempts, next_attempt_ms FROM outbox WHERE sink = ?1 AND "
      "delivered_at "
      "IS NULL AND dropped_at IS NULL ORDER BY id LIMIT ?2");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, sink).Bind(2, static_cast<int64_t>(limit));
  std::vector<PendingMessage> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(PendingMessage{.id = stmt->Int(0),
                                 .payload = stmt->Text(1),
                                 .created_at = stmt->Int(2),
                                 .attempts = stmt->Int(3),
                                 .next_attempt_ms = stmt->Int(4)});
  }
  return out;
}

// Only a pending message changes: settling one twice (a restart racing a send) is a no-op.
Status Outbox::Settle(std::string_view sql, int64_t id, int64_t value, std::string_view text) {
  Result<Statement> stmt = db_.Prepare(sql);
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, id).Bind(2, value);
  if (sql.find("?3") != std::string_view::npos) stmt->Bind(3, text);
  return stmt->Run();
}

Status Outbox::MarkDelivered(int64_t id, int64_t now) {
  return Settle(
      "UPDATE outbox SET delivered_at = ?2 WHERE id = ?1 AND delivered_at IS NULL AND dropped_at IS NULL", id,
      now, "");
}

Status Outbox::ScheduleRetry(int64_t id, int64_t next_attempt_ms, std::string_view error) {
  return Settle(
      "UPDATE outbox SET attempts = attempts + 1, next_attempt_ms = ?2, last_error = ?3 WHERE id = ?1 AND "
      "delivered_at IS NULL AND dropped_at IS NULL",
      id, next_attempt_ms, error);
}

Status Outbox::Drop(int64_t id, int64_t now, std::string_view reason) {
  return Settle(
      "UPDATE outbox SET attempts = attempts + 1, dropped_at = ?2, drop_reason = ?3, last_error = ?3 WHERE "
      "id "
      "= ?1 AND delivered_at IS NULL AND dropped_at IS NULL",
      id, now, reason);
}

Result<QueueState> Outbox::Queue(std::string_view sink) {
  Result<Statement> stmt = db_.Prepare(
      "SELECT count(*), coalesce(min(created_at), 0) FROM outbox WHERE sink = ?1 AND delivered_at IS NULL "
      "AND "
      "dropped_at IS NULL");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, sink);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.error();
  return QueueState{.messages = static_cast<uint64_t>(stmt->Int(0)), .oldest_created_at = stmt->Int(1)};
}

}  // namespace imawatch::store
