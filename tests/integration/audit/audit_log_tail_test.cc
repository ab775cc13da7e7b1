#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "monitor/audit/audit_log_parser.h"
#include "monitor/audit/audit_source.h"
#include "monitor/base/env.h"
#include "tests/testing/paths.h"

namespace imawatch::audit {
namespace {

std::string Record(uint64_t serial, const std::string& name) {
  return "type=INTEGRITY_DATA msg=audit(1718002920." + std::string("076") + ":" + std::to_string(serial) +
         "): pid=1 uid=0 auid=0 ses=1 op=appraise_data cause=invalid-hash comm=\"sh\" name=\"" + name +
         "\" res=0 errno=0\n";
}
const std::string kOther = "type=SYSCALL msg=audit(1718002920.076:1): arch=c000003e syscall=59 success=yes\n";

void Append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good());
}

std::vector<std::string> Paths(const std::vector<ImaAuditEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.path);
  return out;
}

std::vector<std::string> PollPaths(AuditSource& source) {
  auto events = source.Poll();
  EXPECT_TRUE(events.ok()) << events.error().ToString();
  return events.ok() ? Paths(*events) : std::vector<std::string>{"<error>"};
}

class AuditLogTailTest : public ::testing::Test {
 protected:
  std::unique_ptr<AuditSource> Open(bool from_start = false) {
    auto tail = OpenAuditLogTail(Env::Default(), path_, from_start);
    EXPECT_TRUE(tail.ok()) << tail.error().ToString();
    return tail.ok() ? std::move(*tail) : nullptr;
  }
  std::string dir_ = testing::MakeTempDir("audit_tail");
  std::string path_ = dir_ + "/audit.log";
};

TEST_F(AuditLogTailTest, StartsAtTheEndAndReturnsAppendedLines) {
  Append(path_, Record(1, "/old") + kOther);
  auto tail = Open();
  ASSERT_TRUE(tail);
  EXPECT_NE(tail->description().find(path_), std::string::npos);
  EXPECT_TRUE(PollPaths(*tail).empty());
  Append(path_, Record(2, "/a") + kOther + Record(3, "/b"));
  EXPECT_EQ(PollPaths(*tail), (std::vector<std::string>{"/a", "/b"}));
  EXPECT_TRUE(PollPaths(*tail).empty());
}

TEST_F(AuditLogTailTest, FromStartReadsTheWholeFile) {
  Append(path_, Record(1, "/old") + kOther + Record(2, "/older"));
  auto tail = Open(/*from_start=*/true);
  ASSERT_TRUE(tail);
  EXPECT_EQ(PollPaths(*tail), (std::vector<std::string>{"/old", "/older"}));
}

TEST_F(AuditLogTailTest, PartialLineWaitsForItsNewline) {
  Append(path_, "");
  auto tail = Open();
  ASSERT_TRUE(tail);
  std::string line = Record(5, "/partial");
  Append(path_, line.substr(0, 40));
  EXPECT_TRUE(PollPaths(*tail).empty());
  Append(path_, line.substr(40, 50));
  EXPECT_TRUE(PollPaths(*tail).empty());
  Append(path_, line.substr(90) + Record(6, "/next").substr(0, 10));
  EXPECT_EQ(PollPaths(*tail), (std::vector<std::string>{"/partial"}));
  Append(path_, Record(6, "/next").substr(10));
  EXPECT_EQ(PollPaths(*tail), (std::vector<std::string>{"/next"}));
}

TEST_F(AuditLogTailTest, LineBeingWrittenAtOpenIsSkipped) {
  std::string line = Record(1, "/half");
  Append(path_, Record(0, "/old") + line.substr(0, 30));
  auto tail = Open();
  ASSERT_TRUE(tail);
  Append(path_, line.substr(30) + Record(2, "/whole"));
  EXPECT_EQ(PollPaths(*tail), (std::vector<std::string>{"/whole"}));
}

