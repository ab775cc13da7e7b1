// Store on a real SQLite file: schema migrations, reopening, refusing newer or foreign or damaged
// files, and batches that commit whole or not at all.
#include "monitor/store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "monitor/store/schema.h"
#include "tests/testing/paths.h"

namespace imawatch::store {
namespace {

using imawatch::testing::MakeTempDir;

constexpr const char* kAggregate = "0123456789abcdef0123456789abcdef01234567";

// Runs SQL on the file through a plain connection, outside the Store.
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string message = err != nullptr ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

std::set<std::string> Tables(Store& store) {
  std::set<std::string> names;
  Result<Statement> stmt = store.database().Prepare("SELECT name FROM sqlite_schema WHERE type = 'table'");
  EXPECT_TRUE(stmt.ok());
  while (stmt.ok()) {
    Result<bool> row = stmt->Step();
    if (!row.ok() || !*row) break;
    names.insert(stmt->Text(0));
  }
  return names;
}

std::string SchemaSql(Store& store) {
  Result<Statement> stmt = store.database().Prepare("SELECT group_concat(sql, ';') FROM sqlite_schema");
  EXPECT_TRUE(stmt.ok());
  if (!stmt.ok()) return {};
  Result<bool> row = stmt->Step();
  EXPECT_TRUE(row.ok() && *row);
  return stmt->Text(0);
}

ProvedEntry Entry(uint64_t index) {
  return ProvedEntry{.entry_index = index,
                     .pcr = 10,
                     .template_name = "ima-ng",
                     .digest_algo = "sha256",
                     .digest_hex = std::string(64, 'a'),
                     .path = "/usr/bin/file" + std::to_string(index)};
}

Batch MakeBatch(int64_t epoch, uint64_t from, uint64_t count, int64_t now) {
  Batch b{.epoch_id = epoch, .expected_entry_index = from, .now = now};
  for (uint64_t i = from; i < from + count; ++i) b.entries.push_back(Entry(i));
  b.cursor = Cursor{.entry_index = from + count,
                    .byte_offset = (from + count) * 100,
                    .proved_entries = from + count,
                    .replay_state = {1, 2, 3, static_cast<uint8_t>(from + count)}};
  return b;
}

TEST(Store, MigratesAnEmptyFile) {
  std::string path = MakeTempDir("store-empty") + "/imawatch.db";
  Result<Store> store = Store::Open(path);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  Result<int64_t> version = store->SchemaVersion();
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, CurrentSchemaVersion());
  EXPECT_EQ(*store->database().QueryInt("PRAGMA application_id"), kApplicationId);
  EXPECT_EQ(*store->database().QueryText("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*store->database().QueryInt("PRAGMA synchronous"), 2);  // FULL
  EXPECT_EQ(*store->database().QueryInt("PRAGMA foreign_keys"), 1);
  std::set<std::string> want = {"epochs",           "cursors",          "proved_entries", "drift_findings",
                                "verdicts",         "quotes",           "outbox",         "batches",
                                "report_snapshots", "finding_sequences", "policy_loads"};
  EXPECT_EQ(Tables(*store), want);
  EXPECT_EQ(*store->IntegrityCheck(), "ok");
}

TEST(Store, PolicyLoadsLatestPerOutcomeAndCounts) {
  std::string path = MakeTempDir("store-policy") + "/imawatch.db";
  Result<Store> store = Store::Open(path);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_FALSE(store->LatestPolicyLoad("loaded")->has_value());
  PolicyLoad first{.loaded_at = 100,
                   .outcome = "loaded",
                   .source = "/etc/ima/a.policy",
                   .digest = "sha256:aa",
                   .rules = 3,
                   .kernel = "6.1",
                   .policy = "measure func=BPRM_CHECK\n"};
  ASSERT_TRUE(store->RecordPolicyLoad(first).ok());
  PolicyLoad rejected = first;
  rejected.loaded_at = 200;
  rejected.outcome = "rejected";
  rejected.kernel_message = "Invalid argument\nima: policy update failed";
  ASSERT_TRUE(store->RecordPolicyLoad(rejected).ok());
  PolicyLoad second = first;
  second.loaded_at = 300;
  second.digest = "sha256:bb";
  second.rules = 5;
  ASSERT_TRUE(store->RecordPolicyLoad(second).ok());
  PolicyLoad bad = first;
  bad.outcome = "maybe";
  EXPECT_FALSE(store->RecordPolicyLoad(bad).ok()) << "the outcome is CHECK-ed";

  auto latest = store->LatestPolicyLoad("loaded");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->digest, "sha256:bb");
  EXPECT_EQ((*latest)->rules, 5);
  EXPECT_EQ((*latest)->loaded_at, 300);
  EXPECT_EQ((*latest)->policy, "measure func=BPRM_CHECK\n");
  EXPECT_EQ((*store->LatestPolicyLoad("rejected"))->kernel_message,
            "Invalid argument\nima: policy update failed");
  EXPECT_EQ(*store->CountPolicyLoads(), (std::map<std::string, uint64_t>{{"loaded", 2}, {"rejected", 1}}));
  // Retention never removes them.
  ASSERT_TRUE(store->ApplyRetention(Retention{}, 1'000'000'000).ok());
  EXPECT_EQ(*store->CountPolicyLoads(), (std::map<std::string, uint64_t>{{"loaded", 2}, {"rejected", 1}}));
}

TEST(Store, ReopenIsIdempotent) {
  std::string path = MakeTempDir("store-reopen") + "/imawatch.db";
  std::string schema;
  int64_t epoch_id = 0;
  {
    Result<Store> store = Store::Open(path);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    Result<Epoch> epoch = store->EnterEpoch(kAggregate, 100);
    ASSERT_TRUE(epoch.ok()) << epoch.error().ToString();
    epoch_id = epoch->id;
    Status committed = store->CommitBatch(MakeBatch(epoch_id, 0, 5, 101));
    ASSERT_TRUE(committed.ok()) << committed.error().ToString();
    schema = SchemaSql(*store);
  }
  for (int i = 0; i < 3; ++i) {
    Result<Store> store = Store::Open(path);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    EXPECT_EQ(*store->SchemaVersion(), CurrentSchemaVersion());
    EXPECT_EQ(SchemaSql(*store), schema);
    Result<Epoch> epoch = store->EnterEpoch(kAggregate, 200);  // same boot: same epoch
    ASSERT_TRUE(epoch.ok());
    EXPECT_EQ(epoch->id, epoch_id);
    EXPECT_EQ(epoch->first_seen, 100);
    Result<Cursor> cursor = store->LoadCursor(epoch_id);
    ASSERT_TRUE(cursor.ok());
    EXPECT_EQ(cursor->entry_index, 5u);
    EXPECT_EQ(cursor->replay_state, (std::vector<uint8_t>{1, 2, 3, 5}));
    EXPECT_EQ(*store->CountProvedEntries(epoch_id), 5u);
  }
}

TEST(Store, ANewBootAggregateClosesTheEpoch) {
  std::string path = MakeTempDir("store-epoch") + "/imawatch.db";
  Result<Store> store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  Result<Epoch> first = store->EnterEpoch(kAggregate, 100);
  ASSERT_TRUE(first.ok());
  Result<Epoch> second = store->EnterEpoch(std::string(40, 'b'), 300);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(first->id, second->id);
  Result<std::optional<Epoch>> current = store->CurrentEpoch();
  ASSERT_TRUE(current.ok() && current->has_value());
  EXPECT_EQ((*current)->id, second->id);
  Result<Statement> closed = store->database().Prepare("SELECT closed_at FROM epochs WHERE id = ?1");
  ASSERT_TRUE(closed.ok());
  closed->Bind(1, first->id);
  ASSERT_TRUE(*closed->Step());
  EXPECT_EQ(closed->Int(0), 300);
  EXPECT_EQ(store->LoadCursor(second->id)->entry_index, 0u);
}

TEST(Store, RefusesANewerSchema) {
  std::string path = MakeTempDir("store-newer") + "/imawatch.db";
  { ASSERT_TRUE(Store::Open(path).ok()); }
  RawExec(path, "PRAGMA user_version = " + std::to_string(CurrentSchemaVersion() + 7));
  Result<Store> store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind(), ErrorKind::kUnsupported);
  EXPECT_NE(store.error().message().find("newer"), std::string::npos) << store.error().ToString();
  EXPECT_NE(store.error().ToString().find(path), std::string::npos) << store.error().ToString();
  // Refused without touching it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(stmt, 0), CurrentSchemaVersion() + 7);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(Store, RefusesAnotherProgramsDatabase) {
  std::string path = MakeTempDir("store-foreign") + "/other.db";
  RawExec(path, "CREATE TABLE t (x INTEGER)");
  Result<Store> store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message().find("not an imawatch store"), std::string::npos)
      << store.error().ToString();
}

TEST(Store, ADamagedHeaderIsAClearError) {
  std::string dir = MakeTempDir("store-corrupt");
  for (std::streamoff offset : {0, 16}) {
    std::string path = dir + "/imawatch" + std::to_string(offset) + ".db";
    {
      Result<Store> store = Store::Open(path);
      ASSERT_TRUE(store.ok());
      Result<Epoch> epoch = store->EnterEpoch(kAggregate, 1);
      ASSERT_TRUE(epoch.ok());
      ASSERT_TRUE(store->CommitBatch(MakeBatch(epoch->id, 0, 3, 2)).ok());
    }
    {
      std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
      ASSERT_TRUE(f.good());
      f.seekp(offset);
      std::string junk(16, '\xff');
      f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    Result<Store> store = Store::Open(path);
    ASSERT_FALSE(store.ok()) << "offset " << offset;
    EXPECT_EQ(store.error().kind(), ErrorKind::kIo);
    EXPECT_NE(store.error().message().find("not a SQLite database"), std::string::npos)
        << store.error().ToString();
    EXPECT_NE(store.error().ToString().find(path), std::string::npos);
  }
  // Not a database at all.
  std::string garbage = dir + "/garbage.db";
  {
    std::ofstream f(garbage, std::ios::binary);
    for (int i = 0; i < 4096; ++i) f.put(static_cast<char>((i * 131 + 7) & 0xff));
  }
  Result<Store> store = Store::Open(garbage);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message().find("not a SQLite database"), std::string::npos)
      << store.error().ToString();
}

TEST(Store, AMissingDirectoryIsAnError) {
  Result<Store> store = Store::Open(MakeTempDir("store-missing") + "/no/such/dir/imawatch.db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind(), ErrorKind::kIo);
}

// Whatever fails inside a batch, nothing of it is visible afterwards and the store goes on.
TEST(Store, ABatchCommitsWholeOrNotAtAll) {
  std::string path = MakeTempDir("store-atomic") + "/imawatch.db";
  Result<Store> store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  Result<Epoch> epoch = store->EnterEpoch(kAggregate, 1);
  ASSERT_TRUE(epoch.ok());
  Batch first = MakeBatch(epoch->id, 0, 3, 10);
  first.findings_seen.push_back({.key = "k1", .subject = "1.1.1", .detail_json = R"({"n":1})"});
  first.outbox.push_back({.sink = "webhook", .payload = "{}"});
  ASSERT_TRUE(store->CommitBatch(first).ok());
  const Cursor before = *store->LoadCursor(epoch->id);

  auto expect_unchanged = [&](const char* what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(*store->LoadCursor(epoch->id), before);
    EXPECT_EQ(*store->CountProvedEntries(epoch->id), 3u);
    Result<std::vector<DriftFinding>> findings = store->Findings(true);
    ASSERT_TRUE(findings.ok());
    ASSERT_EQ(findings->size(), 1u);
    EXPECT_EQ((*findings)[0].last_seen, 10);
    EXPECT_EQ((*findings)[0].detail_json, R"({"n":1})");
    EXPECT_FALSE((*findings)[0].resolved_at.has_value());
    EXPECT_EQ(*store->CountPendingOutbox(), 1u);
    EXPECT_EQ(*store->IntegrityCheck(), "ok");
  };

  // A duplicate entry index midway: a primary-key violation after the cursor moved.
  Batch duplicate = MakeBatch(epoch->id, 3, 4, 20);
  duplicate.entries.insert(duplicate.entries.begin() + 2, Entry(3));
  duplicate.findings_seen.push_back({.key = "k1", .subject = "1.1.1", .detail_json = R"({"n":2})"});
  duplicate.outbox.push_back({.sink = "webhook", .payload = "{}"});
  Status failed = store->CommitBatch(duplicate);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind(), ErrorKind::kInvalidInput) << failed.error().ToString();
  expect_unchanged("duplicate entry");

  // The last statement of the batch fails (detail is not JSON): the entries before it go too.
  Batch bad_json = MakeBatch(epoch->id, 3, 4, 20);
  bad_json.findings_resolved.push_back("k1");
  bad_json.findings_seen.push_back({.key = "k2", .subject = "/usr/bin/x", .detail_json = "{not json"});
  ASSERT_FALSE(store->CommitBatch(bad_json).ok());
  expect_unchanged("invalid detail");

  // A batch computed from a stale cursor is refused, not applied twice.
  Status stale = store->CommitBatch(MakeBatch(epoch->id, 0, 3, 20));
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.error().message().find("stale batch"), std::string::npos);
  expect_unchanged("stale batch");

