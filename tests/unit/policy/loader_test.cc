// Loading into a securityfs-shaped directory: <dir>/ima/policy is a regular file that takes
// the writes the kernel would take (appended, one rule per write) and reads back.
#include "monitor/policy/loader.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <cstring>
#include <fstream>

#include "tests/testing/paths.h"
#include "tests/unit/policy/test_support.h"

namespace imawatch::policy {
namespace {

using imawatch::testing::MakeTempDir;
using imawatch::testing::ReadFileOrDie;
using testing::Kernel;

const char kPolicy[] =
    "# a policy\n"
    "dont_measure fsmagic=0x9fa0\n"
    "\n"
    "measure func=BPRM_CHECK   mask=MAY_EXEC\n"
    "measure func=MODULE_CHECK\n";
const char kWritten[] =
    "dont_measure fsmagic=0x9fa0\n"
    "measure func=BPRM_CHECK   mask=MAY_EXEC\n"
    "measure func=MODULE_CHECK\n";

std::string SecurityfsWithPolicy(const std::string& previous) {
  std::string dir = MakeTempDir("securityfs");
  EXPECT_EQ(::mkdir((dir + "/ima").c_str(), 0755), 0);
  std::ofstream(dir + "/ima/policy") << previous;
  return dir;
}

LoadOptions Options(const std::string& securityfs) {
  return {.securityfs = securityfs, .target = Kernel(6, 12)};
}

TEST(LoadPolicy, WritesOneRulePerRecordAndReadsTheResultBack) {
  std::string dir = SecurityfsWithPolicy("");
  LoadReport report = LoadPolicy(Env::Default(), kPolicy, "/etc/ima/ima-policy", Options(dir));
  ASSERT_EQ(report.outcome, LoadOutcome::kLoaded) << report.explanation << report.kernel_message;
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.rules, 3u);
  EXPECT_EQ(report.writes_accepted, 3u);
  EXPECT_EQ(ReadFileOrDie(dir + "/ima/policy"), kWritten);
  EXPECT_EQ(report.digest, Sha256Digest(kWritten));
  EXPECT_EQ(report.policy_file, dir + "/ima/policy");
  ASSERT_TRUE(report.active_before);
  EXPECT_EQ(*report.active_before, "");
  ASSERT_TRUE(report.active_after);
  EXPECT_EQ(*report.active_after, kWritten);
  EXPECT_EQ(report.readback_confirms, true);
}

TEST(LoadPolicy, AppendsToTheActivePolicyAndRecognisesTheKernelsPrintForm) {
  std::string previous = "measure func=FILE_CHECK mask=^MAY_READ uid=0 \n";
  std::string dir = SecurityfsWithPolicy(previous);
  LoadReport report = LoadPolicy(Env::Default(), kPolicy, "p", Options(dir));
  ASSERT_EQ(report.outcome, LoadOutcome::kLoaded);
  EXPECT_EQ(ReadFileOrDie(dir + "/ima/policy"), previous + kWritten);
  EXPECT_EQ(report.readback_confirms, true);
  // The kernel prints rules normalized, with a trailing blank: that form confirms too.
  std::string shown =
      "dont_measure fsmagic=0x9fa0 \nmeasure func=BPRM_CHECK mask=MAY_EXEC \nmeasure func=MODULE_CHECK \n";
  std::string dir2 = SecurityfsWithPolicy(previous);
  std::ofstream(dir2 + "/ima/policy", std::ios::app) << shown;
  LoadReport again = LoadPolicy(Env::Default(), kPolicy, "p", Options(dir2));
  ASSERT_EQ(again.outcome, LoadOutcome::kLoaded);
  EXPECT_EQ(again.readback_confirms, true);
}

TEST(LoadPolicy, RefusesAPolicyWithErrorsAndWritesNothing) {
  std::string previous = "measure func=BPRM_CHECK\n";
  std::string dir = SecurityfsWithPolicy(previous);
  LoadReport report =
      LoadPolicy(Env::Default(), "measure func=BPRM_CHECK\nmeasure func=NOPE\n", "p", Options(dir));
  EXPECT_EQ(report.outcome, LoadOutcome::kRefused);
  EXPECT_EQ(report.writes_accepted, 0u);
  EXPECT_EQ(report.lint.errors, 1u);
  EXPECT_EQ(ReadFileOrDie(dir + "/ima/policy"), previous) << "the active policy is unchanged";
  EXPECT_NE(report.explanation.find("nothing was written"), std::string::npos);
}

TEST(LoadPolicy, NoPolicyFileExplainsWhy) {
  std::string dir = MakeTempDir("securityfs");
  LoadReport no_ima = LoadPolicy(Env::Default(), kPolicy, "p", Options(dir));
  EXPECT_EQ(no_ima.outcome, LoadOutcome::kUnavailable);
  EXPECT_NE(no_ima.explanation.find("securityfs is not mounted"), std::string::npos) << no_ima.explanation;
  ASSERT_EQ(::mkdir((dir + "/ima").c_str(), 0755), 0);
  LoadReport removed = LoadPolicy(Env::Default(), kPolicy, "p", Options(dir));
  EXPECT_EQ(removed.outcome, LoadOutcome::kUnavailable);
  EXPECT_NE(removed.explanation.find("CONFIG_IMA_WRITE_POLICY"), std::string::npos) << removed.explanation;
  EXPECT_NE(removed.kernel_message.find("No such file"), std::string::npos);
}

// A write that fails part-way (here: the file-size limit makes the second write fail with
// EFBIG) stops the load at that rule and reports the error the write returned.
TEST(LoadPolicy, AFailedWriteStopsTheLoadAndSaysWhatTheKernelSaid) {
  std::string previous = "measure func=FILE_CHECK\n";
  std::string dir = SecurityfsWithPolicy(previous);
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limited = saved;
  limited.rlim_cur = previous.size() + std::string("dont_measure fsmagic=0x9fa0\n").size();
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  LoadReport report = LoadPolicy(Env::Default(), kPolicy, "p", Options(dir));
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_EQ(report.outcome, LoadOutcome::kRejected);
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.writes_accepted, 1u);
  EXPECT_EQ(report.rejected_line, 4u);
  EXPECT_EQ(report.rejected_text, "measure func=BPRM_CHECK   mask=MAY_EXEC");
  EXPECT_EQ(report.kernel_errno, EFBIG);
  EXPECT_EQ(report.kernel_message, std::strerror(EFBIG));
  EXPECT_NE(report.explanation.find("discards every rule of this load"), std::string::npos);
  ASSERT_TRUE(report.active_after);
  EXPECT_FALSE(report.readback_confirms.has_value());
}

TEST(LoadPolicy, SignedPolicyIsLoadedByPath) {
  std::string dir = SecurityfsWithPolicy("");
  LoadOptions options = Options(dir);
  options.as_path = true;
  LoadReport report = LoadPolicy(Env::Default(), kPolicy, "/etc/ima/ima-policy.signed", options);
  ASSERT_EQ(report.outcome, LoadOutcome::kLoaded);
  EXPECT_EQ(report.writes_accepted, 1u);
  EXPECT_EQ(ReadFileOrDie(dir + "/ima/policy"), "/etc/ima/ima-policy.signed\n");
  EXPECT_EQ(report.digest, Sha256Digest(kPolicy)) << "the digest of the file the kernel reads";
  EXPECT_EQ(report.readback_confirms, false) << "a plain directory does not read the file as the kernel does";

  LoadReport relative = LoadPolicy(Env::Default(), kPolicy, "ima-policy", options);
  EXPECT_EQ(relative.outcome, LoadOutcome::kRefused);
  EXPECT_NE(relative.explanation.find("absolute path"), std::string::npos);
}

TEST(Sha256Digest, IsTheUsualSha256) {
  EXPECT_EQ(Sha256Digest(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace imawatch::policy