TEST_F(AuditLogTailTest, FollowsRotationByRename) {
  Append(path_, "");
  auto tail = Open();
  ASSERT_TRUE(tail);
  Append(path_, Record(1, "/before"));
  EXPECT_EQ(PollPaths(*tail), (std::vector<std::string>{"/before"}));
  // auditd: last lines to the old file, rename, new file.
  Append(path_, Record(2, "/last-in-old"));
  std::filesystem::rename(path_, path_ + ".1");
  Append(path_ + ".1", Record(3, "/after-rename"));
  EXPECT_EQ(PollPaths(*tail), (std::vector<std::string>{"/last-in-old", "/after-rename"}));
  Append(path_, Record(4, "/new-file"));
  EXPECT_EQ(PollPaths(*tail), (std::vector<std::string>{"/new-file"}));
  Append(path_ + ".1", Record(5, "/old-file-again"));
  Append(path_, Record(6, "/new-file-2"));
  EXPECT_EQ(PollPaths(*tail), (std::vector<std::string>{"/new-file-2"}));
}

TEST_F(AuditLogTailTest, RotationReadsTheOldFilesUnterminatedLastLine) {
  Append(path_, "");
  auto tail = Open();
  ASSERT_TRUE(tail);
  std::string last = Record(1, "/cut");
  Append(path_, last.substr(0, last.size() - 1));
  EXPECT_TRUE(PollPaths(*tail).empty());
  std::filesystem::rename(path_, path_ + ".1");
  Append(path_, Record(2, "/new"));
  EXPECT_EQ(PollPaths(*tail), (std::vector<std::string>{"/cut", "/new"}));
}

TEST_F(AuditLogTailTest, FollowsTruncation) {
  Append(path_, "");
  auto tail = Open();
  ASSERT_TRUE(tail);
  Append(path_, Record(1, "/a") + Record(2, "/b") + Record(3, "/c"));
  EXPECT_EQ(PollPaths(*tail).size(), 3u);
  std::filesystem::resize_file(path_, 0);
  Append(path_, Record(4, "/after-truncate"));
  EXPECT_EQ(PollPaths(*tail), (std::vector<std::string>{"/after-truncate"}));
}

TEST_F(AuditLogTailTest, MalformedLineIsReportedWithItsFileLineAndNothingIsLost) {
  Append(path_, kOther + kOther);  // lines 1-2, before Open
  auto tail = Open();
  ASSERT_TRUE(tail);
  Append(path_, Record(1, "/a") + "garbage line\n" + Record(2, "/b"));
  auto bad = tail->Poll();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().where().source, path_);
  EXPECT_EQ(bad.error().where().line, 4u);
  EXPECT_EQ(bad.error().where().column, 1u);
  EXPECT_EQ(PollPaths(*tail), (std::vector<std::string>{"/a", "/b"}));
  Append(path_, Record(3, "/c") + "type=1800 msg=audit(1.0:9): x=y\n");
  bad = tail->Poll();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().where().line, 7u);
  EXPECT_EQ(PollPaths(*tail), (std::vector<std::string>{"/c"}));
}

TEST_F(AuditLogTailTest, EndlessLineIsRefusedAndReadingGoesOn) {
  Append(path_, "");
  auto tail = Open();
  ASSERT_TRUE(tail);
  Append(path_, "type=1800 msg=audit(1.000:1): name=\"" + std::string(kMaxAuditLineBytes + 10, 'x'));
  auto bad = tail->Poll();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().where().line, 1u);
  Append(path_, std::string(1000, 'x') + "\"\n" + Record(2, "/after"));
  EXPECT_EQ(PollPaths(*tail), (std::vector<std::string>{"/after"}));
}

TEST_F(AuditLogTailTest, MissingFileIsAnError) {
  auto tail = OpenAuditLogTail(Env::Default(), dir_ + "/absent.log");
  ASSERT_FALSE(tail.ok());
  EXPECT_NE(tail.error().ToString().find("absent.log"), std::string::npos) << tail.error().ToString();
}

TEST_F(AuditLogTailTest, TailsTheSampleLogAppendedInPieces) {
  std::string sample = testing::ReadFileOrDie(testing::FixturePath("audit/sample-audit.log"));
  Append(path_, "");
  auto tail = Open();
  ASSERT_TRUE(tail);
  size_t total = 0;
  for (size_t at = 0; at < sample.size(); at += 997) {
    Append(path_, sample.substr(at, 997));
    total += PollPaths(*tail).size();
  }
  EXPECT_EQ(total, 25u);
}

}  // namespace
}  // namespace imawatch::audit
