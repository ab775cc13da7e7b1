// SIGKILL in the middle of committing: a child process commits batches in a loop and is killed at
// a random moment, again and again on the same file. Each time the database must open, pass
// integrity_check, and hold whole batches only: cursor == proved entries stored == one outbox
// message per batch, so no batch is lost or applied twice.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "monitor/store/store.h"
#include "tests/testing/paths.h"

namespace imawatch::store {
namespace {

constexpr uint64_t kBatchSize = 7;
constexpr const char* kAggregate = "feedfacefeedfacefeedfacefeedfacefeedface";

// The child: resume from the stored cursor and commit batches until killed. Exit codes say which
// step failed; the parent expects death by SIGKILL only.
[[noreturn]] void CommitForever(const std::string& path) {
  Result<Store> store = Store::Open(path);
  if (!store.ok()) _exit(10);
  Result<Epoch> epoch = store->EnterEpoch(kAggregate, 1);
  if (!epoch.ok()) _exit(11);
  for (int64_t now = 2;; ++now) {
    Result<Cursor> cursor = store->LoadCursor(epoch->id);
    if (!cursor.ok()) _exit(12);
    const uint64_t from = cursor->entry_index;
    Batch b{.epoch_id = epoch->id, .expected_entry_index = from, .now = now};
    for (uint64_t i = from; i < from + kBatchSize; ++i) {
      b.entries.push_back(ProvedEntry{.entry_index = i,
                                      .template_name = "ima-ng",
                                      .digest_algo = "sha256",
                                      .digest_hex = std::string(64, 'c'),
                                      .path = "/opt/app/bin" + std::to_string(i)});
    }
    const uint64_t to = from + kBatchSize;
    b.cursor = Cursor{.entry_index = to,
                      .byte_offset = to * 120,
                      .proved_entries = to,
                      .replay_state = std::vector<uint8_t>(64, static_cast<uint8_t>(to))};
    b.findings_seen.push_back({.key = "drift:" + std::to_string(to % 5),
                               .subject = "1.2.3",
                               .detail_json = "{\"to\":" + std::to_string(to) + "}"});
    b.outbox.push_back({.sink = "webhook", .payload = std::to_string(to)});
    if (!store->CommitBatch(b).ok()) _exit(13);
  }
}

TEST(StoreCrash, SigkillMidCommitLosesNoBatchAndDuplicatesNone) {
  const std::string path = imawatch::testing::MakeTempDir("store-crash") + "/imawatch.db";
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> delay_us(1000, 80000);
  uint64_t last = 0;
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) CommitForever(path);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child ended on its own, exit code " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);

    Result<Store> store = Store::Open(path);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    Result<std::string> check = store->IntegrityCheck();
    ASSERT_TRUE(check.ok()) << check.error().ToString();
    ASSERT_EQ(*check, "ok");
    Result<std::optional<Epoch>> epoch = store->CurrentEpoch();
    ASSERT_TRUE(epoch.ok());
    if (!epoch->has_value()) continue;  // killed before the first epoch committed
    Result<Cursor> cursor = store->LoadCursor((*epoch)->id);
    ASSERT_TRUE(cursor.ok());
    if (cursor->entry_index == 0) {  // killed before the first batch committed
      EXPECT_EQ(*store->CountProvedEntries((*epoch)->id), 0u);
      continue;
    }
    Result<uint64_t> stored = store->CountProvedEntries((*epoch)->id);
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(cursor->entry_index % kBatchSize, 0u);
    EXPECT_EQ(cursor->entry_index, *stored);
    EXPECT_EQ(cursor->proved_entries, *stored);
    EXPECT_EQ(cursor->byte_offset, *stored * 120);
    EXPECT_EQ(cursor->replay_state, std::vector<uint8_t>(64, static_cast<uint8_t>(cursor->entry_index)));
    EXPECT_EQ(*store->CountPendingOutbox(), cursor->entry_index / kBatchSize);
    EXPECT_GE(cursor->entry_index, last);
    // One open finding per key: upserts never duplicated a row.
    Result<std::vector<DriftFinding>> findings = store->Findings(false);
    ASSERT_TRUE(findings.ok());
    EXPECT_LE(findings->size(), 5u);
    last = cursor->entry_index;
  }
  RecordProperty("entries_committed", std::to_string(last));
  EXPECT_GT(last, 0u) << "no batch ever committed: the kill delays are too short to test anything";
}

}  // namespace
}  // namespace imawatch::store
