// The headline figure: content-only IMA templates decide 12 of the 22 Level 1 CIS Kubernetes
// v1.7.1 worker recommendations (54.5 %); evm-sig decides all 22.
#include "monitor/compliance/coverage.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "monitor/compliance/benchmark_catalog.h"
#include "tests/testing/paths.h"

namespace imawatch::compliance {
namespace {

std::string BenchmarksDir() { return imawatch::testing::SourceDir() + "/benchmarks"; }

Benchmark Load(const std::string& id) {
  auto b = FindBenchmark(Env::Default(), id, BenchmarksDir());
  if (!b) throw std::runtime_error(b.error().ToString());
  return *b;
}

TEST(Coverage, KubernetesContentOnlyDecidesTwelveOfTwentyTwoLevelOne) {
  Benchmark k8s = Load("cis-kubernetes-v1.7.1");
  for (const char* t : {"ima-ng", "ima-sig", "ima"}) {
    Coverage c = ComputeCoverage(k8s, *EvidenceCapabilities::ForTemplate(t));
    ASSERT_EQ(c.by_level.size(), 2u);
    EXPECT_EQ(c.by_level[0].group, "level 1");
    EXPECT_EQ(c.by_level[0].total, 22);
    EXPECT_EQ(c.by_level[0].decidable, 12) << t;
    EXPECT_NEAR(c.by_level[0].Percent(), 54.545, 0.001);
    ASSERT_EQ(c.by_level[0].undecidable.size(), 10u);
    for (size_t i = 0; i < 10; ++i) {
      EXPECT_EQ(c.by_level[0].undecidable[i].id, "4.1." + std::to_string(i + 1));
      EXPECT_NE(c.by_level[0].undecidable[i].reason.find("needs evm-sig"), std::string::npos);
    }
    EXPECT_EQ(c.by_level[1].total, 1);  // 4.2.8 is Level 2
    EXPECT_EQ(c.by_level[1].decidable, 1);
    EXPECT_EQ(c.by_profile[0].group, "level1-worker");
    EXPECT_EQ(c.by_profile[0].decidable, 12);
  }
}

TEST(Coverage, KubernetesEvmSigDecidesAllTwentyTwo) {
  Coverage c = ComputeCoverage(Load("cis-kubernetes-v1.7.1"), *EvidenceCapabilities::ForTemplate("evm-sig"));
  EXPECT_EQ(c.by_level[0].decidable, 22);
  EXPECT_EQ(c.by_level[0].total, 22);
  EXPECT_EQ(c.decidable, 23);
  EXPECT_TRUE(c.undecidable.empty());
}

TEST(Coverage, UbuntuByProfileWithReasons) {
  Benchmark ubuntu = Load("cis-ubuntu-20.04-v2.0.1");
  Coverage ng = ComputeCoverage(ubuntu, *EvidenceCapabilities::ForTemplate("ima-ng"));
  Coverage evm = ComputeCoverage(ubuntu, *EvidenceCapabilities::ForTemplate("evm-sig"));
  EXPECT_TRUE(ng.by_level.empty());
  ASSERT_EQ(ng.by_profile.size(), 4u);
  EXPECT_EQ(ng.total, 285);
  int l1_server = 0;
  for (const auto& r : ubuntu.recommendations) {
    for (const auto& p : r.profiles) l1_server += p == "level1-server";
  }
  EXPECT_EQ(ng.by_profile[0].group, "level1-server");
  EXPECT_EQ(ng.by_profile[0].total, l1_server);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_GT(ng.by_profile[i].decidable, 0);
    EXPECT_GT(evm.by_profile[i].decidable, ng.by_profile[i].decidable);  // the permission checks
    EXPECT_EQ(ng.by_profile[i].decidable + static_cast<int>(ng.by_profile[i].undecidable.size()),
              ng.by_profile[i].total);
  }
  // Every undecidable one says which evidence it needs.
  for (const auto& u : evm.undecidable) {
    EXPECT_EQ(u.reason.rfind("needs ", 0), 0u) << u.id << ": " << u.reason;
  }
  EXPECT_FALSE(WhyUndecidable(*ubuntu.Find("6.1.1"), *EvidenceCapabilities::ForTemplate("evm-sig")));
  EXPECT_TRUE(WhyUndecidable(*ubuntu.Find("6.1.1"), *EvidenceCapabilities::ForTemplate("ima-sig")));
  EXPECT_FALSE(EvidenceCapabilities::ForTemplate("ima-buf"));
}

TEST(BenchmarkCatalog, FindsByIdFileOrFailsClearly) {
  EXPECT_EQ(Load("cis-kubernetes-v1.7.1").recommendations.size(), 23u);
  auto by_file =
      FindBenchmark(Env::Default(), BenchmarksDir() + "/cis-ubuntu-20.04-v2.0.1.yaml", "/nonexistent");
  ASSERT_TRUE(by_file.ok());
  EXPECT_EQ(by_file->id, "cis-ubuntu-20.04-v2.0.1");
  auto missing = FindBenchmark(Env::Default(), "cis-windows", BenchmarksDir());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "no benchmark with id 'cis-windows'");
  EXPECT_FALSE(DefaultBenchmarksDir().empty());
}

