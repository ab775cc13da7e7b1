// End to end for a fleet: three simulated nodes, each with its own swtpm, securityfs directory
// and daemon (distinct node names), scraped by one real Prometheus that loads the shipped
// rules (deploy/prometheus/imawatch.rules.yml through its generator, with `for: 0s`). One node
// drifts, one has its measurement list tampered with: exactly the right alerts fire for the
// right nodes, and the fleet compliance recording rule equals the score computed from the
// three daemons' own /v1/status.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "monitor/base/env.h"
#include "monitor/simulate/node_files.h"
#include "monitor/simulate/scenario.h"
#include "tests/testing/daemon_process.h"
#include "tests/testing/paths.h"
#include "tests/testing/prometheus_server.h"
#include "tests/testing/swtpm.h"

namespace imawatch {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::DaemonProcess;
using testing::PrometheusServer;
using testing::WaitUntil;
using namespace std::chrono_literals;

constexpr char kBenchmark[] = "cis-kubernetes-v1.7.1";
#ifdef IMAWATCH_SANITIZED
constexpr int kIntervalSeconds = 2;  // the daemons run ~10x slower under ASan
#else
constexpr int kIntervalSeconds = 1;
#endif

void WriteFile(const std::string& path, const std::string& text) {
  Status s = Env::Default().WriteFileAtomically(path, text);
  if (!s.ok()) throw std::runtime_error(s.error().ToString());
}

// One simulated node: its own TPM, securityfs directory, store, allow list and daemon.
class Node {
 public:
  explicit Node(std::string name) : name_(std::move(name)), tpm_(testing::SwTpmTransport::kUnixSocket) {
    dir_ = testing::MakeTempDir("fleet-" + name_);
    token_ = "token-" + name_;
    WriteFile(dir_ + "/token", token_ + "\n");
    WriteFile(dir_ + "/allow.list",
              simulate::NodeFiles::Synthetic().AllowList(200, ima::HashAlgo::kSha256).value());
    WriteFile(dir_ + "/imawatch.yaml",
              "node:\n  name: " + name_ + "\n  root: " + testing::FixturePath("compliance/node") +
                  "\ntpm:\n  tcti: \"" + tpm_.Tcti() + "\"\nima:\n  securityfs: " + dir_ +
                  "/securityfs\n  poll_interval: 100ms\nappraisal:\n  allow_lists: [" + dir_ +
                  "/allow.list]\nbenchmarks:\n  dir: " + testing::SourceDir() +
                  "/benchmarks\n  enabled:\n    - id: " + kBenchmark + "\n      level: 1\nstore:\n  path: " +
                  dir_ + "/imawatch.db\nhttp:\n  listen: 127.0.0.1:0\n  token_file: " + dir_ +
                  "/token\naudit:\n  source: none\n");
  }

  CommandResult Simulate(std::vector<std::string> args) const {
    args.insert(args.begin(), {testing::ImawatchBinary(), "simulate"});
    args.insert(args.begin() + 3, {"--securityfs", dir_ + "/securityfs", "--tcti", tpm_.Tcti()});
    return testing::RunCommand(args);
  }
  void Start() {
    daemon_ = std::make_unique<DaemonProcess>(dir_ + "/imawatch.yaml");
    port_ = daemon_->Port();
  }
  json Status() const {
    testing::HttpReply r = testing::HttpGet(port_, "/v1/status", token_);
    return json::parse(r.body, nullptr, false);
  }

  const std::string& name() const { return name_; }
  uint16_t port() const { return port_; }
  DaemonProcess& daemon() { return *daemon_; }

