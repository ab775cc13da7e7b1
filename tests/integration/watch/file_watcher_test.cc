#include "monitor/watch/file_watcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/testing/paths.h"

namespace imawatch::watch {
namespace {

using namespace std::chrono_literals;
using Tags = std::vector<std::string>;
namespace fs = std::filesystem;

constexpr auto kDebounce = 100ms;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

class FileWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("watch");
    auto w = FileWatcher::Create(kDebounce);
    ASSERT_TRUE(w.ok()) << w.error().ToString();
    watcher_ = std::move(*w);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Polls until something is reported or `limit` passes; a change must show within it.
  Tags Next(std::chrono::milliseconds limit = 3s) {
    auto tags = watcher_->Poll(limit);
    EXPECT_TRUE(tags.ok()) << tags.error().ToString();
    return tags.ok() ? *tags : Tags{};
  }
  // Nothing more is reported within a few debounce periods.
  void ExpectQuiet() { EXPECT_EQ(Next(4 * kDebounce), Tags{}); }

  std::string dir_;
  std::unique_ptr<FileWatcher> watcher_;
};

TEST_F(FileWatcherTest, WriteInPlace) {
  WriteFile(dir_ + "/config.yaml", "a: 1\n");
  ASSERT_TRUE(watcher_->Watch(dir_ + "/config.yaml", "config").ok());
  ExpectQuiet();
  WriteFile(dir_ + "/config.yaml", "a: 2\n");
  EXPECT_EQ(Next(), Tags{"config"});
  ExpectQuiet();
}

TEST_F(FileWatcherTest, OtherFilesInTheDirectoryAreIgnored) {
  WriteFile(dir_ + "/config.yaml", "a: 1\n");
  ASSERT_TRUE(watcher_->Watch(dir_ + "/config.yaml", "config").ok());
  WriteFile(dir_ + "/other", "x");
  fs::rename(dir_ + "/other", dir_ + "/other2");
  ExpectQuiet();
}

TEST_F(FileWatcherTest, RenameOver) {
  WriteFile(dir_ + "/allow.list", "old");
  ASSERT_TRUE(watcher_->Watch(dir_ + "/allow.list", "allow").ok());
  WriteFile(dir_ + "/.allow.list.swp", "new");
  ExpectQuiet();
  fs::rename(dir_ + "/.allow.list.swp", dir_ + "/allow.list");
  EXPECT_EQ(Next(), Tags{"allow"});
  // The new file is watched as well as the old one was.
  WriteFile(dir_ + "/allow.list", "newer");
  EXPECT_EQ(Next(), Tags{"allow"});
}

TEST_F(FileWatcherTest, DeleteAndRecreate) {
  WriteFile(dir_ + "/cert.der", "1");
  ASSERT_TRUE(watcher_->Watch(dir_ + "/cert.der", "certs").ok());
  fs::remove(dir_ + "/cert.der");
  EXPECT_EQ(Next(), Tags{"certs"});
  WriteFile(dir_ + "/cert.der", "2");
  EXPECT_EQ(Next(), Tags{"certs"});
}

TEST_F(FileWatcherTest, FileCreatedLater) {
  ASSERT_TRUE(watcher_->Watch(dir_ + "/not-yet", "late").ok());
  ExpectQuiet();
  WriteFile(dir_ + "/not-yet", "here");
  EXPECT_EQ(Next(), Tags{"late"});
}

TEST_F(FileWatcherTest, ChmodCounts) {
  WriteFile(dir_ + "/token", "secret");
  ASSERT_TRUE(watcher_->Watch(dir_ + "/token", "token").ok());
  fs::permissions(dir_ + "/token", fs::perms::owner_read);
  EXPECT_EQ(Next(), Tags{"token"});
}

// What the kubelet does: files are symlinks through ..data, which is swapped atomically to a
// new timestamped directory; the old one is then removed.
TEST_F(FileWatcherTest, ConfigMapDataSwap) {
  auto publish = [&](const std::string& version, const std::string& text) {
    fs::create_directory(dir_ + "/" + version);
    WriteFile(dir_ + "/" + version + "/config.yaml", text);
    fs::create_directory_symlink(version, dir_ + "/..data_tmp");
    fs::rename(dir_ + "/..data_tmp", dir_ + "/..data");
  };
  publish("..2024_01_01_00_00_00.1", "v: 1\n");
  fs::create_symlink("..data/config.yaml", dir_ + "/config.yaml");
  ASSERT_TRUE(watcher_->Watch(dir_ + "/config.yaml", "config").ok());
  ExpectQuiet();

  publish("..2024_01_01_00_01_00.2", "v: 2\n");
  fs::remove_all(dir_ + "/..2024_01_01_00_00_00.1");
  EXPECT_EQ(Next(), Tags{"config"});
  EXPECT_EQ(testing::ReadFileOrDie(dir_ + "/config.yaml"), "v: 2\n");
  ExpectQuiet();
}

TEST_F(FileWatcherTest, DebounceCoalescesABurst) {
  // A long debounce against short gaps, so a slow machine still writes one burst.
  constexpr auto kLong = 400ms;
  auto w = FileWatcher::Create(kLong);
  ASSERT_TRUE(w.ok());
  std::unique_ptr<FileWatcher> watcher = std::move(*w);
  WriteFile(dir_ + "/config.yaml", "0");
  ASSERT_TRUE(watcher->Watch(dir_ + "/config.yaml", "config").ok());
  for (int i = 0; i < 10; ++i) {
    WriteFile(dir_ + "/config.yaml", std::to_string(i));
    std::this_thread::sleep_for(20ms);
  }
  auto last_write = std::chrono::steady_clock::now();
  EXPECT_EQ(*watcher->Poll(0ms), Tags{});
  EXPECT_EQ(*watcher->Poll(3s), Tags{"config"});
  EXPECT_GE(std::chrono::steady_clock::now() - last_write, kLong - 30ms);
  EXPECT_EQ(*watcher->Poll(2 * kLong), Tags{});
}

TEST_F(FileWatcherTest, TagsAreReportedOnceAndSorted) {
  ASSERT_TRUE(watcher_->Watch(dir_ + "/a.list", "allow").ok());
  ASSERT_TRUE(watcher_->Watch(dir_ + "/b.list", "allow").ok());
  ASSERT_TRUE(watcher_->Watch(dir_ + "/a.list", "allow").ok());  // again: no effect
  ASSERT_TRUE(watcher_->Watch(dir_ + "/config.yaml", "config").ok());
  WriteFile(dir_ + "/config.yaml", "x");
  WriteFile(dir_ + "/a.list", "x");
  WriteFile(dir_ + "/b.list", "x");
  EXPECT_EQ(Next(), (Tags{"allow", "config"}));
  ExpectQuiet();
}

TEST_F(FileWatcherTest, WatchesInSeveralDirectories) {
  fs::create_directory(dir_ + "/etc");
  fs::create_directory(dir_ + "/lists");
  ASSERT_TRUE(watcher_->Watch(dir_ + "/etc/config.yaml", "config").ok());
  ASSERT_TRUE(watcher_->Watch(dir_ + "/lists/a.list", "allow").ok());
  WriteFile(dir_ + "/lists/a.list", "x");
  EXPECT_EQ(Next(), Tags{"allow"});
  WriteFile(dir_ + "/etc/config.yaml", "x");
  EXPECT_EQ(Next(), Tags{"config"});
}

TEST_F(FileWatcherTest, ADirectoryPathWatchesEveryEntry) {
  fs::create_directory(dir_ + "/benchmarks");
  ASSERT_TRUE(watcher_->Watch(dir_ + "/benchmarks", "benchmarks").ok());
  WriteFile(dir_ + "/benchmarks/new.yaml", "x");
  EXPECT_EQ(Next(), Tags{"benchmarks"});
}

TEST_F(FileWatcherTest, TimeoutIsRespected) {
  ASSERT_TRUE(watcher_->Watch(dir_ + "/config.yaml", "config").ok());
  for (auto timeout : {0ms, 50ms, 300ms}) {
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(Next(timeout), Tags{});
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, timeout);
    EXPECT_LT(took, timeout + 100ms);
  }
  // A change inside the debounce does not hold Poll past its timeout.
  WriteFile(dir_ + "/config.yaml", "x");
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Next(kDebounce / 5), Tags{});
  EXPECT_LT(std::chrono::steady_clock::now() - start, kDebounce / 5 + 100ms);
  EXPECT_EQ(Next(), Tags{"config"});
}

