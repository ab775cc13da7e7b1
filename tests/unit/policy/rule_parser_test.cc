#include "monitor/policy/rule_parser.h"

#include <gtest/gtest.h>

#include "tests/unit/policy/test_support.h"

namespace imawatch::policy {
namespace {

using testing::ErrorCode;
using testing::Kernel;
using testing::TargetFrom;

Rule Accepted(std::string_view text, const Target& target) {
  RuleParseResult result = ParseRule(text, target);
  EXPECT_FALSE(result.error) << text << ": " << (result.error ? result.error->message : "");
  return result.rule.value_or(Rule{});
}

TEST(RuleParser, StoresEveryConditionAndOption) {
  Rule r =
      Accepted("measure func=FILE_CHECK mask=^MAY_READ euid>999 fowner<1000 fgroup=0 pcr=11 template=evm-sig",
               Kernel(6, 12));
  EXPECT_EQ(r.action, Action::kMeasure);
  EXPECT_EQ(r.func, Func::kFileCheck);
  EXPECT_TRUE(r.Has(kFlagInmask));
  EXPECT_FALSE(r.Has(kFlagMask));
  EXPECT_EQ(r.mask, kMayRead);
  EXPECT_TRUE(r.Has(kFlagEuid));
  EXPECT_FALSE(r.Has(kFlagUid));
  EXPECT_EQ(r.uid.value, 999u);
  EXPECT_EQ(r.uid.op, IdOp::kGt);
  EXPECT_EQ(r.fowner.op, IdOp::kLt);
  EXPECT_EQ(r.fowner.value, 1000u);
  EXPECT_TRUE(r.Has(kFlagFgroup));
  EXPECT_EQ(r.pcr, 11);
  EXPECT_EQ(r.template_name, "evm-sig");
  ASSERT_EQ(r.tokens.size(), 8u);
  EXPECT_EQ(r.tokens[1].column, 9u);
  EXPECT_EQ(r.tokens[1].kind, TokenKind::kFunc);
}

TEST(RuleParser, ResolvesHookAliases) {
  EXPECT_EQ(Accepted("measure func=PATH_CHECK", Kernel(6, 12)).func, Func::kFileCheck);
  EXPECT_EQ(Accepted("measure func=FILE_MMAP", Kernel(6, 12)).func, Func::kMmapCheck);
}

TEST(RuleParser, SplitsOnSpacesAndTabsOnly) {
  Rule r = Accepted("\t measure\tfunc=BPRM_CHECK  mask=MAY_EXEC ", Kernel(5, 4));
  ASSERT_EQ(r.tokens.size(), 3u);
  EXPECT_EQ(r.tokens[0].column, 3u);
  EXPECT_EQ(r.tokens[1].column, 11u);
  EXPECT_EQ(r.tokens[2].text, "mask=MAY_EXEC");
}

TEST(RuleParser, ReportsTheFirstErrorLikeTheKernel) {
  auto result = ParseRule("measure bogus func=NOPE", Kernel(6, 12));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, "unknown-token");
  EXPECT_EQ(result.error->token, "bogus");
  EXPECT_EQ(result.error->column, 9u);
}

TEST(RuleParser, NumbersFollowKstrtoul) {
  EXPECT_EQ(Accepted("dont_measure fsmagic=+0X9FA0", Kernel(6, 12)).fsmagic, 0x9fa0u);
  EXPECT_EQ(Accepted("dont_measure fsmagic=ef53", Kernel(6, 12)).fsmagic, 0xef53u);
  EXPECT_EQ(Accepted("measure uid=+42", Kernel(6, 12)).uid.value, 42u);
  EXPECT_EQ(Accepted("measure uid=4294967294", Kernel(6, 12)).uid.value, 4294967294u);
  EXPECT_EQ(Accepted("measure pcr=-0", Kernel(6, 12)).pcr, 0);
  EXPECT_EQ(ErrorCode("measure pcr=+-1", Kernel(6, 12)), "invalid-pcr");
  EXPECT_EQ(ErrorCode("measure uid=0x10", Kernel(6, 12)), "invalid-id");
  EXPECT_EQ(ErrorCode("measure uid= 0", Kernel(6, 12)), "empty-value");
}

TEST(RuleParser, FsmagicZeroHidesASecondFsmagicAsInTheKernel) {
  Rule r = Accepted("dont_measure fsmagic=0 fsmagic=0x9fa0", Kernel(6, 12));
  EXPECT_EQ(r.fsmagic, 0x9fa0u);
  EXPECT_EQ(ErrorCode("dont_measure fsmagic=0x9fa0 fsmagic=0", Kernel(6, 12)), "duplicate-fsmagic");
}

TEST(RuleParser, UuidIgnoresCharactersAfterThe36th) {
  Rule r = Accepted("dont_measure fsuuid=6f2b9a5b-3207-4d8b-847c-0f4ff9d90485xyz", Kernel(6, 12));
  EXPECT_EQ(r.fsuuid[0], 0x6f);
  EXPECT_EQ(r.fsuuid[15], 0x85);
  // A null UUID does not count as set, so a second fsuuid= is accepted after it.
  EXPECT_EQ(ErrorCode("dont_measure fsuuid=00000000-0000-0000-0000-000000000000 "
                      "fsuuid=6f2b9a5b-3207-4d8b-847c-0f4ff9d90485",
                      Kernel(6, 12)),
            "");
}

TEST(RuleParser, Kernel54ChecksActionOrderWhileParsing) {
  EXPECT_EQ(ErrorCode("pcr=11 measure", Kernel(5, 4)), "pcr-needs-measure");
  EXPECT_EQ(ErrorCode("pcr=11 measure", Kernel(5, 10)), "");
  EXPECT_EQ(ErrorCode("appraise_type=imasig appraise", Kernel(5, 4)), "appraise-option-needs-appraise");
  EXPECT_EQ(ErrorCode("appraise_type=imasig appraise", Kernel(6, 12)), "");
  EXPECT_EQ(ErrorCode("appraise appraise_type=imasig|modsig func=MODULE_CHECK", Kernel(5, 4)),
            "modsig-not-allowed");
  EXPECT_EQ(ErrorCode("appraise func=MODULE_CHECK appraise_type=imasig|modsig", Kernel(5, 4)), "");
  EXPECT_EQ(ErrorCode("appraise appraise_type=imasig|modsig func=MODULE_CHECK", Kernel(6, 12)), "");
  // Without ima_validate_rule() per-hook checks do not exist.
  EXPECT_EQ(ErrorCode("measure func=KEXEC_CMDLINE mask=MAY_READ", Kernel(5, 4)), "");
  EXPECT_EQ(ErrorCode("measure func=KEXEC_CMDLINE mask=MAY_READ", Kernel(5, 10)), "not-allowed-with-func");
}

TEST(RuleParser, AppraiseFlagChangedMeaningTwice) {
  const char* odd = "appraise func=BPRM_CHECK appraise_flag=anything";
  EXPECT_EQ(ErrorCode(odd, Kernel(5, 4)), "");
  EXPECT_EQ(ErrorCode(odd, Kernel(5, 10)), "invalid-appraise-flag");
  EXPECT_EQ(ErrorCode(odd, Kernel(6, 1)), "invalid-appraise-flag");
  EXPECT_EQ(ErrorCode(odd, Kernel(6, 12)), "");
  const char* modules =
      "appraise func=MODULE_CHECK appraise_type=imasig|modsig appraise_flag=check_blacklist";
  for (auto k : ReferenceKernels()) EXPECT_EQ(ErrorCode(modules, {k, {}}), "") << k.ToString();
  Rule r61 = Accepted(modules, Kernel(6, 1));
  EXPECT_TRUE(r61.Has(kFlagCheckBlacklist));
  Rule r612 = Accepted("appraise func=BPRM_CHECK appraise_type=imasig", Kernel(6, 12));
  EXPECT_TRUE(r612.Has(kFlagCheckBlacklist)) << "6.6+ implies the blacklist check";
  EXPECT_EQ(
      ErrorCode("appraise func=BPRM_CHECK appraise_type=imasig appraise_flag=check_blacklist", Kernel(6, 1)),
      "blacklist-not-allowed");
}

TEST(RuleParser, FeatureThresholdsBetweenReferenceKernels) {
  EXPECT_EQ(ErrorCode("measure func=KEY_CHECK keyrings=.ima", Kernel(5, 5)), "func-not-in-kernel");
  EXPECT_EQ(ErrorCode("measure func=KEY_CHECK keyrings=.ima", Kernel(5, 6)), "");
  EXPECT_EQ(ErrorCode("measure keyrings=.ima func=KEY_CHECK", Kernel(5, 6)), "keyrings-needs-key-check");
  EXPECT_EQ(ErrorCode("measure keyrings=.ima func=KEY_CHECK", Kernel(5, 10)), "");
  EXPECT_EQ(ErrorCode("measure func=CRITICAL_DATA", Kernel(5, 11)), "func-not-in-kernel");
  EXPECT_EQ(ErrorCode("measure func=CRITICAL_DATA", Kernel(5, 12)), "");
  EXPECT_EQ(ErrorCode("measure template=evm-sig", Kernel(5, 13)), "template-not-in-kernel");
  EXPECT_EQ(ErrorCode("measure template=evm-sig", Kernel(5, 14)), "");
  EXPECT_EQ(ErrorCode("measure egid=0", Kernel(5, 16)), "");
  EXPECT_EQ(ErrorCode("measure func=MMAP_CHECK_REQPROT", Kernel(6, 2)), "func-not-in-kernel");
  EXPECT_EQ(ErrorCode("measure func=MMAP_CHECK_REQPROT", Kernel(6, 3)), "");
  EXPECT_EQ(ErrorCode("appraise func=SETXATTR_CHECK appraise_algos=sha3-512", Kernel(6, 6)),
            "invalid-appraise-algos");
  EXPECT_EQ(ErrorCode("appraise func=SETXATTR_CHECK appraise_algos=sha3-512", Kernel(6, 7)), "");
  EXPECT_TRUE(IsKernelHashName("streebog512", {5, 15}));
  EXPECT_FALSE(IsKernelHashName("sha3-256", {6, 1}));
  EXPECT_FALSE(IsKernelHashName("", {6, 12}));
}

TEST(RuleParser, KernelSettingsDecideModsigKeysAndLsm) {
  EXPECT_EQ(ErrorCode("appraise func=MODULE_CHECK appraise_type=imasig|modsig",
                      TargetFrom("6.12,IMA_APPRAISE_MODSIG=n")),
            "modsig-needs-kconfig");
  EXPECT_EQ(ErrorCode("measure func=KEY_CHECK", TargetFrom("6.12,IMA_MEASURE_ASYMMETRIC_KEYS=n")),
            "func-needs-kconfig");
  EXPECT_EQ(ErrorCode("measure subj_role=unconfined", TargetFrom("6.12,lsm=apparmor")), "");
  EXPECT_EQ(ErrorCode("measure subj_type=unconfined_t", TargetFrom("6.12,lsm=apparmor")), "lsm-unsupported");
  EXPECT_EQ(ErrorCode("measure subj_type=unconfined_t", TargetFrom("6.12,lsm=selinux")), "");
  EXPECT_EQ(ErrorCode("measure obj_user=_", TargetFrom("6.12,lsm=smack")), "");
}

TEST(RuleParser, CarriageReturnsAreBlamedOnlyWhenTheyAreTheCause) {
  EXPECT_EQ(ErrorCode("measure func=BPRM_CHECK\r", Kernel(6, 12)), "carriage-return");
  EXPECT_EQ(ErrorCode("measure permit_directio\r", Kernel(6, 12)), "carriage-return");
  EXPECT_EQ(ErrorCode("measure uid=0 euid=0\r", Kernel(6, 12)), "uid-slot-taken");
  EXPECT_EQ(ErrorCode("dont_measure fsname=tmpfs\r", Kernel(6, 12)), "") << "fsname= takes any value";
}

TEST(RuleParser, EmptyRuleHasNoAction) {
  auto result = ParseRule("   ", Kernel(6, 12));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, "missing-action");
}

}  // namespace
}  // namespace imawatch::policy
