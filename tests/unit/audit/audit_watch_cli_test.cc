// imawatch audit watch --file: the daemon's audit.log tail, printed. The netlink source runs
// against a real kernel in the VM rig (tests/vm).
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/testing/paths.h"

namespace imawatch {
namespace {

using testing::ImawatchBinary;
using testing::RunCommand;

TEST(AuditWatch, PrintsEveryIntegrityRecordOfAFileAsJson) {
  auto r = RunCommand({ImawatchBinary(), "audit", "watch", "--file",
                       testing::FixturePath("audit/sample-audit.log"), "--from-start", "--json", "--count",
                       "25", "--timeout", "10s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("listening on audit.log tail"), std::string::npos) << r.err;
  std::map<std::string, int> kinds;
  bool violation = false;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    auto e = nlohmann::json::parse(line);
    ++kinds[e["kind"].get<std::string>()];
    violation |= e["op"] == "invalid_pcr" && e["cause"] == "open_writers" && e["type"] == 1804;
  }
  EXPECT_EQ(kinds["INTEGRITY_POLICY_RULE"], 8);  // one of them as type=UNKNOWN[1807]
  EXPECT_EQ(kinds["INTEGRITY_RULE"], 7);
  EXPECT_EQ(kinds["INTEGRITY_PCR"], 3);
  EXPECT_TRUE(violation);
}

TEST(AuditWatch, ACountNotReachedBeforeTheTimeoutExitsOne) {
  auto r = RunCommand({ImawatchBinary(), "audit", "watch", "--file",
                       testing::FixturePath("audit/sample-audit.log"), "--from-start", "--count", "100",
                       "--timeout", "300ms"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("25 of 100 records before the timeout"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("INTEGRITY_PCR a measured file was open for write"), std::string::npos) << r.out;
}

TEST(AuditWatch, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCommand({ImawatchBinary(), "audit", "watch", "--file", "/nonexistent/audit.log"}).exit_code,
            2);
  EXPECT_EQ(RunCommand({ImawatchBinary(), "audit", "watch", "--timeout", "soon"}).exit_code, 2);
  EXPECT_NE(RunCommand({ImawatchBinary(), "audit", "watch", "--netlink", "--file", "x"}).exit_code, 0);
}

}  // namespace
}  // namespace imawatch
