// TryRules against a securityfs-shaped directory: a regular file takes every write, so the
// discard rule is taken too and the trial says its rules may have become the policy. The VM rig
// (tests/vm) runs it against the real kernel.
#include "monitor/policy/trial.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cerrno>
#include <csignal>
#include <fstream>

#include "tests/testing/paths.h"

namespace imawatch::policy {
namespace {

using imawatch::testing::MakeTempDir;
using imawatch::testing::ReadFileOrDie;

const char kRules[] =
    "# comment\n"
    "measure func=BPRM_CHECK\n"
    "\n"
    "mesure func=FILE_CHECK\n";

std::string Securityfs() {
  std::string dir = MakeTempDir("securityfs");
  EXPECT_EQ(::mkdir((dir + "/ima").c_str(), 0755), 0);
  std::ofstream(dir + "/ima/policy").flush();
  return dir;
}

TEST(TryRules, WritesEachRuleOnItsOwnThenTheDiscardRule) {
  std::string dir = Securityfs();
  TrialReport report = TryRules(Env::Default(), kRules, dir);
  ASSERT_TRUE(report.opened);
  ASSERT_EQ(report.verdicts.size(), 2u);
  EXPECT_EQ(report.verdicts[0].line, 2u);
  EXPECT_EQ(report.verdicts[1].line, 4u);
  EXPECT_EQ(report.verdicts[1].rule, "mesure func=FILE_CHECK");
  EXPECT_EQ(report.accepted(), 2u);  // a plain file judges nothing
  EXPECT_FALSE(report.discarded);
  EXPECT_NE(report.close_error.find("may have become the active policy"), std::string::npos);
  EXPECT_EQ(ReadFileOrDie(dir + "/ima/policy"),
            "measure func=BPRM_CHECK\nmesure func=FILE_CHECK\n" + std::string(kDiscardRule) + "\n");
}

// A refused write (here EFBIG from the file-size limit, where the kernel answers EINVAL) is
// that rule's verdict; the following rules still get their own write, and a refused discard
// rule means nothing was applied.
TEST(TryRules, ARefusedWriteIsThatRulesVerdict) {
  std::string dir = Securityfs();
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limited = saved;
  limited.rlim_cur = std::string("measure func=BPRM_CHECK\n").size();
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  TrialReport report = TryRules(Env::Default(), kRules, dir);
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);

  ASSERT_EQ(report.verdicts.size(), 2u);
  EXPECT_TRUE(report.verdicts[0].accepted);
  EXPECT_FALSE(report.verdicts[1].accepted);
  EXPECT_EQ(report.verdicts[1].kernel_errno, EFBIG);
  EXPECT_EQ(report.rejected(), 1u);
  EXPECT_TRUE(report.discarded);
  EXPECT_EQ(report.close_error, "");
}

TEST(TryRules, NoPolicyFileIsReported) {
  TrialReport report = TryRules(Env::Default(), kRules, MakeTempDir("empty"));
  EXPECT_FALSE(report.opened);
  EXPECT_NE(report.open_error.find("No such file"), std::string::npos) << report.open_error;
  EXPECT_TRUE(report.verdicts.empty());
}

}  // namespace
}  // namespace imawatch::policy
