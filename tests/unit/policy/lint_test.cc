#include "monitor/policy/lint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>

#include "tests/unit/policy/test_support.h"

namespace imawatch::policy {
namespace {

using testing::Kernel;

std::vector<std::string> Versions(const std::vector<KernelVersion>& kernels) {
  std::vector<std::string> out;
  for (auto k : kernels) out.push_back(k.ToString());
  return out;
}

const Diagnostic* Find(const LintReport& report, std::string_view code) {
  for (const auto& d : report.diagnostics) {
    if (d.code == code) return &d;
  }
  return nullptr;
}

TEST(Lint, NamesTheKernelsThatRejectEachRule) {
  LintReport report = LintPolicy(
      "dont_measure fsmagic=0x9fa0\n"
      "measure func=FILE_CHECK mask=^MAY_READ uid=0 template=evm-sig\n"
      "measure func=FILE_CHECK gid=0\n"
      "appraise func=BPRM_CHECK digest_type=verity appraise_type=sigv3\n"
      "measure func=MMAP_CHECK_REQPROT mask=MAY_EXEC\n"
      "measure uid=0 euid=0\n",
      "p.policy", Kernel(5, 4));
  ASSERT_EQ(report.errors, 5u);
  std::vector<Diagnostic> errors;
  std::copy_if(report.diagnostics.begin(), report.diagnostics.end(), std::back_inserter(errors),
               [](const Diagnostic& d) { return d.severity == Severity::kError; });
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_EQ(errors[0].line, 2u);
  EXPECT_EQ(Versions(errors[0].rejected_by), (std::vector<std::string>{"5.4", "5.10"}));
  EXPECT_EQ(Versions(errors[1].rejected_by), (std::vector<std::string>{"5.4", "5.10", "5.15"}));
  EXPECT_EQ(Versions(errors[2].rejected_by), (std::vector<std::string>{"5.4", "5.10", "5.15"}));
  EXPECT_EQ(Versions(errors[3].rejected_by), (std::vector<std::string>{"5.4", "5.10", "5.15", "6.1"}));
  EXPECT_EQ(errors[4].rejected_by.size(), ReferenceKernels().size());
  EXPECT_EQ(DescribeKernels(errors[4].rejected_by), "all modeled kernels (5.4 to 6.12)");
  // The one accepted rule measures nothing: a policy-level warning on line 0.
  ASSERT_NE(Find(report, "measures-nothing"), nullptr);
  EXPECT_EQ(Find(report, "measures-nothing")->line, 0u);
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.policy.rules.size(), 1u);
  EXPECT_EQ(report.rule_lines, 6u);
}

TEST(Lint, ErrorTextCarriesFileLineColumnTokenReasonAndKernels) {
  LintReport report = LintPolicy("measure func=BPRM_CHECK func=FILE_CHECK\n", "x.policy", Kernel(6, 12));
  ASSERT_EQ(report.diagnostics.size(), 1u);
  std::string text = report.diagnostics[0].ToString(report.source);
  EXPECT_EQ(
      text,
      "x.policy:1:25: error: duplicate-func: 'func=FILE_CHECK': the rule already has func=BPRM_CHECK; a rule "
      "takes one func= [rejected by all modeled kernels (5.4 to 6.12)]");
}

TEST(Lint, AcknowledgedWarningsAreCountedNotListed) {
  std::string policy =
      "dont_measure fsmagic=0x9fa0\n# imawatch-lint: allow mask-exact-read\nmeasure func=FILE_CHECK "
      "mask=MAY_READ fsmagic=0xef53\nmeasure func=FILE_CHECK mask=MAY_READ fsmagic=0x58465342\n";
  LintReport report = LintPolicy(policy, "p", Kernel(6, 12));
  EXPECT_EQ(report.errors, 0u);
  EXPECT_EQ(report.acknowledged, 1u);
  ASSERT_EQ(report.warnings, 1u);
  EXPECT_EQ(report.diagnostics[0].code, "mask-exact-read");
  EXPECT_EQ(report.diagnostics[0].line, 4u);
  EXPECT_TRUE(report.ok());
}

TEST(Lint, DiagnosticsAreInFileOrder) {
  LintReport report = LintPolicy(
      "measure func=NOPE\nmeasure mask=MAY_READ func=FILE_CHECK fsmagic=0xef53\nmeasure "
      "pcr=99\n",
      "p", Kernel(6, 12));
  ASSERT_GE(report.diagnostics.size(), 3u);
  EXPECT_TRUE(std::is_sorted(report.diagnostics.begin(), report.diagnostics.end(),
                             [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; }));
  EXPECT_NE(Find(report, "invalid-func"), nullptr);
  EXPECT_NE(Find(report, "pcr-out-of-range"), nullptr);
}

TEST(Lint, LineLevelErrorsAreRejectedByEveryKernel) {
  LintReport report = LintPolicy("", "empty", Kernel(6, 12));
  ASSERT_EQ(report.errors, 1u);
  EXPECT_EQ(report.diagnostics[0].code, "empty-policy");
  EXPECT_EQ(report.diagnostics[0].rejected_by.size(), ReferenceKernels().size());
  EXPECT_EQ(report.diagnostics[0].ToString("empty"),
            "empty: error: empty-policy: the policy has no rules; the kernel refuses to load an empty policy "
            "[rejected by all modeled kernels (5.4 to 6.12)]");
}

}  // namespace
}  // namespace imawatch::policy