  // An epoch that does not exist: a foreign-key violation.
  ASSERT_FALSE(store->CommitBatch(MakeBatch(epoch->id + 100, 0, 2, 20)).ok());
  expect_unchanged("unknown epoch");

  // And the connection is fine afterwards.
  Batch next = MakeBatch(epoch->id, 3, 4, 30);
  next.findings_seen.push_back({.key = "k1", .subject = "1.1.1", .detail_json = R"({"n":3})"});
  Status ok = store->CommitBatch(next);
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(store->LoadCursor(epoch->id)->entry_index, 7u);
  EXPECT_EQ(*store->CountProvedEntries(epoch->id), 7u);
}

TEST(Store, FindingsOpenRefreshResolveAndReopen) {
  std::string path = MakeTempDir("store-findings") + "/imawatch.db";
  Result<Store> store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  Result<Epoch> epoch = store->EnterEpoch(kAggregate, 1);
  ASSERT_TRUE(epoch.ok());
  uint64_t at = 0;
  auto commit = [&](int64_t now, std::vector<FindingSeen> seen, std::vector<std::string> resolved) {
    Batch b = MakeBatch(epoch->id, at, 1, now);
    b.findings_seen = std::move(seen);
    b.findings_resolved = std::move(resolved);
    Status s = store->CommitBatch(b);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    ++at;
  };
  commit(10, {{.key = "drift:/etc/ssh/sshd_config", .subject = "5.2.1", .detail_json = "{}"}}, {});
  commit(20, {{.key = "drift:/etc/ssh/sshd_config", .subject = "5.2.1", .detail_json = R"({"x":1})"}}, {});
  Result<std::vector<DriftFinding>> open = store->Findings(false);
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].first_seen, 10);
  EXPECT_EQ((*open)[0].last_seen, 20);
  EXPECT_EQ((*open)[0].detail_json, R"({"x":1})");

  commit(30, {}, {"drift:/etc/ssh/sshd_config"});
  EXPECT_TRUE(store->Findings(false)->empty());
  commit(40, {{.key = "drift:/etc/ssh/sshd_config", .subject = "5.2.1", .detail_json = "{}"}}, {});
  Result<std::vector<DriftFinding>> all = store->Findings(true);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].resolved_at, std::optional<int64_t>(30));
  EXPECT_EQ((*all)[1].first_seen, 40);
  EXPECT_FALSE((*all)[1].resolved_at.has_value());
}

