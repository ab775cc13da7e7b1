// End to end: simulator + swtpm + daemon + a real Prometheus server (Debian's package) scraping
// /metrics on loopback. Drift appears in Prometheus within two scrape intervals, disappears
// when resolved, and tampering turns the mismatch series on.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>

#include "tests/integration/daemon/daemon_node.h"
#include "tests/testing/prometheus_server.h"

namespace imawatch {
namespace {

using testing::DaemonNode;
using testing::DaemonProcess;
using testing::HttpGet;
using testing::WaitUntil;
using namespace std::chrono_literals;

#ifdef IMAWATCH_SANITIZED
constexpr auto kScrapeInterval = 2s;  // the daemon runs ~10x slower under ASan
#else
constexpr auto kScrapeInterval = 1s;
#endif

// Scrapes the daemon at the test's interval.
std::string PrometheusConfig(uint16_t target_port) {
  const std::string interval = std::to_string(std::chrono::seconds(kScrapeInterval).count()) + "s";
  return "global:\n  scrape_interval: " + interval + "\n  evaluation_interval: " + interval +
         "\nscrape_configs:\n  - job_name: imawatch\n    static_configs:\n      - targets: ['127.0.0.1:" +
         std::to_string(target_port) + "']\n";
}

TEST(PrometheusE2E, DriftResolutionAndTamperingReachPrometheus) {
  DaemonNode node;
  ASSERT_EQ(node.Simulate({"init", "--template", "evm-sig"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "80"}).exit_code, 0);
  node.WriteAllowList(200);
  node.WriteConfig();
  DaemonProcess daemon(node.config());
  const uint16_t port = daemon.Port();
  ASSERT_NE(port, 0) << daemon.Log();
  testing::PrometheusServer prometheus(testing::MakeTempDir("prometheus"), PrometheusConfig(port));

  ASSERT_TRUE(WaitUntil([&] { return prometheus.Value("imawatch_state{state=\"verified\"}") == 1.0; }, 60s))
      << daemon.Log();
  EXPECT_EQ(prometheus.Value("imawatch_pcr_replay_match{bank=\"sha256\",pcr=\"10\"}"), 1.0);
  EXPECT_EQ(prometheus.Value("imawatch_measurement_entries_proved_total"), 81.0);
  EXPECT_TRUE(prometheus.Query("imawatch_drift_findings_open").empty());

  const std::string drift = "imawatch_drift_findings_open{benchmark=\"cis-kubernetes-v1.7.1\"}";
  ASSERT_EQ(node.Simulate({"run", "--scenario", "drift"}).exit_code, 0);
  const auto injected = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitUntil([&] { return !prometheus.Query(drift).empty(); }, 30s)) << daemon.Log();
  const auto seen = std::chrono::steady_clock::now() - injected;
  RecordProperty("drift_to_prometheus_ms",
                 std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(seen).count()));
  EXPECT_LE(seen, 2 * kScrapeInterval + 250ms) << "drift took longer than two scrape intervals";
  EXPECT_EQ(prometheus.Value("imawatch_drift_paths_open"), 1.0);

  node.WriteAllowList(200, 2);  // the new kubelet.conf accepted
  ASSERT_TRUE(WaitUntil([&] { return prometheus.Query(drift).empty(); }, 30s)) << daemon.Log();
  EXPECT_EQ(prometheus.Value("imawatch_drift_paths_open"), 0.0);

  ASSERT_EQ(node.Simulate({"run", "--scenario", "tamper-edit", "--entry", "40"}).exit_code, 0);
  ASSERT_TRUE(WaitUntil([&] { return prometheus.Value("imawatch_state{state=\"mismatch\"}") == 1.0; }, 30s))
      << daemon.Log();
  EXPECT_EQ(prometheus.Value("imawatch_pcr_replay_match{bank=\"sha256\",pcr=\"10\"}"), 0.0);
  EXPECT_EQ(prometheus.Value("imawatch_state{state=\"verified\"}"), 0.0);

  daemon.Signal(SIGTERM);
  EXPECT_EQ(daemon.Wait(), 0);
}

}  // namespace
}  // namespace imawatch
