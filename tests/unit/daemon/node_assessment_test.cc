// NodeAssessment: proved entries appraised as they come, drift, and re-evaluation limited to the
// recommendations that read what changed.
#include "monitor/daemon/node_assessment.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "monitor/appraise/allow_list_io.h"
#include "monitor/compliance/benchmark_catalog.h"
#include "monitor/compliance/check.h"
#include "tests/testing/paths.h"

namespace imawatch::daemon {
namespace {

compliance::CapturedEntry Entry(uint64_t index, std::string path, uint8_t fill) {
  return compliance::CapturedEntry{.index = index,
                                   .template_name = "evm-sig",
                                   .path = std::move(path),
                                   .file_digest = ima::Digest::Filled(ima::HashAlgo::kSha256, fill),
                                   .uid = 0,
                                   .gid = 0,
                                   .mode = 0100600};
}

std::shared_ptr<const AssessmentInputs> Inputs(std::string allow_list_text) {
  auto inputs = std::make_shared<AssessmentInputs>();
  auto benchmark = compliance::FindBenchmark(Env::Default(), "cis-kubernetes-v1.7.1",
                                             testing::SourceDir() + "/benchmarks");
  EXPECT_TRUE(benchmark.ok());
  inputs->benchmarks.push_back(compliance::FilterBenchmark(*benchmark, 1, std::nullopt));
  inputs->root = testing::FixturePath("compliance/node");
  if (!allow_list_text.empty()) {
    const std::string path = testing::MakeTempDir("assessment") + "/allow.list";
    EXPECT_TRUE(Env::Default().WriteFileAtomically(path, allow_list_text).ok());
    auto list = appraise::LoadAllowList(Env::Default(), path);
    EXPECT_TRUE(list.ok()) << list.error().ToString();
    inputs->allow_lists.push_back(std::make_shared<const appraise::AllowList>(std::move(*list)));
  }
  return inputs;
}

std::shared_ptr<const std::string> Proof() {
  static auto proof = std::make_shared<const std::string>("sha256 PCR 10 replay (test)");
  return proof;
}

std::string Hex(uint8_t fill) {
  std::string s;
  for (int i = 0; i < 32; ++i) {
    s += "0123456789abcdef"[fill >> 4];
    s += "0123456789abcdef"[fill & 15];
  }
  return s;
}

TEST(NodeAssessment, EvaluatesEverythingOnceThenOnlyWhatANewEntryTouches) {
  NodeAssessment a(Env::Default(), Inputs(""));
  const size_t total = a.inputs().benchmarks[0].recommendations.size();
  ASSERT_EQ(a.Evaluate().size(), 1u);
  EXPECT_EQ(a.evaluations(), total);
  EXPECT_TRUE(a.Evaluate().empty()) << "nothing changed: nothing evaluated";

  // A file no recommendation names or looked up: nothing to evaluate.
  EXPECT_FALSE(a.AddProved(Entry(1, "/usr/bin/containerd", 1), Proof()));
  EXPECT_TRUE(a.Evaluate().empty());
  const uint64_t dynamic = 0;

  // The kubelet's kubeconfig: those plus the recommendations that name it.
  EXPECT_TRUE(a.AddProved(Entry(2, "/etc/kubernetes/kubelet.conf", 2), Proof()));
  const uint64_t before = a.evaluations();
  a.Evaluate();
  const uint64_t touched = a.evaluations() - before;
  EXPECT_LT(touched, total);
  auto readers = a.RecommendationsReading("/etc/kubernetes/kubelet.conf");
  EXPECT_FALSE(readers.empty());
  // Those naming it, and those that looked for it (a kubelet setting may name it).
  EXPECT_GE(touched, dynamic + readers.size());
  RecordProperty("kubelet_conf_touched", std::to_string(touched));

  // A violation or a buffer measurement is not a file's evidence.
  compliance::CapturedEntry violation = Entry(3, "/etc/kubernetes/kubelet.conf", 0);
  violation.violation = true;
  EXPECT_FALSE(a.AddProved(violation, Proof()));
  EXPECT_TRUE(a.Evaluate().empty());
}

TEST(NodeAssessment, DriftFollowsTheLatestMeasurementAndTheAllowLists) {
  const std::string good = "sha256:" + Hex(7) + " /usr/bin/kubelet\n";
  NodeAssessment a(Env::Default(), Inputs(good));
  a.AddProved(Entry(0, "boot_aggregate", 9), Proof());
  EXPECT_TRUE(a.drift().empty()) << "the boot_aggregate is the prover's, not an allow list's";
  a.AddProved(Entry(1, "/usr/bin/kubelet", 7), Proof());
  EXPECT_TRUE(a.drift().empty());
  a.AddProved(Entry(2, "/usr/bin/kubelet", 8), Proof());
  ASSERT_EQ(a.drift().size(), 1u);
  EXPECT_EQ(a.drift().at("/usr/bin/kubelet").appraisal, "changed");
  EXPECT_EQ(a.drift().at("/usr/bin/kubelet").entry_index, 2u);
  a.AddProved(Entry(3, "/tmp/x", 3), Proof());
  EXPECT_EQ(a.drift().at("/tmp/x").appraisal, "unknown");

  // The admin accepts the new kubelet: judged again from the kept evidence, drift resolved.
  a.SetInputs(Inputs(good + "sha256:" + Hex(8) + " /usr/bin/kubelet\n"));
  EXPECT_EQ(a.drift().count("/usr/bin/kubelet"), 0u);
  EXPECT_EQ(a.drift().count("/tmp/x"), 1u);
  // Measured back to the old content: allowed too.
  a.AddProved(Entry(4, "/usr/bin/kubelet", 7), Proof());
  EXPECT_EQ(a.drift().count("/usr/bin/kubelet"), 0u);

  a.Reset();
  EXPECT_TRUE(a.drift().empty());
}

TEST(NodeAssessment, WithoutAllowListsNothingIsDrift) {
  NodeAssessment a(Env::Default(), Inputs(""));
  a.AddProved(Entry(1, "/tmp/anything", 1), Proof());
  EXPECT_TRUE(a.drift().empty());
}

TEST(NodeAssessment, AChangeOnDiskIsFlaggedUntilMeasuredAgain) {
  NodeAssessment a(Env::Default(), Inputs(""));
  a.Evaluate();
  a.MarkChangedOnDisk("/etc/kubernetes/kubelet.conf");
  EXPECT_EQ(a.changed_on_disk().count("/etc/kubernetes/kubelet.conf"), 1u);
  EXPECT_EQ(a.Evaluate().size(), 1u) << "its recommendations are evaluated again at once";
  a.AddProved(Entry(5, "/etc/kubernetes/kubelet.conf", 5), Proof());
  EXPECT_TRUE(a.changed_on_disk().empty());
  const auto named = a.NamedPaths();
  EXPECT_NE(std::find(named.begin(), named.end(), "/etc/kubernetes/kubelet.conf"), named.end());
}

}  // namespace
}  // namespace imawatch::daemon
