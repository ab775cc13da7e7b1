// LogTail on plain files standing in for securityfs: it reads each entry once as the list
// grows, waits for entries still being written, and starts a new epoch when the list is not
// the one it read (shorter, another boot_aggregate), or reports a rewrite when entries it read
// changed. Lists come from tests/testing/ima_log_builder (not the product's entry writer).
#include "monitor/ima/log_tail.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "monitor/ima/fields.h"
#include "tests/testing/ima_log_builder.h"
#include "tests/testing/paths.h"

namespace imawatch::ima {
namespace {

using testing::FileMeasurement;
using testing::ImaLogBuilder;

// A list of n entries (boot_aggregate + measurements) from the test builder.
std::vector<uint8_t> BuildList(size_t n, uint8_t firmware = 0) {
  ImaLogBuilder builder;
  if (firmware != 0) {
    PcrValues boot;
    for (HashAlgo b : {HashAlgo::kSha1, HashAlgo::kSha256, HashAlgo::kSha384, HashAlgo::kSha512}) {
      for (uint32_t i = 0; i < 10; ++i) boot.Set(b, i, Digest::Filled(b, firmware));
    }
    builder.SetBootPcrs(boot);
  }
  builder.AddBootAggregate();
  for (size_t i = 1; i < n; ++i) {
    FileMeasurement m{.path = "/usr/bin/tool-" + std::to_string(i)};
    m.digest.assign(32, static_cast<uint8_t>(i));
    builder.AddMeasurement(m);
  }
  return {builder.bytes().begin(), builder.bytes().end()};
}

// Byte offsets of each entry's end in a list.
std::vector<size_t> EntryEnds(const std::vector<uint8_t>& list) {
  auto file = NewMemoryFile("list", list);
  BinaryLogReader reader(*file, {});
  std::vector<size_t> ends;
  for (;;) {
    auto batch = reader.Next();
    EXPECT_TRUE(batch.ok());
    if (!batch.ok() || batch->empty()) break;
    for (const auto& e : *batch) ends.push_back(e.offset + e.size);
  }
  return ends;
}

class LogTailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("logtail");
    path_ = LogTail::ListPath(dir_);
    std::filesystem::create_directories(dir_ + "/ima");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(std::span<const uint8_t> bytes, bool append) {
    std::ofstream out(path_, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  // Replaces the file by rename, as a new list appears after a reboot.
  void Replace(std::span<const uint8_t> bytes) {
    std::string temp = path_ + ".new";
    {
      std::ofstream out(temp, std::ios::binary);
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    std::filesystem::rename(temp, path_);
  }
  std::unique_ptr<LogTail> Open() {
    auto tail = LogTail::Open(Env::Default(), path_);
    EXPECT_TRUE(tail.ok()) << tail.error().ToString();
    return tail.ok() ? std::move(*tail) : nullptr;
  }
  // Indexes of every entry available now.
  std::vector<uint64_t> ReadAll(LogTail& tail) {
    std::vector<uint64_t> indexes;
    for (;;) {
      auto batch = tail.Next(7);
      EXPECT_TRUE(batch.ok()) << batch.error().ToString();
      if (!batch.ok() || batch->empty()) return indexes;
      for (const auto& e : *batch) indexes.push_back(e.index);
    }
  }
  static std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
    std::vector<uint64_t> out;
    for (uint64_t i = first; i <= last; ++i) out.push_back(i);
    return out;
  }
  LogTail::Change Sync(LogTail& tail) {
    auto s = tail.Sync();
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    return s.ok() ? s->change : LogTail::Change::kNone;
  }

  std::string dir_, path_;
};

TEST_F(LogTailTest, ReadsEachEntryOnceAsTheListGrows) {
  std::vector<uint8_t> list = BuildList(40);
  std::vector<size_t> ends = EntryEnds(list);
  Write(std::span(list).first(ends[9]), false);
  auto tail = Open();
  EXPECT_EQ(ReadAll(*tail), Range(0, 9));
  EXPECT_EQ(ReadAll(*tail), std::vector<uint64_t>{});
  ASSERT_TRUE(tail->boot_aggregate());
  EXPECT_EQ(tail->boot_aggregate()->algo, HashAlgo::kSha256);
  uint64_t next = 10;
  for (size_t upto : {size_t{10}, size_t{25}, size_t{39}}) {
    size_t from = tail->position().byte_offset;
    Write(std::span(list).subspan(from, ends[upto] - from), true);
    EXPECT_EQ(Sync(*tail), LogTail::Change::kNone);
    EXPECT_EQ(ReadAll(*tail), Range(next, upto));
    next = upto + 1;
  }
  EXPECT_EQ(tail->position().entry_index, 40u);
  EXPECT_EQ(tail->position().byte_offset, list.size());
  EXPECT_EQ(tail->epoch(), 1u);
}

TEST_F(LogTailTest, AnEntryStillBeingWrittenIsReadOnceComplete) {
  std::vector<uint8_t> list = BuildList(12);
  std::vector<size_t> ends = EntryEnds(list);
  Write(std::span(list).first(ends[4]), false);
  auto tail = Open();
  EXPECT_EQ(ReadAll(*tail), Range(0, 4));
  // Every byte of entry 5 but the last, one write at a time: nothing to read yet.
  for (size_t at = ends[4]; at + 1 < ends[5]; at += 3) {
    Write(std::span(list).subspan(at, std::min<size_t>(3, ends[5] - 1 - at)), true);
    EXPECT_EQ(Sync(*tail), LogTail::Change::kNone);
    EXPECT_EQ(ReadAll(*tail), std::vector<uint64_t>{});
    EXPECT_EQ(tail->position().entry_index, 5u);
  }
  Write(std::span(list).subspan(ends[5] - 1), true);
  EXPECT_EQ(Sync(*tail), LogTail::Change::kNone);
  EXPECT_EQ(ReadAll(*tail), Range(5, 11));
}

TEST_F(LogTailTest, AShorterListIsANewEpochReadFromEntryZero) {
  std::vector<uint8_t> list = BuildList(30);
  std::vector<size_t> ends = EntryEnds(list);
  Write(list, false);
  auto tail = Open();
  EXPECT_EQ(ReadAll(*tail).size(), 30u);
  Write(std::span(list).first(ends[7]), false);  // truncated in place: a new boot's list
  auto sync = tail->Sync();
  ASSERT_TRUE(sync.ok());
  EXPECT_EQ(sync->change, LogTail::Change::kNewEpoch);
  EXPECT_NE(sync->reason.find("shorter"), std::string::npos) << sync->reason;
  EXPECT_EQ(tail->epoch(), 2u);
  EXPECT_EQ(ReadAll(*tail), Range(0, 7));
  EXPECT_EQ(Sync(*tail), LogTail::Change::kNone);
}

TEST_F(LogTailTest, ANewBootAggregateIsANewEpochEvenWhenTheListIsLonger) {
  std::vector<uint8_t> first = BuildList(5);
  Write(first, false);
  auto tail = Open();
  EXPECT_EQ(ReadAll(*tail), Range(0, 4));
  const Digest old_aggregate = *tail->boot_aggregate();
  Replace(BuildList(9, 0x5a));  // another firmware state: another boot_aggregate
  auto sync = tail->Sync();
  ASSERT_TRUE(sync.ok());
  EXPECT_EQ(sync->change, LogTail::Change::kNewEpoch);
  EXPECT_NE(sync->reason.find("boot_aggregate"), std::string::npos) << sync->reason;
  EXPECT_EQ(ReadAll(*tail), Range(0, 8));
  ASSERT_TRUE(tail->boot_aggregate());
  EXPECT_NE(*tail->boot_aggregate(), old_aggregate);
  EXPECT_EQ(tail->epoch(), 2u);
}

TEST_F(LogTailTest, AnEditOfAnEntryAlreadyReadIsARewrite) {
  std::vector<uint8_t> list = BuildList(20);
  std::vector<size_t> ends = EntryEnds(list);
  Write(list, false);
  auto tail = Open();
  EXPECT_EQ(ReadAll(*tail).size(), 20u);
  list[ends[11] - 3] ^= 0x01;  // inside entry 12's file name
  {
    std::fstream f(path_, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(ends[11] - 3));
    f.put(static_cast<char>(list[ends[11] - 3]));
  }
  auto sync = tail->Sync();
  ASSERT_TRUE(sync.ok());
  EXPECT_EQ(sync->change, LogTail::Change::kRewritten);
  EXPECT_EQ(tail->epoch(), 1u);  // the caller decides whether it is a new boot
  EXPECT_EQ(ReadAll(*tail), Range(0, 19));
}

TEST_F(LogTailTest, AFileReplacedByTheSameBytesIsReadOnFromWhereItWas) {
  std::vector<uint8_t> list = BuildList(15);
  std::vector<size_t> ends = EntryEnds(list);
  Write(std::span(list).first(ends[9]), false);
  auto tail = Open();
  EXPECT_EQ(ReadAll(*tail), Range(0, 9));
  Replace(list);
  EXPECT_EQ(Sync(*tail), LogTail::Change::kNone);
  EXPECT_EQ(ReadAll(*tail), Range(10, 14));
}

TEST_F(LogTailTest, AMissingListIsAnError) {
  auto tail = LogTail::Open(Env::Default(), dir_ + "/ima/nothing");
  ASSERT_FALSE(tail.ok());
  EXPECT_EQ(tail.error().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace imawatch::ima
