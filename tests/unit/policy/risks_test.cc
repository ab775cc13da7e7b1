#include "monitor/policy/risks.h"

#include <gtest/gtest.h>

#include "monitor/policy/lint.h"
#include "tests/unit/policy/test_support.h"

namespace imawatch::policy {
namespace {

using testing::Kernel;
using testing::TargetFrom;

// The tcb exclusions, so that warnings about pseudo filesystems stay out of unrelated tests.
const char kExclusions[] =
    "dont_measure fsmagic=0x9fa0\ndont_measure fsmagic=0x62656572\ndont_measure fsmagic=0x64626720\n"
    "dont_measure fsmagic=0x1021994\ndont_measure fsmagic=0x1cd1\ndont_measure fsmagic=0x42494e4d\n"
    "dont_measure fsmagic=0x73636673\ndont_measure fsmagic=0xf97cff8c\ndont_measure fsmagic=0x43415d53\n"
    "dont_measure fsmagic=0x27e0eb\ndont_measure fsmagic=0x63677270\ndont_measure fsmagic=0x6e736673\n"
    "dont_measure fsmagic=0xde5e81e4\n";

std::vector<std::string> Codes(std::string_view policy, const Target& target = Kernel(6, 12)) {
  LintReport report = LintPolicy(policy, "p", target);
  EXPECT_EQ(report.errors, 0u) << (report.diagnostics.empty() ? "" : report.diagnostics[0].message);
  std::vector<std::string> codes;
  for (const auto& d : report.diagnostics) codes.push_back(d.code);
  return codes;
}

bool Has(const std::vector<std::string>& codes, std::string_view code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

TEST(Risks, TcbLikePoliciesAreQuiet) {
  std::string policy =
      std::string(kExclusions) +
      "measure func=BPRM_CHECK mask=MAY_EXEC\nmeasure func=FILE_CHECK mask=^MAY_READ uid=0\n";
  EXPECT_TRUE(Codes(policy).empty());
}

TEST(Risks, ReadsWithoutPseudoFsExclusionsAreFlagged) {
  auto codes = Codes("dont_measure fsmagic=0x9fa0\nmeasure func=FILE_CHECK mask=^MAY_READ uid=0\n");
  EXPECT_TRUE(Has(codes, "pseudo-fs-measured"));
  EXPECT_TRUE(Has(Codes("measure func=FILE_CHECK fsmagic=0x9fa0\n"), "pseudo-fs-measured"));
  EXPECT_TRUE(Has(Codes("measure fsname=sysfs\n"), "pseudo-fs-measured"));
  // Restricted to a real filesystem, or not reading files: nothing to say.
  EXPECT_FALSE(Has(Codes("measure func=FILE_CHECK fsmagic=0xef53\n"), "pseudo-fs-measured"));
  EXPECT_FALSE(Has(Codes("measure func=BPRM_CHECK mask=MAY_EXEC\n"), "pseudo-fs-measured"));
  // Exclusions by fsname count, and func=FILE_CHECK exclusions cover FILE_CHECK rules.
  std::string by_name;
  for (const char* fs : {"proc", "sysfs", "debugfs", "tmpfs", "devpts", "binfmt_misc", "securityfs",
                         "selinuxfs", "smackfs", "cgroup", "cgroup2", "nsfs"}) {
    by_name += std::string("dont_measure func=FILE_CHECK fsname=") + fs + "\n";
  }
  by_name += "dont_measure fsmagic=0xde5e81e4\nmeasure func=FILE_CHECK uid=0\n";
  EXPECT_FALSE(Has(Codes(by_name), "pseudo-fs-measured"));
}

TEST(Risks, ShadowedAndRedundantRules) {
  std::string base = kExclusions;
  auto shadowed = Codes(base + "dont_measure fsmagic=0xef53\nmeasure func=FILE_CHECK fsmagic=0xef53 uid=0\n");
  EXPECT_TRUE(Has(shadowed, "shadowed-rule"));
  auto redundant = Codes(base +
                         "measure func=FILE_CHECK mask=^MAY_READ uid=0\n"
                         "measure func=FILE_CHECK mask=MAY_READ uid=0 template=evm-sig\n");
  EXPECT_TRUE(Has(redundant, "redundant-rule"))
      << "^MAY_READ covers MAY_READ: the evm-sig rule never applies";
  EXPECT_TRUE(
      Has(Codes("measure func=BPRM_CHECK\nmeasure func=BPRM_CHECK mask=MAY_EXEC\n"), "redundant-rule"));
  // Different classes, narrower earlier rules, different conditions: no shadowing.
  EXPECT_FALSE(Has(Codes(base + "dont_appraise fsmagic=0xef53\nmeasure func=FILE_CHECK fsmagic=0xef53\n"),
                   "shadowed-rule"));
  EXPECT_FALSE(
      Has(Codes(base + "dont_measure fsmagic=0xef53 uid=0\nmeasure func=FILE_CHECK fsmagic=0xef53\n"),
          "shadowed-rule"));
  EXPECT_FALSE(
      Has(Codes(base + "measure func=FILE_CHECK uid=0\nmeasure func=FILE_CHECK euid=0\n"), "redundant-rule"));
  // A rule without func= does not cover buffer hooks.
  EXPECT_FALSE(Has(Codes(base + "dont_measure\nmeasure func=KEY_CHECK\n"), "shadowed-rule"));
  EXPECT_TRUE(Has(Codes(base + "dont_measure\nmeasure func=MODULE_CHECK\n"), "shadowed-rule"));
}

TEST(Covers, FollowsMatchSemantics) {
  auto rule = [](std::string_view text) { return ParseRule(text, Kernel(6, 12)).rule.value(); };
  EXPECT_TRUE(Covers(rule("measure mask=^MAY_READ"), rule("measure mask=MAY_READ")));
  EXPECT_FALSE(Covers(rule("measure mask=MAY_READ"), rule("measure mask=^MAY_READ")));
  EXPECT_TRUE(Covers(rule("measure func=KEY_CHECK"), rule("measure func=KEY_CHECK keyrings=.ima")));
  EXPECT_TRUE(Covers(rule("measure func=KEY_CHECK keyrings=.ima|.evm"),
                     rule("measure func=KEY_CHECK keyrings=.ima")));
  EXPECT_FALSE(Covers(rule("measure func=KEY_CHECK keyrings=.ima"),
                      rule("measure func=KEY_CHECK keyrings=.ima|.evm")));
  EXPECT_FALSE(Covers(rule("measure uid>0"), rule("measure uid=0")));
  EXPECT_TRUE(Covers(rule("measure obj_type=a"), rule("measure obj_type=a fowner=0")));
}

TEST(Risks, AppraisalThatLocksANodeOut) {
  auto codes = Codes("appraise func=BPRM_CHECK appraise_type=imasig\n");
  EXPECT_TRUE(Has(codes, "appraise-lockout"));
  EXPECT_TRUE(Has(Codes("appraise func=MODULE_CHECK appraise_type=imasig|modsig\n"), "appraise-lockout"));
  auto reads = Codes("appraise fowner=0\n");
  EXPECT_TRUE(Has(reads, "appraise-lockout"));
  EXPECT_TRUE(Has(reads, "appraise-pseudo-fs"));
  EXPECT_FALSE(Has(Codes("dont_appraise fsmagic=0x9fa0\n"), "appraise-lockout"));
  EXPECT_TRUE(Has(Codes("appraise func=POLICY_CHECK appraise_type=imasig\n"), "signed-policy-required-next"));
}

TEST(Risks, OptionsThatDoNotDoWhatTheySay) {
  std::string base = kExclusions;
  EXPECT_TRUE(Has(Codes(base + "measure func=FILE_CHECK mask=MAY_READ\n"), "mask-exact-read"));
  EXPECT_TRUE(Has(Codes("measure func=BPRM_CHECK mask=MAY_READ\n"), "mask-never-matches"));
  EXPECT_TRUE(Has(Codes("measure func=MODULE_CHECK mask=^MAY_EXEC\n"), "mask-never-matches"));
  EXPECT_FALSE(Has(Codes("measure func=MODULE_CHECK mask=MAY_READ\n"), "mask-never-matches"));
  EXPECT_TRUE(Has(Codes("measure func=KEY_CHECK gid=0\n"), "gid-ignored"));
  EXPECT_TRUE(Has(Codes("measure func=BPRM_CHECK pcr=30\n"), "pcr-not-in-tpm"));
  EXPECT_TRUE(Has(Codes("measure func=BPRM_CHECK pcr=11 pcr=12\n"), "repeated-option"));
  EXPECT_TRUE(Has(Codes(base + "measure fsname=ext4 fsname=xfs\n"), "repeated-option"));
  EXPECT_TRUE(Has(Codes("dont_measure fsmagic=0\n"), "fsmagic-zero"));
  EXPECT_TRUE(Has(Codes("dont_measure fsuuid=6f2b9a5b-3207-4d8b-847c-0f4ff9d90485xx\n"),
                  "fsuuid-trailing-characters"));
  EXPECT_TRUE(Has(Codes("appraise func=BPRM_CHECK appraise_type=imasig appraise_flag=check_blacklist\n"),
                  "appraise-flag-ignored"));
  EXPECT_TRUE(
      Has(Codes("appraise func=BPRM_CHECK appraise_flag=x\n", Kernel(5, 4)), "appraise-flag-ignored"));
  EXPECT_TRUE(
      Has(Codes("appraise func=BPRM_CHECK\n", TargetFrom("6.12,IMA_APPRAISE=n")), "appraise-disabled"));
  EXPECT_TRUE(Has(Codes("measure func=BPRM_CHECK template=ima\n"), "legacy-template"));
  EXPECT_TRUE(Has(Codes("measure func=BPRM_CHECK digest_type=verity\n"), "verity-template"));
  EXPECT_FALSE(
      Has(Codes("measure func=BPRM_CHECK digest_type=verity template=ima-ngv2\n"), "verity-template"));
  auto algos = Codes("appraise func=SETXATTR_CHECK appraise_algos=sha1,sm3,sha256\n");
  EXPECT_TRUE(Has(algos, "weak-appraise-algo"));
  EXPECT_TRUE(Has(algos, "appraise-algo-availability"));
  EXPECT_TRUE(Has(Codes("appraise func=SETXATTR_CHECK appraise_algos=sha256\nappraise func=SETXATTR_CHECK "
                        "appraise_algos=sha512\n"),
                  "setxattr-rule-ignored"));
  EXPECT_TRUE(Has(Codes("measure func=BPRM_CHECK obj_type=bin_t\n"), "lsm-condition"));
  EXPECT_FALSE(Has(Codes("measure func=BPRM_CHECK obj_type=bin_t\n", TargetFrom("6.12,lsm=selinux")),
                   "lsm-condition"));
  EXPECT_TRUE(Has(Codes("dont_measure fsname=tmpfs\r\n"), "carriage-return"));
}

TEST(Risks, PoliciesThatMeasureNothing) {
  EXPECT_TRUE(Has(Codes("dont_measure fsmagic=0x9fa0\n"), "measures-nothing"));
  EXPECT_FALSE(Has(Codes("measure func=BPRM_CHECK\n"), "measures-nothing"));
}

}  // namespace
}  // namespace imawatch::policy
