// Every policy in ima-policies/ lints clean (no error, no unacknowledged warning) on every
// modeled kernel it claims, and the kernel claim in its header is tight.
#include <gtest/gtest.h>

#include "monitor/policy/lint.h"
#include "tests/testing/paths.h"

namespace imawatch::policy {
namespace {

struct Shipped {
  const char* file;
  KernelVersion oldest;  // as its header and ima-policies/README.md claim
};

constexpr Shipped kShipped[] = {
    {"measure-only.policy", {5, 4}},
    {"cis-kubernetes-worker.policy", {5, 14}},
    {"cis-kubernetes-worker-ima-ng.policy", {5, 4}},
    {"cis-ubuntu-20.04.policy", {5, 4}},
    {"appraise-example.policy", {5, 4}},
};

std::string Text(const char* file) {
  return imawatch::testing::ReadFileOrDie(imawatch::testing::SourceDir() + "/ima-policies/" + file);
}

TEST(ShippedPolicies, LintCleanOnEveryClaimedKernel) {
  for (const auto& shipped : kShipped) {
    std::string text = Text(shipped.file);
    EXPECT_NE(text.find("# Kernels: " + shipped.oldest.ToString() + " and later"), std::string::npos)
        << shipped.file;
    for (KernelVersion kernel : ReferenceKernels()) {
      if (kernel < shipped.oldest) continue;
      LintReport report = LintPolicy(text, shipped.file, {kernel, {}});
      SCOPED_TRACE(std::string(shipped.file) + " on " + kernel.ToString());
      EXPECT_EQ(report.errors, 0u);
      EXPECT_EQ(report.warnings, 0u);
      for (const auto& d : report.diagnostics) ADD_FAILURE() << d.ToString(shipped.file);
      EXPECT_GT(report.policy.rules.size(), 10u);
    }
  }
}

TEST(ShippedPolicies, KernelClaimsAreTight) {
  // The evm-sig policy is refused by kernels before 5.14, for exactly that template.
  LintReport report = LintPolicy(Text("cis-kubernetes-worker.policy"), "k", {{5, 10}, {}});
  EXPECT_GT(report.errors, 0u);
  for (const auto& d : report.diagnostics) EXPECT_EQ(d.code, "template-not-in-kernel");
}

TEST(ShippedPolicies, ReadmeDescribesEveryPolicy) {
  std::string readme =
      imawatch::testing::ReadFileOrDie(imawatch::testing::SourceDir() + "/ima-policies/README.md");
  for (const auto& shipped : kShipped) {
    EXPECT_NE(readme.find(std::string("## ") + shipped.file), std::string::npos) << shipped.file;
  }
}

}  // namespace
}  // namespace imawatch::policy
