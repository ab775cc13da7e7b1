// The sinks' side of the outbox: a sink reads its pending messages in order and settles each
// one: delivered (the sink confirmed it), retried later, or dropped with a reason. A message
// leaves the queue only by one of those two ends. doc/store-format.md, doc/sinks.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"
#include "monitor/store/sqlite.h"

namespace imawatch::store {

struct PendingMessage {
  int64_t id = 0;  // the delivery order
  std::string payload;
  int64_t created_at = 0;       // Unix seconds
  int64_t attempts = 0;         // failed attempts so far
  int64_t next_attempt_ms = 0;  // Unix milliseconds; 0 = at once
};

struct QueueState {
  uint64_t messages = 0;
  int64_t oldest_created_at = 0;  // 0 when empty
};

class Outbox {
 public:
  // db is a connection of its own (one per delivery thread); it must outlive the Outbox.
  explicit Outbox(Database& db) : db_(db) {}

  // The sink's oldest pending messages in delivery order, at most limit.
  Result<std::vector<PendingMessage>> Next(std::string_view sink, size_t limit);
  Status MarkDelivered(int64_t id, int64_t now);
  // One more failed attempt; the message waits until next_attempt_ms.
  Status ScheduleRetry(int64_t id, int64_t next_attempt_ms, std::string_view error);
  // One more failed attempt that no retry can fix (a 400): it leaves the queue with the reason.
  Status Drop(int64_t id, int64_t now, std::string_view reason);
  Result<QueueState> Queue(std::string_view sink);

 private:
  Status Settle(std::string_view sql, int64_t id, int64_t value, std::string_view text);

  Database& db_;
};

}  // namespace imawatch::store
