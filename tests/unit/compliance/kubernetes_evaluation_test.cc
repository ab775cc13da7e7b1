// Every CIS Kubernetes v1.7.1 worker-node recommendation, passing and failing, driven through
// the real evaluator over a node tree whose files are hashed as IMA would measure them.
#include <gtest/gtest.h>

#include <functional>

#include "monitor/compliance/benchmark_loader.h"
#include "monitor/compliance/evaluator.h"
#include "tests/testing/paths.h"
#include "tests/unit/compliance/test_node.h"

namespace imawatch::compliance {
namespace {

using testing::Owner;
using testing::TestNode;

const Benchmark& K8s() {
  static const Benchmark b = [] {
    auto loaded = LoadBenchmark(Env::Default(),
                                imawatch::testing::SourceDir() + "/benchmarks/cis-kubernetes-v1.7.1.yaml");
    if (!loaded) throw std::runtime_error(loaded.error().ToString());
    return *loaded;
  }();
  return b;
}

RecommendationResult ResultOf(const Report& report, const std::string& id) {
  for (const auto& r : report.results) {
    if (r.id == id) return r;
  }
  throw std::runtime_error("no result for " + id);
}

Report Evaluate(const TestNode& node, const Evidence& evidence) {
  return Evaluator(Env::Default(), node.root()).Evaluate(K8s(), evidence);
}

std::string Describe(const RecommendationResult& r) {
  std::string out = r.id + " " + std::string(VerdictName(r.verdict)) + ": " + r.reason;
  for (const auto& c : r.checks) {
    out += "\n  [" + std::string(VerdictName(c.verdict)) + "] expected " + c.expected + "; found " + c.found +
           "; " + c.message;
    for (const auto& n : c.notes) out += "\n    note: " + n;
  }
  return out;
}

constexpr const char* kDropIn = "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf";
constexpr const char* kConfig = "/var/lib/kubelet/config.yaml";
constexpr const char* kDefaults = "/etc/default/kubelet";

TEST(KubernetesEvaluation, CompliantNodePassesEveryRecommendation) {
  TestNode node;
  Report report = Evaluate(node, node.Measure());
  ASSERT_EQ(report.results.size(), 23u);
  for (const auto& r : report.results) EXPECT_EQ(r.verdict, Verdict::kPass) << Describe(r);
  EXPECT_EQ(report.overall.pass, 23);
  EXPECT_EQ(report.overall.ScorePercent(), 100.0);
  ASSERT_EQ(report.sections.size(), 3u);
  EXPECT_EQ(report.sections[0].id, "4");
  EXPECT_EQ(report.sections[0].counts.total(), 23);
  EXPECT_EQ(report.sections[1].counts.total(), 10);
  EXPECT_EQ(report.sections[2].counts.total(), 13);

  // Evidence points at the measurements the verdict rests on.
  const auto& anonymous = ResultOf(report, "4.2.1");
  EXPECT_EQ(anonymous.checks[0].found, "false (/var/lib/kubelet/config.yaml:5)");
  std::vector<std::string> paths;
  for (const auto& e : anonymous.checks[0].evidence) {
    paths.push_back(e.path);
    EXPECT_EQ(e.template_name, "evm-sig");
    EXPECT_EQ(e.pcr, 10u);
    EXPECT_FALSE(e.bank_proof.empty());
    EXPECT_EQ(e.digest.rfind("sha256:", 0), 0u);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/usr/lib/systemd/system/kubelet.service", kDropIn,
                                             "/var/lib/kubelet/kubeadm-flags.env", kDefaults, kConfig}));
  EXPECT_FALSE(anonymous.remediation.empty());
  const auto& ca_mode = ResultOf(report, "4.1.7");
  EXPECT_EQ(ca_mode.checks[0].evidence.back().path, "/etc/kubernetes/pki/ca.crt");
  EXPECT_EQ(ca_mode.checks[0].notes.front(), "file named by /var/lib/kubelet/config.yaml:10");
}

struct FailCase {
  std::string id;
  std::string why;  // a fragment of the failing check's message or found value
  std::function<void(TestNode&)> break_it;
};

class KubernetesFailure : public ::testing::TestWithParam<FailCase> {};

