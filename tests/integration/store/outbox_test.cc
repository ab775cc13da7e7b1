// The outbox as the sinks see it (schema 3): pending messages in order per sink, settled only
// once by delivery, retry or drop; finding events numbered per finding across batches and sinks.
#include "monitor/store/outbox.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "monitor/store/schema.h"
#include "monitor/store/store.h"
#include "tests/testing/paths.h"

namespace imawatch::store {
namespace {

using nlohmann::json;

struct Fixture {
  Store store;
  int64_t epoch;
};

Fixture Open() {
  auto store = Store::Open(testing::MakeTempDir("outbox") + "/s.db");
  EXPECT_TRUE(store.ok());
  auto epoch = store->EnterEpoch("sha256:aa", 100);
  EXPECT_TRUE(epoch.ok());
  return Fixture{.store = std::move(*store), .epoch = epoch->id};
}

Batch Events(int64_t epoch, uint64_t from, int64_t now, const std::vector<std::string>& keys) {
  Batch b{.epoch_id = epoch, .expected_entry_index = from, .now = now};
  b.cursor.entry_index = from + 1;
  b.cursor.byte_offset = from + 1;
  for (const char* sink : {"hook", "siem"}) {
    for (const std::string& key : keys) {
      b.outbox.push_back({.sink = sink, .payload = json{{"key", key}}.dump(), .finding_key = key});
    }
  }
  return b;
}

int64_t Sequence(const PendingMessage& m) { return json::parse(m.payload)["sequence"]; }

TEST(Outbox, SequencesNumberEachFindingsEventsAcrossBatchesAndSinks) {
  Fixture f = Open();
  ASSERT_TRUE(f.store.CommitBatch(Events(f.epoch, 0, 100, {"a", "b"})).ok());
  ASSERT_TRUE(f.store.CommitBatch(Events(f.epoch, 1, 101, {"a"})).ok());
  ASSERT_TRUE(f.store.CommitBatch(Events(f.epoch, 2, 102, {"a", "b", "c"})).ok());
  Outbox outbox(f.store.database());
  for (const char* sink : {"hook", "siem"}) {
    auto next = outbox.Next(sink, 100);
    ASSERT_TRUE(next.ok());
    std::vector<std::pair<std::string, int64_t>> got;
    for (const auto& m : *next) got.push_back({json::parse(m.payload)["key"], Sequence(m)});
    EXPECT_EQ(got, (std::vector<std::pair<std::string, int64_t>>{
                       {"a", 1}, {"b", 1}, {"a", 2}, {"a", 3}, {"b", 2}, {"c", 1}}))
        << sink;
  }
  // A new epoch numbers afresh.
  auto next_epoch = f.store.EnterEpoch("sha256:bb", 200);
  ASSERT_TRUE(next_epoch.ok());
  ASSERT_TRUE(f.store.CommitBatch(Events(next_epoch->id, 0, 200, {"a"})).ok());
  auto all = outbox.Next("hook", 100);
  EXPECT_EQ(Sequence(all->back()), 1);
}

TEST(Outbox, MessagesLeaveOnlyWhenDeliveredOrDropped) {
  Fixture f = Open();
  ASSERT_TRUE(f.store.CommitBatch(Events(f.epoch, 0, 100, {"a", "b", "c"})).ok());
  Outbox outbox(f.store.database());
  auto q = outbox.Queue("hook");
  EXPECT_EQ(q->messages, 3u);
  EXPECT_EQ(q->oldest_created_at, 100);
  auto next = outbox.Next("hook", 2);
  ASSERT_EQ(next->size(), 2u);
  const int64_t a = (*next)[0].id, b = (*next)[1].id;

  ASSERT_TRUE(outbox.ScheduleRetry(a, 5000, "network: refused").ok());
  ASSERT_TRUE(outbox.ScheduleRetry(a, 9000, "http_5xx: HTTP 503").ok());
  next = outbox.Next("hook", 1);
  EXPECT_EQ((*next)[0].id, a);  // still first: order is kept while it waits
  EXPECT_EQ((*next)[0].attempts, 2);
  EXPECT_EQ((*next)[0].next_attempt_ms, 9000);

  ASSERT_TRUE(outbox.MarkDelivered(a, 150).ok());
  ASSERT_TRUE(outbox.Drop(b, 151, "http_4xx: HTTP 400").ok());
  // Settled messages stay settled: a late retry or a second verdict changes nothing.
  ASSERT_TRUE(outbox.ScheduleRetry(a, 1, "late").ok());
  ASSERT_TRUE(outbox.MarkDelivered(b, 152).ok());
  next = outbox.Next("hook", 10);
  ASSERT_EQ(next->size(), 1u);
  EXPECT_NE((*next)[0].id, a);
  EXPECT_EQ(*f.store.CountPendingOutbox(), 4u);  // 1 of hook + 3 of siem
  EXPECT_EQ(outbox.Queue("hook")->messages, 1u);
  EXPECT_EQ(outbox.Queue("nobody")->messages, 0u);
  EXPECT_EQ(outbox.Queue("nobody")->oldest_created_at, 0);

  auto row = f.store.database().Prepare(
      "SELECT delivered_at, dropped_at, drop_reason, attempts FROM outbox WHERE id = ?1");
  row->Bind(1, b);
  ASSERT_TRUE(*row->Step());
  EXPECT_TRUE(row->IsNull(0));
  EXPECT_EQ(row->Int(1), 151);
  EXPECT_EQ(row->Text(2), "http_4xx: HTTP 400");
  EXPECT_EQ(row->Int(3), 1);

  // Retention removes settled rows past the window, never pending ones.
  auto removed = f.store.ApplyRetention(Retention{.delivered_outbox = 10}, 1000);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->outbox, 2u);
  EXPECT_EQ(*f.store.CountPendingOutbox(), 4u);
}

TEST(Outbox, MigrationNumbersMessagesQueuedBeforeSequencesExisted) {
  const std::string path = testing::MakeTempDir("outbox-v2") + "/s.db";
  {
    auto db = Database::Open(path);
    ASSERT_TRUE(db.ok());
    for (size_t step = 0; step < 2; ++step) ASSERT_TRUE(db->Exec(MigrationSteps()[step]).ok());
    ASSERT_TRUE(
        db->Exec("PRAGMA application_id = " + std::to_string(kApplicationId) + "; PRAGMA user_version = 2")
            .ok());
    ASSERT_TRUE(
        db->Exec("INSERT INTO outbox (sink, payload, created_at) VALUES ('hook', '{\"key\":\"a\"}', 1), "
                 "('hook', 'not json', 1), ('hook', '{\"key\":\"b\"}', 1)")
            .ok());
  }
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  auto next = Outbox(store->database()).Next("hook", 10);
  ASSERT_EQ(next->size(), 3u);
  EXPECT_EQ(Sequence((*next)[0]), 1);
  EXPECT_EQ((*next)[1].payload, "not json");
  EXPECT_EQ(Sequence((*next)[2]), 3);
}

}  // namespace
}  // namespace imawatch::store
