// The genuine evm-sig measurement list (a real 6.1 kernel under swtpm, shared/fixtures/ima/evmsig)
// records /data/kubelet.yaml as 0600 root:root and /data/a.conf as 0644 uid 1000. Its owner and
// mode fields decide CIS 4.1.9/4.1.10 when the kubelet's --config names those files.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "monitor/compliance/benchmark_loader.h"
#include "monitor/compliance/evaluator.h"
#include "tests/testing/paths.h"
#include "tests/unit/compliance/test_node.h"

namespace imawatch::compliance {
namespace {

// MeasuredFile values from the kernel's ascii list: "PCR template-digest template algo:digest
// path" and, for evm-sig, the (possibly empty) evmsig/xattr fields, then iuid igid imode.
std::vector<MeasuredFile> ReadAsciiList(const std::string& text) {
  std::vector<MeasuredFile> out;
  std::istringstream lines(text);
  std::string line;
  for (uint64_t index = 0; std::getline(lines, line); ++index) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string word; fields >> word;) f.push_back(word);
    if (f.size() < 5) continue;
    MeasuredFile m;
    m.pcr = static_cast<uint32_t>(std::stoul(f[0]));
    m.template_name = f[2];
    size_t colon = f[3].find(':');
    auto algo = ima::HashAlgoFromName(f[3].substr(0, colon));
    auto bytes = FromHex(f[3].substr(colon + 1));
    if (!algo || !bytes) continue;
    m.file_digest = ima::Digest(*algo, *bytes);
    m.path = f[4];
    m.entry_index = index;
    if (m.template_name == "evm-sig" && f.size() >= 8) {
      m.uid = static_cast<uint32_t>(std::stoul(f[f.size() - 3]));
      m.gid = static_cast<uint32_t>(std::stoul(f[f.size() - 2]));
      m.mode = static_cast<uint16_t>(std::stoul(f[f.size() - 1]));
    }
    m.proved = true;  // the fixture's list replays to its pcrs.txt (shared/fixtures/ima/PROVENANCE.md)
    m.bank_proof =
        std::make_shared<const std::string>("sha256 PCR 10 of shared/fixtures/ima/evmsig/pcrs.txt");
    out.push_back(std::move(m));
  }
  return out;
}

class EvmSigEvidence : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = LoadBenchmark(Env::Default(),
                                imawatch::testing::SourceDir() + "/benchmarks/cis-kubernetes-v1.7.1.yaml");
    ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
    benchmark_ = *loaded;
    fixture_ = ReadAsciiList(imawatch::testing::ReadFileOrDie(
        imawatch::testing::SharedPath("fixtures/ima/evmsig/ascii_runtime_measurements")));
    ASSERT_GT(fixture_.size(), 40u);
  }

  // The node's kubelet files plus every entry of the genuine list; the kubelet is started with
  // --config=<config>.
  Report EvaluateWithConfig(const std::string& config) {
    node_.Write("/etc/systemd/system/kubelet.service.d/20-config.conf",
                "[Service]\nEnvironment=\"KUBELET_CONFIG_ARGS=--config=" + config + "\"\n");
    Evidence evidence = node_.Measure("evm-sig", 1000);
    for (const MeasuredFile& m : fixture_) evidence.AddFile(m);
    return Evaluator(Env::Default(), node_.root()).Evaluate(benchmark_, evidence);
  }

  static RecommendationResult Find(const Report& report, const std::string& id) {
    for (const auto& r : report.results) {
      if (r.id == id) return r;
    }
    throw std::runtime_error(id);
  }

  Benchmark benchmark_;
  std::vector<MeasuredFile> fixture_;
  testing::TestNode node_;
};

TEST_F(EvmSigEvidence, FixtureRecordsOwnerAndMode) {
  const MeasuredFile* kubelet = nullptr;
  uint64_t last_a_conf = 0;
  for (const MeasuredFile& m : fixture_) {
    if (m.path == "/data/kubelet.yaml") kubelet = &m;
    bool violation = std::all_of(m.file_digest.view().begin(), m.file_digest.view().end(),
                                 [](uint8_t b) { return b == 0; });
    if (m.path == "/data/a.conf" && !violation) last_a_conf = m.entry_index;
  }
  ASSERT_NE(kubelet, nullptr);
  EXPECT_EQ(kubelet->template_name, "evm-sig");
  EXPECT_EQ(*kubelet->mode & 07777, 0600);
  EXPECT_EQ(*kubelet->uid, 0u);

  Evidence evidence;
  for (const MeasuredFile& m : fixture_) evidence.AddFile(m);
  const MeasuredFile* a = evidence.Latest("/data/a.conf");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->entry_index, last_a_conf);  // the violation entry (all-zero digest) is not evidence
  EXPECT_EQ(*a->uid, 1000u);
  EXPECT_EQ(*a->mode & 07777, 0644);
  EXPECT_EQ(evidence.templates(), std::set<std::string>{"evm-sig"});
}

TEST_F(EvmSigEvidence, RootOwned0600ConfigPasses) {
  Report report = EvaluateWithConfig("/data/kubelet.yaml");
  for (const char* id : {"4.1.9", "4.1.10"}) {
    const RecommendationResult& r = Find(report, id);
    EXPECT_EQ(r.verdict, Verdict::kPass) << id << ": " << r.reason;
    const EvidenceRef& e = r.checks[0].evidence.back();
    EXPECT_EQ(e.path, "/data/kubelet.yaml");
    EXPECT_EQ(e.template_name, "evm-sig");
    EXPECT_EQ(e.digest.rfind("sha256:", 0), 0u);
    EXPECT_EQ(*e.uid, 0u);
    EXPECT_EQ(*e.mode & 07777, 0600);
  }
  EXPECT_EQ(Find(report, "4.1.9").checks[0].found, "/data/kubelet.yaml: mode 0600 owner root group root");
}

TEST_F(EvmSigEvidence, UserOwned0644ConfigFails) {
  Report report = EvaluateWithConfig("/data/a.conf");
  const RecommendationResult& mode = Find(report, "4.1.9");
  EXPECT_EQ(mode.verdict, Verdict::kFail);
  EXPECT_EQ(mode.reason, "/data/a.conf: mode 0644");
  const RecommendationResult& owner = Find(report, "4.1.10");
  EXPECT_EQ(owner.verdict, Verdict::kFail);
  EXPECT_EQ(owner.reason, "/data/a.conf: owner uid 1000, group gid 1000");
  EXPECT_EQ(owner.checks[0].found, "/data/a.conf: mode 0644 owner ops group ops");
  // The file's content is not on this disk: settings read from it are not guessed.
  const RecommendationResult& anonymous = Find(report, "4.2.1");
  EXPECT_EQ(anonymous.verdict, Verdict::kError);
  EXPECT_NE(anonymous.reason.find("/data/a.conf: content no longer matches the attested digest"),
            std::string::npos)
      << anonymous.reason;
}

}  // namespace
}  // namespace imawatch::compliance