TEST_F(FileWatcherTest, MissingDirectoryIsAnError) {
  Status s = watcher_->Watch(dir_ + "/nope/config.yaml", "config");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(s.error().message().find("/nope"), std::string::npos) << s.error().message();
  EXPECT_FALSE(watcher_->Watch("", "x").ok());
  EXPECT_FALSE(watcher_->Watch(dir_ + "/nope/", "x").ok());
}

TEST_F(FileWatcherTest, RelativePathIsInTheWorkingDirectory) {
  auto cwd = fs::current_path();
  fs::current_path(dir_);
  Status s = watcher_->Watch("config.yaml", "config");
  fs::current_path(cwd);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  WriteFile(dir_ + "/config.yaml", "x");
  EXPECT_EQ(Next(), Tags{"config"});
}

TEST_F(FileWatcherTest, ClearForgetsWatches) {
  ASSERT_TRUE(watcher_->Watch(dir_ + "/config.yaml", "config").ok());
  watcher_->Clear();
  WriteFile(dir_ + "/config.yaml", "x");
  ExpectQuiet();
  ASSERT_TRUE(watcher_->Watch(dir_ + "/config.yaml", "config2").ok());
  WriteFile(dir_ + "/config.yaml", "y");
  EXPECT_EQ(Next(), Tags{"config2"});
}

TEST_F(FileWatcherTest, DirectoryRemovedReportsItsFiles) {
  fs::create_directory(dir_ + "/etc");
  ASSERT_TRUE(watcher_->Watch(dir_ + "/etc/config.yaml", "config").ok());
  fs::remove_all(dir_ + "/etc");
  EXPECT_EQ(Next(), Tags{"config"});
  ExpectQuiet();
}

// A queue overflow loses events, so every tag is reported.
TEST_F(FileWatcherTest, QueueOverflowReportsEveryTag) {
  std::ifstream limit_file("/proc/sys/fs/inotify/max_queued_events");
  long limit = 0;
  limit_file >> limit;
  if (limit <= 0 || limit > 100000) GTEST_SKIP() << "max_queued_events is " << limit;
  fs::create_directory(dir_ + "/busy");
  fs::create_directory(dir_ + "/quiet");
  ASSERT_TRUE(watcher_->Watch(dir_ + "/busy/x", "busy").ok());
  ASSERT_TRUE(watcher_->Watch(dir_ + "/quiet/config.yaml", "quiet").ok());
  // Distinct names: the kernel merges an event only into an identical one before it.
  for (long i = 0; i < limit + 10; ++i) WriteFile(dir_ + "/busy/f" + std::to_string(i), "");
  EXPECT_EQ(Next(), (Tags{"busy", "quiet"}));
}

}  // namespace
}  // namespace imawatch::watch
