// End to end: simulator + swtpm + daemon + a real Prometheus server (Debian's package) scraping
// /metrics on loopback. Drift appears in Prometheus within two scrape intervals, disappears
// when resolved, and tampering turns the mismatch series on.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>

#include "monitor/base/env.h"
#include "tests/integration/daemon/daemon_node.h"

extern char** environ;

namespace imawatch {
namespace {

using nlohmann::json;
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

uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t size = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  const char* hex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (isalnum(c) || c == '_' || c == '-' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

class Prometheus {
 public:
  explicit Prometheus(uint16_t target_port) {
    dir_ = testing::MakeTempDir("prometheus");
    port_ = FreePort();
    const std::string config = dir_ + "/prometheus.yml";
    const std::string interval = std::to_string(std::chrono::seconds(kScrapeInterval).count()) + "s";
    EXPECT_TRUE(Env::Default()
                    .WriteFileAtomically(
                        config, "global:\n  scrape_interval: " + interval +
                                    "\n  evaluation_interval: " + interval +
                                    "\nscrape_configs:\n  - job_name: imawatch\n    static_configs:\n"
                                    "      - targets: ['127.0.0.1:" +
                                    std::to_string(target_port) + "']\n")
                    .ok());
    std::vector<std::string> argv = {"prometheus", "--config.file=" + config,
                                     "--storage.tsdb.path=" + dir_ + "/data",
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_)};
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = dir_ + "/prometheus.log";
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int rc = posix_spawnp(&pid_, "prometheus", &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(rc, 0) << "prometheus not installed (scripts/bootstrap installs it)";
    EXPECT_TRUE(WaitUntil([&] { return HttpGet(port_, "/-/ready").status == 200; }, 60s))
        << testing::ReadFileOrDie(log);
  }
  ~Prometheus() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  // The instant vector of a PromQL query.
  json Query(const std::string& promql) const {
    testing::HttpReply r = HttpGet(port_, "/api/v1/query?query=" + UrlEncode(promql));
    json j = json::parse(r.body, nullptr, false);
    if (!j.is_object() || j.value("status", "") != "success") return json::array();
    return j["data"]["result"];
  }
  // The value of a single-series query, or nullopt.
  std::optional<double> Value(const std::string& promql) const {
    json result = Query(promql);
    if (result.size() != 1) return std::nullopt;
    return std::stod(result[0]["value"][1].get<std::string>());
  }

 private:
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

TEST(PrometheusE2E, DriftResolutionAndTamperingReachPrometheus) {
  DaemonNode node;
  ASSERT_EQ(node.Simulate({"init", "--template", "evm-sig"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "80"}).exit_code, 0);
  node.WriteAllowList(200);
  node.WriteConfig();
  DaemonProcess daemon(node.config());
  const uint16_t port = daemon.Port();
  ASSERT_NE(port, 0) << daemon.Log();
  Prometheus prometheus(port);

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