TEST(Store, BatchRangesRecordWhichEntriesEachCommitConsumed) {
  std::string path = MakeTempDir("store-batches") + "/imawatch.db";
  Result<Store> store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  Result<Epoch> epoch = store->EnterEpoch(kAggregate, 1);
  ASSERT_TRUE(epoch.ok());
  ASSERT_TRUE(store->CommitBatch(MakeBatch(epoch->id, 0, 3, 5)).ok());
  Batch findings_only = MakeBatch(epoch->id, 3, 0, 6);  // no entries consumed: no range
  findings_only.findings_seen.push_back({.key = "audit:x", .subject = "x", .detail_json = "{}"});
  ASSERT_TRUE(store->CommitBatch(findings_only).ok());
  ASSERT_TRUE(store->CommitBatch(MakeBatch(epoch->id, 3, 4, 7)).ok());
  Result<std::vector<BatchRange>> ranges = store->Batches(epoch->id);
  ASSERT_TRUE(ranges.ok());
  ASSERT_EQ(ranges->size(), 2u);
  EXPECT_EQ((*ranges)[0].first_entry, 0u);
  EXPECT_EQ((*ranges)[0].end_entry, 3u);
  EXPECT_EQ((*ranges)[1].first_entry, 3u);
  EXPECT_EQ((*ranges)[1].end_entry, 7u);
  EXPECT_EQ(store->ProvedEntries(epoch->id)->size(), 7u);
}