using imawatch::testing::ImawatchBinary;
using imawatch::testing::RunCommand;

TEST(CoverageCommand, PrintsTheHeadlineFigure) {
  auto r = RunCommand({ImawatchBinary(), "coverage", "--benchmark", "cis-kubernetes-v1.7.1",
                       "--benchmarks-dir", BenchmarksDir()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("evidence: ima-ng template"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Level 1                                   12 of 22   (54.5 %)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("4.1.1  Ensure that the kubelet service file permissions"), std::string::npos);

  auto evm = RunCommand({ImawatchBinary(), "coverage", "--benchmark", "cis-kubernetes-v1.7.1",
                         "--benchmarks-dir", BenchmarksDir(), "--template", "evm-sig", "--json"});
  ASSERT_EQ(evm.exit_code, 0) << evm.err;
  auto j = nlohmann::json::parse(evm.out);
  EXPECT_EQ(j["template"], "evm-sig");
  EXPECT_EQ(j["by_level"][0]["level"], 1);
  EXPECT_EQ(j["by_level"][0]["decidable"], 22);
  EXPECT_EQ(j["by_level"][0]["total"], 22);
  EXPECT_EQ(j["by_level"][0]["percent"], 100.0);

  auto ng = RunCommand({ImawatchBinary(), "coverage", "--benchmark",
                        BenchmarksDir() + "/cis-kubernetes-v1.7.1.yaml", "--template", "ima-sig", "--json"});
  ASSERT_EQ(ng.exit_code, 0) << ng.err;
  auto k = nlohmann::json::parse(ng.out);
  EXPECT_EQ(k["by_level"][0]["decidable"], 12);
  EXPECT_EQ(k["by_level"][0]["percent"], 54.5);
  EXPECT_EQ(k["by_level"][0]["undecidable"].size(), 10u);
  EXPECT_EQ(k["undecidable"][0]["id"], "4.1.1");

  auto ubuntu = RunCommand({ImawatchBinary(), "coverage", "--benchmark", "cis-ubuntu-20.04-v2.0.1",
                            "--benchmarks-dir", BenchmarksDir(), "--json"});
  ASSERT_EQ(ubuntu.exit_code, 0) << ubuntu.err;
  auto u = nlohmann::json::parse(ubuntu.out);
  EXPECT_EQ(u["total"], 285);
  EXPECT_EQ(u["by_profile"].size(), 4u);
  EXPECT_EQ(u["by_profile"][2]["profile"], "level2-server");
}

TEST(CoverageCommand, BadInputIsAUsageError) {
  auto unknown = RunCommand(
      {ImawatchBinary(), "coverage", "--benchmark", "cis-nothing", "--benchmarks-dir", BenchmarksDir()});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no benchmark with id 'cis-nothing'"), std::string::npos) << unknown.err;

  std::string dir = imawatch::testing::MakeTempDir("bench");
  std::string broken = dir + "/broken.yaml";
  FILE* f = std::fopen(broken.c_str(), "w");
  std::fputs("benchmark:\n  id: [x\n", f);
  std::fclose(f);
  auto malformed = RunCommand({ImawatchBinary(), "coverage", "--benchmark", broken});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_NE(malformed.err.find(broken + ":3:1: malformed YAML"), std::string::npos) << malformed.err;

  auto bad_template = RunCommand({ImawatchBinary(), "coverage", "--benchmark", "cis-kubernetes-v1.7.1",
                                  "--benchmarks-dir", BenchmarksDir(), "--template", "ima-buf"});
  EXPECT_EQ(bad_template.exit_code, 2);
  auto help = RunCommand({ImawatchBinary(), "coverage", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--template"), std::string::npos);
}

}  // namespace
}  // namespace imawatch::compliance
