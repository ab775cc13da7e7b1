// The file drop: one file per event in DIR/YYYY/MM/DD, named by the event id, whole when it
// appears (a reader polling the directory never sees a partial file), and day directories past
// the retention removed.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/daemon/daemon_node.h"
#include "tests/integration/sinks/sink_test_util.h"

namespace imawatch {
namespace {

using nlohmann::json;
using testing::DaemonNode;
using testing::DaemonProcess;
using testing::WaitUntil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string Day(int64_t t) {
  const time_t when = static_cast<time_t>(t);
  std::tm tm{};
  gmtime_r(&when, &tm);
  char text[32];
  strftime(text, sizeof(text), "%Y/%m/%d", &tm);
  return text;
}

TEST(FileDropSink, AtomicDatePartitionedFilesWithRetention) {
  DaemonNode node;
  ASSERT_EQ(node.Simulate({"init", "--template", "ima-ng"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "10"}).exit_code, 0);
  node.WriteAllowList(3000);
  const std::string dir = node.dir() + "/drop";
  // An old day (past the 2-day retention) and yesterday's (kept).
  fs::create_directories(dir + "/2001/01/01");
  std::ofstream(dir + "/2001/01/01/old.json") << "{}\n";
  const std::string yesterday = Day(time(nullptr) - 86400);
  fs::create_directories(dir + "/" + yesterday);
  std::ofstream(dir + "/" + yesterday + "/recent.json") << "{}\n";
  node.WriteConfig("sinks:\n  - {type: file, name: drop, dir: " + dir + ", retention: 2d}\n");

  // A reader that parses every .json file as soon as it shows up.
  std::atomic<bool> stop{false};
  std::atomic<int> partial{0}, seen{0};
  std::thread reader([&] {
    while (!stop) {
      std::error_code ec;
      for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file(ec) || it->path().extension() != ".json" ||
            it->path().filename().string().starts_with("."))
          continue;
        std::ifstream in(it->path());
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!json::accept(text)) ++partial;
        ++seen;
      }
    }
  });

  DaemonProcess d(node.config());
  ASSERT_NE(d.Port(), 0) << d.Log();
  for (int i = 0; i < 12; ++i) {
    ASSERT_EQ(
        node.Simulate({"run", "--scenario", "drift", "--path", "/opt/f" + std::to_string(i % 4)}).exit_code,
        0);
    std::this_thread::sleep_for(100ms);
  }
  std::this_thread::sleep_for(1s);  // the last entries proved and committed
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto stored = testing::StoredOutbox(node.store(), "drop");
        return stored.size() >= 4 &&
               std::all_of(stored.begin(), stored.end(), [](const auto& m) { return m.delivered; });
      },
      30s))
      << d.Log();
  d.Signal(SIGTERM);
  ASSERT_EQ(d.Wait(), 0);
  stop = true;
  reader.join();

  const auto stored = testing::StoredOutbox(node.store(), "drop");
  for (const auto& m : stored) {
    const std::string path = dir + "/" + Day(m.event.time) + "/" + m.event.EventId() + ".json";
    ASSERT_TRUE(fs::exists(path)) << path;
    std::ifstream in(path);
    json body = json::parse(in);
    EXPECT_EQ(body["event_id"], m.event.EventId());
    EXPECT_EQ(body["finding_id"], m.event.FindingId());
    EXPECT_EQ(body["sequence"], m.event.sequence);
  }
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    EXPECT_FALSE(entry.path().filename().string().starts_with("."))
        << "a temporary file was left: " << entry.path();
    ++files;
  }
  EXPECT_EQ(files, stored.size() + 1);  // + yesterday's
  EXPECT_FALSE(fs::exists(dir + "/2001")) << "the old day was not removed";
  EXPECT_TRUE(fs::exists(dir + "/" + yesterday + "/recent.json"));
  EXPECT_EQ(partial.load(), 0) << "a reader saw a partial file";
  EXPECT_GT(seen.load(), 0);
  std::printf("file drop: %zu events, %zu files, the reader parsed %d times\n", stored.size(), files,
              seen.load());
}

}  // namespace
}  // namespace imawatch