TEST(Store, ANewEpochResolvesTheOpenFindingsOfTheOldOne) {
  std::string path = MakeTempDir("store-epoch-findings") + "/imawatch.db";
  Result<Store> store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  Result<Epoch> first = store->EnterEpoch(kAggregate, 1);
  ASSERT_TRUE(first.ok());
  Batch b = MakeBatch(first->id, 0, 1, 2);
  b.findings_seen.push_back({.key = "drift:/a", .subject = "/a", .detail_json = "{}"});
  ASSERT_TRUE(store->CommitBatch(b).ok());
  // Same boot_aggregate, but the list shows a reboot: forced.
  Result<Epoch> second = store->EnterEpoch(kAggregate, 9, /*force_new=*/true);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->id, first->id);
  EXPECT_TRUE(store->Findings(false)->empty());
  EXPECT_EQ(store->Findings(true)->at(0).resolved_at, std::optional<int64_t>(9));
  EXPECT_EQ(store->LoadCursor(second->id)->entry_index, 0u);
}

TEST(Store, QuotesReportsAndVerdictHistory) {
  std::string path = MakeTempDir("store-history") + "/imawatch.db";
  Result<Store> store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  Result<Epoch> epoch = store->EnterEpoch(kAggregate, 1);
  ASSERT_TRUE(epoch.ok());
  EXPECT_FALSE(store->LatestQuote()->has_value());
  const std::vector<uint8_t> nonce = {1, 2, 3};
  ASSERT_TRUE(store->SaveQuote(epoch->id, nonce, R"({"q":1})", 10).ok());
  ASSERT_TRUE(store->SaveQuote(epoch->id, nonce, R"({"q":2})", 20).ok());
  EXPECT_EQ((*store->LatestQuote())->evidence_json, R"({"q":2})");
  EXPECT_EQ((*store->LatestQuote())->nonce, nonce);
  EXPECT_FALSE(store->SaveQuote(epoch->id, nonce, "not json", 30).ok());

  uint64_t at = 0;
  for (const char* result : {"error", "pass", "fail"}) {
    Batch batch = MakeBatch(epoch->id, at, 1, 100 + static_cast<int64_t>(at));
    ++at;
    batch.verdicts.push_back({.benchmark = "b", .recommendation = "4.1.1", .result = result});
    batch.reports.push_back({.benchmark = "b", .report_json = std::string(R"({"r":")") + result + "\"}"});
    ASSERT_TRUE(store->CommitBatch(batch).ok());
  }
  EXPECT_EQ(**store->LatestReport("b"), R"({"r":"fail"})");
  EXPECT_FALSE(store->LatestReport("other")->has_value());
  auto current = store->CurrentVerdicts(epoch->id);
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->at({"b", "4.1.1"}), "fail");
  auto history = store->VerdictHistory("b", "4.1.1");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].result, "error");
}