TEST_P(KubernetesFailure, FailsWithTheReason) {
  const FailCase& c = GetParam();
  TestNode node;
  c.break_it(node);
  Report report = Evaluate(node, node.Measure());
  const RecommendationResult& r = ResultOf(report, c.id);
  EXPECT_EQ(r.verdict, Verdict::kFail) << Describe(r);
  std::string all = Describe(r);
  EXPECT_NE(all.find(c.why), std::string::npos) << all;
  // Breaking one setting fails only the recommendations about it.
  for (const auto& other : report.results) {
    if (other.verdict == Verdict::kFail) {
      EXPECT_TRUE(other.id == c.id || other.id.starts_with("4.1")) << other.id;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryRecommendation, KubernetesFailure,
    ::testing::Values(
        FailCase{"4.1.1", "mode 0644",
                 [](TestNode& n) {
                   n.SetOwner(kDropIn, {0, 0, 0644});
                 }},
        FailCase{"4.1.2", "owner uid 1000",
                 [](TestNode& n) {
                   n.SetOwner(kDropIn, {1000, 0, 0600});
                 }},
        FailCase{"4.1.3", "mode 0644",
                 [](TestNode& n) {
                   n.SetOwner("/var/lib/kube-proxy/kubeconfig.conf", {0, 0, 0644});
                 }},
        FailCase{"4.1.4", "group gid 1000",
                 [](TestNode& n) {
                   n.SetOwner("/var/lib/kube-proxy/kubeconfig.conf", {0, 1000, 0600});
                 }},
        FailCase{"4.1.5", "mode 0640",
                 [](TestNode& n) {
                   n.SetOwner("/etc/kubernetes/kubelet.conf", {0, 0, 0640});
                 }},
        FailCase{"4.1.6", "owner uid 1000",
                 [](TestNode& n) {
                   n.SetOwner("/etc/kubernetes/kubelet.conf", {1000, 1000, 0600});
                 }},
        FailCase{"4.1.7", "mode 0644",
                 [](TestNode& n) {
                   n.SetOwner("/etc/kubernetes/pki/ca.crt", {0, 0, 0644});
                 }},
        FailCase{"4.1.8", "group gid 1000",
                 [](TestNode& n) {
                   n.SetOwner("/etc/kubernetes/pki/ca.crt", {0, 1000, 0600});
                 }},
        FailCase{"4.1.9", "mode 0644",
                 [](TestNode& n) {
                   n.SetOwner(kConfig, {0, 0, 0644});
                 }},
        FailCase{"4.1.10", "owner uid 1000",
                 [](TestNode& n) {
                   n.SetOwner(kConfig, {1000, 0, 0600});
                 }},
        // The flag in KUBELET_EXTRA_ARGS overrides the config file.
        FailCase{"4.2.1",
                 "--anonymous-auth=true in ExecStart at " + std::string(kDropIn) +
                     ":10 via $KUBELET_EXTRA_ARGS from /etc/default/kubelet:1",
                 [](TestNode& n) { n.Write(kDefaults, "KUBELET_EXTRA_ARGS=--anonymous-auth=true\n"); }},
        FailCase{"4.2.2", "is AlwaysAllow",
                 [](TestNode& n) { n.Replace(kConfig, "mode: Webhook", "mode: AlwaysAllow"); }},
        FailCase{
            "4.2.3", "not set",
            [](TestNode& n) { n.Replace(kConfig, "    clientCAFile: /etc/kubernetes/pki/ca.crt\n", ""); }},
        FailCase{"4.2.4", "10255 is not 0",
                 [](TestNode& n) { n.Replace(kConfig, "readOnlyPort: 0", "readOnlyPort: 10255"); }},
        FailCase{"4.2.5", "0s is below the minimum",
                 [](TestNode& n) {
                   n.Replace(kConfig, "streamingConnectionIdleTimeout: 5m0s",
                             "streamingConnectionIdleTimeout: 0s");
                 }},
        FailCase{"4.2.6", "--make-iptables-util-chains=false in ExecStart",
                 [](TestNode& n) {
                   n.Replace("/var/lib/kubelet/kubeadm-flags.env", "--container-runtime-endpoint",
                             "--make-iptables-util-chains=false --container-runtime-endpoint");
                 }},
        FailCase{
            "4.2.7", "is set to node-a",
            [](TestNode& n) { n.Write(kDefaults, "KUBELET_EXTRA_ARGS=\"--hostname-override=node-a\"\n"); }},
        FailCase{"4.2.8", "-1 is below the minimum",
                 [](TestNode& n) { n.Replace(kConfig, "eventRecordQPS: 5", "eventRecordQPS: -1"); }},
        FailCase{
            "4.2.9", "not set",
            [](TestNode& n) { n.Replace(kConfig, "tlsCertFile: /var/lib/kubelet/pki/kubelet.crt\n", ""); }},
        FailCase{
            "4.2.10", "false is not true",
            [](TestNode& n) { n.Replace(kConfig, "rotateCertificates: true", "rotateCertificates: false"); }},
        FailCase{"4.2.11", "false is not true",
                 [](TestNode& n) {
                   n.Replace(kConfig, "RotateKubeletServerCertificate: true",
                             "RotateKubeletServerCertificate: false");
                 }},
        FailCase{"4.2.12", "TLS_RSA_WITH_RC4_128_SHA is not in the allowed set",
                 [](TestNode& n) {
                   n.Replace(kConfig, "- TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n",
                             "- TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n- TLS_RSA_WITH_RC4_128_SHA\n");
                 }},
        FailCase{"4.2.13", "not set; default -1",
                 [](TestNode& n) { n.Replace(kConfig, "podPidsLimit: 4096\n", ""); }}),
    [](const ::testing::TestParamInfo<FailCase>& param_info) {
      std::string name = "cis_" + param_info.param.id;
      for (char& ch : name) ch = ch == '.' ? '_' : ch;
      return name;
    });

TEST(KubernetesEvaluation, LaterDropInsOverrideAndEtcMasksVendorDropIns) {
  TestNode node;
  // A later drop-in resets ExecStart and adds a flag.
  node.Write(
      "/etc/systemd/system/kubelet.service.d/20-debug.conf",
      "[Service]\nExecStart=\nExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS "
      "--read-only-port=10255\n");
  Report report = Evaluate(node, node.Measure());
  EXPECT_EQ(ResultOf(report, "4.2.4").verdict, Verdict::kFail);
  EXPECT_NE(ResultOf(report, "4.2.4").checks[0].found.find("20-debug.conf:3"), std::string::npos);

  // /etc/systemd/system/kubelet.service.d/10-kubeadm.conf replaces the vendor file of that name.
  TestNode masked;
  masked.Write("/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
               "[Service]\nExecStart=\nExecStart=/usr/bin/kubelet --anonymous-auth=true\n");
  Report r2 = Evaluate(masked, masked.Measure());
  const auto& anon = ResultOf(r2, "4.2.1");
  EXPECT_EQ(anon.verdict, Verdict::kFail) << Describe(anon);
  // Without --config the command-line defaults apply.
  EXPECT_EQ(ResultOf(r2, "4.2.2").checks[0].found,
            "not set; default AlwaysAllow (no --config: command-line default)");
  EXPECT_EQ(ResultOf(r2, "4.2.2").verdict, Verdict::kFail);
  EXPECT_EQ(ResultOf(r2, "4.2.9").verdict, Verdict::kFail);
  // 4.1.9/4.1.10 apply only while a config file is in use; none is measured or named now.
  masked.Remove(kConfig);
  Report r3 = Evaluate(masked, masked.Measure());
  EXPECT_EQ(ResultOf(r3, "4.1.9").verdict, Verdict::kNotApplicable) << Describe(ResultOf(r3, "4.1.9"));
}

TEST(KubernetesEvaluation, FileEditedAfterItsMeasurementIsNotJudged) {
  TestNode node;
  Evidence evidence = node.Measure();
  // Edited on disk after the kubelet read (and IMA measured) it: the setting shown on disk is not
  // the one in force, and not attested.
  node.Replace(kConfig, "enabled: false", "enabled: true");
  Report report = Evaluate(node, evidence);
  for (const char* id : {"4.2.1", "4.2.2", "4.2.13"}) {
    const auto& r = ResultOf(report, id);
    EXPECT_EQ(r.verdict, Verdict::kError) << Describe(r);
    EXPECT_NE(r.reason.find("/var/lib/kubelet/config.yaml: content no longer matches the attested digest"),
              std::string::npos)
        << r.reason;
  }
  // A flag-only setting does not depend on the config file's content.
  EXPECT_EQ(ResultOf(report, "4.2.7").verdict, Verdict::kPass);
  // Editing the environment file drifts every setting on the command line.
  node.Write(kDefaults, "KUBELET_EXTRA_ARGS=\n# edited\n");
  Report again = Evaluate(node, evidence);
  EXPECT_EQ(ResultOf(again, "4.2.7").verdict, Verdict::kError);
  EXPECT_NE(ResultOf(again, "4.2.7")
                .reason.find("/etc/default/kubelet: content no longer matches the attested digest"),
            std::string::npos);
}

TEST(KubernetesEvaluation, MissingEvidenceIsAnErrorNeverAPass) {
  TestNode node;
  node.Unmeasure("/usr/lib/systemd/system/kubelet.service");
  Report report = Evaluate(node, node.Measure());
  for (const char* id : {"4.2.1", "4.2.7", "4.1.5", "4.1.7"}) {
    const auto& r = ResultOf(report, id);
    EXPECT_EQ(r.verdict, Verdict::kError) << Describe(r);
    EXPECT_NE(r.reason.find("no evidence"), std::string::npos) << r.reason;
  }
  EXPECT_LT(*report.overall.ScorePercent(), 100.0);

  TestNode no_kubeconfig;
  no_kubeconfig.Unmeasure("/etc/kubernetes/kubelet.conf");
  const auto& r = ResultOf(Evaluate(no_kubeconfig, no_kubeconfig.Measure()), "4.1.5");
  EXPECT_EQ(r.verdict, Verdict::kError);
  EXPECT_EQ(r.reason,
            "no evidence: /etc/kubernetes/kubelet.conf exists on disk but was not measured this boot");

  TestNode no_env;
  no_env.Unmeasure(kDefaults);  // on disk, named by the unit, but not measured
  const auto& e = ResultOf(Evaluate(no_env, no_env.Measure()), "4.2.1");
  EXPECT_EQ(e.verdict, Verdict::kError);
  EXPECT_NE(e.reason.find("environment file /etc/default/kubelet (EnvironmentFile at " +
                          std::string(kDropIn) + ":8) was not measured"),
            std::string::npos)
      << e.reason;

  TestNode optional_absent;
  optional_absent.Remove(kDefaults);  // "EnvironmentFile=-": may be absent
  EXPECT_EQ(ResultOf(Evaluate(optional_absent, optional_absent.Measure()), "4.2.1").verdict, Verdict::kPass);
}

TEST(KubernetesEvaluation, ContentOnlyTemplateLeavesPermissionsManual) {
  TestNode node;
  Report report = Evaluate(node, node.Measure("ima-ng"));
  int manual = 0, pass = 0;
  for (const auto& r : report.results) {
    if (r.id.starts_with("4.1.")) {
      EXPECT_EQ(r.verdict, Verdict::kManual) << Describe(r);
      EXPECT_NE(r.reason.find("needs the evm-sig template"), std::string::npos);
      ++manual;
    } else {
      EXPECT_EQ(r.verdict, Verdict::kPass) << Describe(r);
      ++pass;
    }
  }
  EXPECT_EQ(manual, 10);
  EXPECT_EQ(pass, 13);
  EXPECT_EQ(report.overall.ScorePercent(), 100.0);  // manual results are not scored
}

TEST(KubernetesEvaluation, ProxyKubeconfigAbsentIsNotApplicable) {
  TestNode node;
  node.Remove("/var/lib/kube-proxy/kubeconfig.conf");
  Report report = Evaluate(node, node.Measure());
  EXPECT_EQ(ResultOf(report, "4.1.3").verdict, Verdict::kNotApplicable);
  EXPECT_EQ(ResultOf(report, "4.1.4").verdict, Verdict::kNotApplicable);
  // Present on disk but never measured is not "absent".
  TestNode unmeasured;
  unmeasured.Unmeasure("/var/lib/kube-proxy/kubeconfig.conf");
  EXPECT_EQ(ResultOf(Evaluate(unmeasured, unmeasured.Measure()), "4.1.3").verdict, Verdict::kError);
}

}  // namespace
}  // namespace imawatch::compliance