 private:
  std::string name_, dir_, token_;
  testing::SwTpm tpm_;
  std::unique_ptr<DaemonProcess> daemon_;
  uint16_t port_ = 0;
};

// The compliance threshold the test sets: the fixture node passes 1 of 22 CIS Kubernetes
// recommendations (0.045), a node whose list is tampered with none (every verdict `error`).
constexpr double kThreshold = 0.03;

// The shipped rules through the same generator that writes the PrometheusRule manifest: every
// alert's `for:` set to 0s, the benchmark's threshold set to kThreshold.
std::string ShippedRulesForTheTest() {
  CommandResult r = testing::RunCommand({"python3", testing::SourceDir() + "/deploy/prometheus/generate",
                                         "--rules", "--for", "0s", "--threshold",
                                         std::string(kBenchmark) + "=" + std::to_string(kThreshold)});
  if (r.exit_code != 0) throw std::runtime_error("deploy/prometheus/generate: " + r.err);
  return r.out;
}

std::set<std::pair<std::string, std::string>> FiringByNode(const PrometheusServer& prometheus) {
  std::set<std::pair<std::string, std::string>> out;
  for (const json& a : prometheus.FiringAlerts()) {
    out.insert({a["labels"].value("alertname", ""), a["labels"].value("node", "")});
  }
  return out;
}

std::string Dump(const std::set<std::pair<std::string, std::string>>& alerts) {
  std::string s;
  for (const auto& [alert, node] : alerts) s += alert + "{node=" + node + "} ";
  return s;
}

TEST(FleetE2E, AlertsFireForTheRightNodesAndTheFleetScoreAddsUp) {
  std::vector<std::unique_ptr<Node>> nodes;
  for (const char* name : {"node-a", "node-b", "node-c"}) nodes.push_back(std::make_unique<Node>(name));
  for (auto& node : nodes) {
    ASSERT_EQ(node->Simulate({"init", "--template", "evm-sig"}).exit_code, 0);
    ASSERT_EQ(node->Simulate({"run", "--scenario", "normal", "--entries", "80"}).exit_code, 0);
    node->Start();
    ASSERT_NE(node->port(), 0) << node->daemon().Log();
  }
  Node& drifting = *nodes[1];
  Node& tampered = *nodes[2];

  const std::string dir = testing::MakeTempDir("fleet-prometheus");
  WriteFile(dir + "/imawatch.rules.yml", ShippedRulesForTheTest());
  const std::string interval = std::to_string(kIntervalSeconds) + "s";
  std::string config = "global:\n  scrape_interval: " + interval + "\n  evaluation_interval: " + interval +
                       "\nrule_files: [imawatch.rules.yml]\nscrape_configs:\n  - job_name: imawatch\n"
                       "    static_configs:\n";
  for (auto& node : nodes) {
    // As the shipped ServiceMonitor does from the pod's node: a `node` label per target.
    config += "      - targets: ['127.0.0.1:" + std::to_string(node->port()) +
              "']\n        labels: {node: " + node->name() + "}\n";
  }
  PrometheusServer prometheus(dir, config);

  // Every node verified and every rule group loaded; nothing fires on a healthy fleet except
  // what the nodes' own compliance scores call for.
  ASSERT_TRUE(
      WaitUntil([&] { return prometheus.Query("imawatch_state{state=\"verified\"} == 1").size() == 3; }, 60s))
      << prometheus.Log();
  json groups = prometheus.Api("/api/v1/rules");
  ASSERT_TRUE(groups.is_object());
  EXPECT_EQ(groups["groups"].size(), 3u) << groups.dump();
  for (auto& node : nodes) EXPECT_EQ(node->Status().value("node", ""), node->name());

  ASSERT_EQ(drifting.Simulate({"run", "--scenario", "drift"}).exit_code, 0);
  ASSERT_EQ(tampered.Simulate({"run", "--scenario", "tamper-edit", "--entry", "40"}).exit_code, 0);
  ASSERT_TRUE(WaitUntil([&] { return tampered.Status().value("state", "") == "mismatch"; }, 30s))
      << tampered.daemon().Log();
  ASSERT_TRUE(WaitUntil([&] { return drifting.Status().value("drift_open", 0) == 1; }, 30s))
      << drifting.daemon().Log();

  // The alerts each node's own state calls for: drift on node-b, the replay mismatch on node-c,
  // and the compliance alert wherever the node's score is under the threshold.
  std::set<std::pair<std::string, std::string>> expected = {{"ImawatchDriftOpen", drifting.name()},
                                                            {"ImawatchPcrReplayMismatch", tampered.name()}};
  double pass = 0, evaluated = 0;
  for (auto& node : nodes) {
    json status = node->Status();
    ASSERT_EQ(status["benchmarks"].size(), 1u) << status.dump();
    const json& b = status["benchmarks"][0];
    const double p = b["pass"].get<double>();
    const double e = p + b["fail"].get<double>() + b["error"].get<double>();
    pass += p;
    evaluated += e;
    if (e > 0 && p / e < kThreshold) expected.insert({"ImawatchComplianceBelowThreshold", node->name()});
    RecordProperty(node->name() + "_score", std::to_string(e > 0 ? p / e : -1));
  }
  ASSERT_GT(evaluated, 0);
  const double fleet_score = pass / evaluated;
  // With the fixture's scores the compliance alert tells the nodes apart too.
  EXPECT_TRUE(expected.count({"ImawatchComplianceBelowThreshold", tampered.name()}));
  EXPECT_FALSE(expected.count({"ImawatchComplianceBelowThreshold", drifting.name()}));
  RecordProperty("fleet_score", std::to_string(fleet_score));

  std::set<std::pair<std::string, std::string>> firing;
  const bool settled = WaitUntil(
      [&] {
        firing = FiringByNode(prometheus);
        return firing == expected;
      },
      60s);
  EXPECT_TRUE(settled) << "firing: " << Dump(firing) << "\nexpected: " << Dump(expected);

  // One mismatch alert for the tampered node (not one per bank), naming the PCR.
  int mismatch_alerts = 0;
  for (const json& a : prometheus.FiringAlerts()) {
    if (a["labels"].value("alertname", "") != "ImawatchPcrReplayMismatch") continue;
    ++mismatch_alerts;
    EXPECT_EQ(a["labels"].value("pcr", ""), "10");
    EXPECT_FALSE(a["labels"].contains("bank"));
    EXPECT_EQ(a["labels"].value("severity", ""), "critical");
    EXPECT_NE(a["annotations"].value("runbook_url", "").find("runbook.md#imawatchpcrreplaymismatch"),
              std::string::npos);
  }
  EXPECT_EQ(mismatch_alerts, 1);

  const std::string fleet =
      std::string("imawatch:fleet_compliance_score:ratio{benchmark=\"") + kBenchmark + "\"}";
  std::optional<double> seen;
  EXPECT_TRUE(WaitUntil(
      [&] {
        seen = prometheus.Value(fleet);
        return seen && std::fabs(*seen - fleet_score) < 1e-9;
      },
      30s))
      << "fleet score " << (seen ? std::to_string(*seen) : "absent") << ", daemons say " << fleet_score;
  EXPECT_EQ(prometheus.Value("imawatch:fleet_nodes:count{state=\"mismatch\"}"), 1.0);
  EXPECT_EQ(prometheus.Value("imawatch:fleet_nodes:count{state=\"verified\"}"), 2.0);

  for (auto& node : nodes) {
    node->daemon().Signal(SIGTERM);
    EXPECT_EQ(node->daemon().Wait(), 0) << node->name();
  }
}

}  // namespace
}  // namespace imawatch