TEST(Store, RetentionBoundsHistoryButKeepsCurrentState) {
  std::string path = MakeTempDir("store-retention") + "/imawatch.db";
  Result<Store> store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  Result<Epoch> epoch = store->EnterEpoch(kAggregate, 1);
  ASSERT_TRUE(epoch.ok());
  const int64_t day = 86400;
  uint64_t at = 0;
  for (int i = 0; i < 100; ++i) {
    Batch batch = MakeBatch(epoch->id, at++, 1, i * day);
    batch.verdicts.push_back({.benchmark = "b", .recommendation = "r", .result = i % 2 ? "pass" : "fail"});
    batch.reports.push_back({.benchmark = "b", .report_json = "{}"});
    if (i == 10) batch.findings_seen.push_back({.key = "old", .subject = "s", .detail_json = "{}"});
    if (i == 11) batch.findings_resolved.push_back("old");
    if (i == 12) batch.findings_seen.push_back({.key = "open", .subject = "s", .detail_json = "{}"});
    ASSERT_TRUE(store->CommitBatch(batch).ok());
    ASSERT_TRUE(store->SaveQuote(epoch->id, std::vector<uint8_t>{1}, "{}", i * day).ok());
  }
  Retention r{.verdict_history = 30 * day,
              .resolved_findings = 30 * day,
              .quotes = 7 * day,
              .report_snapshots = 5,
              .delivered_outbox = 7 * day};
  auto removed = store->ApplyRetention(r, 100 * day);
  ASSERT_TRUE(removed.ok()) << removed.error().ToString();
  EXPECT_EQ(removed->verdicts, 70u);  // decided before day 70
  EXPECT_EQ(removed->findings, 1u);   // "old", resolved on day 11
  EXPECT_EQ(removed->reports, 95u);
  EXPECT_EQ(removed->quotes, 93u);  // before day 93
  EXPECT_EQ(store->VerdictHistory("b", "r")->size(), 30u);
  ASSERT_EQ(store->Findings(true)->size(), 1u);
  EXPECT_EQ(store->Findings(true)->at(0).key, "open");
  // The latest verdict survives any window.
  Retention tight = r;
  tight.verdict_history = 1;
  ASSERT_TRUE(store->ApplyRetention(tight, 1000 * day).ok());
  EXPECT_EQ(store->VerdictHistory("b", "r")->size(), 1u);
  EXPECT_EQ(store->CurrentVerdicts(epoch->id)->at({"b", "r"}), "pass");
  EXPECT_EQ(*store->IntegrityCheck(), "ok");
  EXPECT_GT(*store->SizeBytes(), 0u);
}

}  // namespace
}  // namespace imawatch::store
