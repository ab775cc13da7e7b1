#include "monitor/policy/show.h"

#include <gtest/gtest.h>

#include "tests/unit/policy/test_support.h"

namespace imawatch::policy {
namespace {

using testing::Kernel;

std::string Show(std::string_view text, const Target& target = Kernel(6, 12)) {
  auto parsed = ParseRule(text, target);
  EXPECT_FALSE(parsed.error) << text;
  return parsed.rule ? ShowRule(*parsed.rule, target.kernel) : "";
}

TEST(ShowRule, PrintsInTheKernelsOrderWithAliasesResolved) {
  EXPECT_EQ(Show("measure mask=MAY_EXEC func=FILE_MMAP"), "measure func=MMAP_CHECK mask=MAY_EXEC");
  EXPECT_EQ(Show("measure func=PATH_CHECK mask=^MAY_READ euid=0"),
            "measure func=FILE_CHECK mask=^MAY_READ euid=0");
  EXPECT_EQ(Show("dont_measure fsmagic=9FA0"), "dont_measure fsmagic=0x9fa0");
  EXPECT_EQ(Show("measure template=evm-sig fowner<1000 pcr=11 fsname=ext4 func=FILE_CHECK"),
            "measure func=FILE_CHECK fsname=ext4 pcr=11 fowner<1000 template=evm-sig");
  EXPECT_EQ(Show("dont_measure fsuuid=6F2B9A5B-3207-4D8B-847C-0F4FF9D90485"),
            "dont_measure fsuuid=6f2b9a5b-3207-4d8b-847c-0f4ff9d90485");
  EXPECT_EQ(Show("measure func=KEY_CHECK keyrings=.ima|.evm"), "measure func=KEY_CHECK keyrings=.ima|.evm");
  EXPECT_EQ(Show("appraise func=SETXATTR_CHECK appraise_algos=sha512,sha256"),
            "appraise func=SETXATTR_CHECK appraise_algos=sha256,sha512");
  EXPECT_EQ(Show("measure subj_type=t obj_user=u"), "measure obj_user=u subj_type=t");
  EXPECT_EQ(Show("measure uid=4294967294"), "measure uid=-2");
}

TEST(ShowRule, PrintsSignatureOptionsAsTheKernelDoes) {
  // The kernel prints appraise_type=sigv3 before digest_type=verity: its own output does not
  // parse back.
  EXPECT_EQ(Show("appraise func=BPRM_CHECK digest_type=verity appraise_type=sigv3"),
            "appraise func=BPRM_CHECK appraise_type=sigv3 digest_type=verity");
  EXPECT_EQ(Show("appraise func=MODULE_CHECK appraise_type=imasig|modsig appraise_flag=check_blacklist",
                 Kernel(6, 1)),
            "appraise func=MODULE_CHECK appraise_type=imasig|modsig appraise_flag=check_blacklist");
  EXPECT_EQ(Show("appraise func=MODULE_CHECK appraise_type=imasig|modsig appraise_flag=check_blacklist"),
            "appraise func=MODULE_CHECK appraise_type=imasig|modsig");
  EXPECT_EQ(Show("measure permit_directio func=BPRM_CHECK"), "measure func=BPRM_CHECK permit_directio");
}

TEST(NormalizedText, JoinsTokensWithSingleSpaces) {
  auto parsed = ParseRule("  measure\tfunc=BPRM_CHECK   mask=MAY_EXEC ", Kernel(6, 12));
  ASSERT_TRUE(parsed.rule);
  EXPECT_EQ(NormalizedText(*parsed.rule), "measure func=BPRM_CHECK mask=MAY_EXEC");
}

}  // namespace
}  // namespace imawatch::policy
