#include "monitor/policy/policy.h"

#include <gtest/gtest.h>

#include "tests/unit/policy/test_support.h"

namespace imawatch::policy {
namespace {

using testing::Kernel;

TEST(ParsePolicy, SkipsCommentsAndBlankLinesAndNumbersLines) {
  PolicyParse p = ParsePolicy(
      "# header\n\n   # indented comment\nmeasure func=BPRM_CHECK\n\t\ndont_measure fsmagic=0x9fa0",
      Kernel(6, 12));
  EXPECT_TRUE(p.errors.empty());
  ASSERT_EQ(p.policy.rules.size(), 2u);
  EXPECT_EQ(p.policy.rules[0].line, 4u);
  EXPECT_EQ(p.policy.rules[0].text, "measure func=BPRM_CHECK");
  EXPECT_EQ(p.policy.rules[1].line, 6u);
  EXPECT_EQ(p.rule_lines, 2u);
}

TEST(ParsePolicy, ReportsErrorsWithLineAndKeepsGoing) {
  PolicyParse p =
      ParsePolicy("measure func=BPRM_CHECK\nmeasure func=NOPE\nmeasure func=MODULE_CHECK\n", Kernel(6, 12));
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].line, 2u);
  EXPECT_EQ(p.errors[0].column, 9u);
  EXPECT_EQ(p.policy.rules.size(), 2u);
  EXPECT_EQ(p.rule_lines, 3u);
}

TEST(ParsePolicy, EmptyPolicyIsAnError) {
  for (std::string_view text : {"", "\n\n", "# only comments\n#\n"}) {
    PolicyParse p = ParsePolicy(text, Kernel(6, 12));
    ASSERT_EQ(p.errors.size(), 1u) << text;
    EXPECT_EQ(p.errors[0].code, "empty-policy");
    EXPECT_EQ(p.errors[0].line, 0u);
  }
}

TEST(ParsePolicy, LinesLongerThanOneWriteAreErrors) {
  std::string ok = "measure fsname=" + std::string(kMaxLineBytes - 15, 'a');
  ASSERT_EQ(ok.size(), kMaxLineBytes);
  EXPECT_TRUE(ParsePolicy(ok, Kernel(6, 12)).errors.empty());
  std::string too_long = ok + "a";
  PolicyParse p = ParsePolicy("measure func=BPRM_CHECK\n" + too_long, Kernel(6, 12));
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].code, "line-too-long");
  EXPECT_EQ(p.errors[0].line, 2u);
  EXPECT_EQ(p.errors[0].column, kMaxLineBytes + 1);
  // Comments too: a long comment line would be cut and its tail parsed as a rule.
  EXPECT_EQ(ParsePolicy("#" + std::string(5000, 'c') + "\nmeasure", Kernel(6, 12)).errors[0].code,
            "line-too-long");
}

TEST(ParsePolicy, NulBytesAreErrors) {
  std::string text = "measure func=BPRM_CHECK\nmeasure";
  text += '\0';
  text += "func=FILE_CHECK\n";
  PolicyParse p = ParsePolicy(text, Kernel(6, 12));
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].code, "nul-byte");
  EXPECT_EQ(p.errors[0].line, 2u);
  EXPECT_EQ(p.errors[0].column, 8u);
}

TEST(ParsePolicy, CrlfFilesFailLikeInTheKernel) {
  PolicyParse p = ParsePolicy("measure func=BPRM_CHECK\r\n\r\ndont_measure fsname=tmpfs\r\n", Kernel(6, 12));
  // The rule's last token carries '\r'; the blank CRLF line is a rule of one token "\r".
  ASSERT_EQ(p.errors.size(), 2u);
  EXPECT_EQ(p.errors[0].code, "carriage-return");
  EXPECT_EQ(p.errors[1].code, "carriage-return");
  EXPECT_EQ(p.errors[1].line, 2u);
  // fsname= takes any value, so the kernel accepts that rule (with "tmpfs\r").
  ASSERT_EQ(p.policy.rules.size(), 1u);
  EXPECT_EQ(p.policy.rules[0].rule.fsname, "tmpfs\r");
}

TEST(ParsePolicy, AllowDirectivesApplyToTheNextRule) {
  PolicyParse p = ParsePolicy(
      "# imawatch-lint: allow mask-exact-read, pseudo-fs-measured\n# other comment\nmeasure "
      "mask=MAY_READ\nmeasure\n",
      Kernel(6, 12));
  ASSERT_EQ(p.policy.rules.size(), 2u);
  EXPECT_EQ(p.policy.rules[0].allowed, (std::vector<std::string>{"mask-exact-read", "pseudo-fs-measured"}));
  EXPECT_TRUE(p.policy.rules[1].allowed.empty());
}

TEST(SplitLines, SplitsLikeTheKernel) {
  EXPECT_EQ(SplitLines("a\nb\n").size(), 2u);
  EXPECT_EQ(SplitLines("a\nb").size(), 2u);
  EXPECT_EQ(SplitLines("a\n\nb").size(), 3u);
  EXPECT_TRUE(SplitLines("").empty());
  EXPECT_TRUE(IsSkippedLine("  # x"));
  EXPECT_TRUE(IsSkippedLine(" \t"));
  EXPECT_FALSE(IsSkippedLine(" measure"));
}

}  // namespace
}  // namespace imawatch::policy
