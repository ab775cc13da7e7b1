// kill -9 at random points, at least 100 times, while the simulator keeps appending: after the
// last restart every entry was processed exactly once (the stored batch ranges tile the list
// with no gap and no overlap) and every finding exists exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "monitor/store/store.h"
#include "tests/integration/daemon/daemon_node.h"

namespace imawatch {
namespace {

using nlohmann::json;
using testing::DaemonNode;
using testing::DaemonProcess;
using testing::HttpGet;
using testing::WaitUntil;
using namespace std::chrono_literals;

uint64_t ListEntries(const DaemonNode& node) {
  return std::stoull(testing::ReadFileOrDie(node.securityfs() + "/ima/runtime_measurements_count"));
}

TEST(DaemonCrash, SigkillAtRandomPointsLosesAndDuplicatesNothing) {
  DaemonNode node;
  ASSERT_EQ(node.Simulate({"init", "--template", "evm-sig"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "20"}).exit_code, 0);
  node.WriteAllowList(3000);
  node.WriteConfig("sinks:\n  - type: file\n    name: drop\n    dir: " + node.dir() + "/drop\n");

  std::atomic<bool> stop{false};
  std::atomic<int> unknown_execs{0};
  std::thread simulator([&] {
    for (int i = 1; !stop; ++i) {
      if (i % 4 == 0) {
        if (node.Simulate({"run", "--scenario", "unknown-exec", "--seed", std::to_string(1000 + i)})
                .exit_code == 0)
          ++unknown_execs;
      } else {
        node.Simulate({"run", "--scenario", "normal", "--entries", "6", "--burst", "3"});
      }
      std::this_thread::sleep_for(30ms);
    }
  });

  std::mt19937 rng(std::random_device{}());
#ifdef IMAWATCH_SANITIZED
  std::uniform_int_distribution<int> lifetime_ms(200, 2500);  // ASan: start-up alone takes ~0.5 s
#else
  std::uniform_int_distribution<int> lifetime_ms(50, 700);
#endif
  constexpr int kKills = 100;
  int progressed = 0;
  for (int round = 0; round < kKills; ++round) {
    DaemonProcess d(node.config());
    std::this_thread::sleep_for(std::chrono::milliseconds(lifetime_ms(rng)));
    if (d.Log().find("batch.commit") != std::string::npos) ++progressed;
    d.Signal(SIGKILL);
    EXPECT_EQ(d.Wait(), 128 + SIGKILL) << d.Log();
  }
  stop = true;
  simulator.join();
  EXPECT_GT(progressed, 10) << "the daemon rarely lived long enough to commit: the kills test little";

  const uint64_t total = ListEntries(node);
  DaemonProcess last(node.config());
  ASSERT_NE(last.Port(), 0) << last.Log();
  ASSERT_TRUE(WaitUntil(
      [&] {
        json s = json::parse(HttpGet(last.Port(), "/v1/status", node.token()).body, nullptr, false);
        return s.is_object() && s.value("state", "") == "verified" &&
               s.value("proved_entries", uint64_t{0}) == total;
      },
      60s))
      << HttpGet(last.Port(), "/v1/status", node.token()).body << last.Log();
  last.Signal(SIGTERM);
  ASSERT_EQ(last.Wait(), 0);

  auto store = store::Store::Open(node.store());
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ(*store->IntegrityCheck(), "ok");
  auto epoch = store->CurrentEpoch();
  ASSERT_TRUE(epoch.ok() && epoch->has_value());
  EXPECT_EQ((*epoch)->id, 1) << "a restart was taken for a reboot";
  auto batches = store->Batches((*epoch)->id);
  ASSERT_TRUE(batches.ok());
  uint64_t next = 0;
  for (const store::BatchRange& b : *batches) {
    EXPECT_EQ(b.first_entry, next) << "gap or overlap: entries processed twice or never";
    next = b.end_entry;
  }
  EXPECT_EQ(next, total);
  EXPECT_EQ(store->LoadCursor((*epoch)->id)->entry_index, total);
  RecordProperty("entries", std::to_string(total));
  RecordProperty("batches", std::to_string(batches->size()));

  auto findings = store->Findings(true);
  ASSERT_TRUE(findings.ok());
  std::map<std::string, int> rows;
  for (const auto& f : *findings) {
    ++rows[f.key];
    EXPECT_FALSE(f.resolved_at.has_value()) << f.key << ": nothing was resolved";
  }
  int drift = 0;
  for (const auto& [key, count] : rows) {
    EXPECT_EQ(count, 1) << key << " stored " << count << " times";
    if (key.rfind("drift:/tmp/.cache/kworker-", 0) == 0) ++drift;
  }
  EXPECT_EQ(drift, unknown_execs.load()) << "an unknown executable's finding was lost";
  EXPECT_EQ(rows.count("recommendation:cis-kubernetes-v1.7.1:4.1.1"), 1u);

  // The sink's outbox got each finding once, in the transaction that stored it.
  auto stmt = store->database().Prepare("SELECT payload FROM outbox WHERE sink = 'drop' ORDER BY id");
  ASSERT_TRUE(stmt.ok());
  std::map<std::string, int> messages;
  for (;;) {
    auto row = stmt->Step();
    ASSERT_TRUE(row.ok());
    if (!*row) break;
    json m = json::parse(stmt->Text(0));
    EXPECT_EQ(m["state"], "open") << m.dump();
    ++messages[m["key"].get<std::string>()];
  }
  EXPECT_EQ(messages.size(), rows.size());
  for (const auto& [key, count] : messages) EXPECT_EQ(count, 1) << key << " sent " << count << " times";
}

}  // namespace
}  // namespace imawatch
