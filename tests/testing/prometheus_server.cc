#include "tests/testing/prometheus_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <vector>

#include "monitor/base/env.h"
#include "tests/testing/daemon_process.h"
#include "tests/testing/paths.h"

extern char** environ;

namespace imawatch::testing {

using nlohmann::json;
using namespace std::chrono_literals;

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

PrometheusServer::PrometheusServer(const std::string& dir, const std::string& config_yaml) : dir_(dir) {
  port_ = FreeLoopbackPort();
  const std::string config = dir_ + "/prometheus.yml";
  EXPECT_TRUE(Env::Default().WriteFileAtomically(config, config_yaml).ok());
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
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawnp(&pid_, "prometheus", &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) pid_ = -1;
  EXPECT_EQ(rc, 0) << "prometheus not installed (scripts/bootstrap installs it)";
  EXPECT_TRUE(WaitUntil([&] { return HttpGet(port_, "/-/ready").status == 200; }, 60s)) << Log();
}

PrometheusServer::~PrometheusServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

std::string PrometheusServer::Log() const { return ReadFileOrDie(dir_ + "/prometheus.log"); }

namespace {

// Go's HTTP server sends larger answers chunked; HttpGet returns the body as it came.
std::string Dechunk(const HttpReply& r) {
  std::string headers = r.headers;
  for (char& c : headers) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  if (headers.find("transfer-encoding: chunked") == std::string::npos) return r.body;
  std::string out;
  size_t at = 0;
  while (at < r.body.size()) {
    const size_t line_end = r.body.find("\r\n", at);
    if (line_end == std::string::npos) break;
    const size_t size = std::stoul(r.body.substr(at, line_end - at), nullptr, 16);
    if (size == 0) break;
    out.append(r.body, line_end + 2, size);
    at = line_end + 2 + size + 2;
  }
  return out;
}

}  // namespace

json PrometheusServer::Api(const std::string& target) const {
  HttpReply r = HttpGet(port_, target);
  json j = json::parse(Dechunk(r), nullptr, false);
  if (!j.is_object() || j.value("status", "") != "success") return nullptr;
  return j["data"];
}

json PrometheusServer::Query(const std::string& promql) const {
  json data = Api("/api/v1/query?query=" + UrlEncode(promql));
  return data.is_object() ? data["result"] : json::array();
}

std::optional<double> PrometheusServer::Value(const std::string& promql) const {
  json result = Query(promql);
  if (result.size() != 1) return std::nullopt;
  return std::stod(result[0]["value"][1].get<std::string>());
}

json PrometheusServer::FiringAlerts() const {
  json data = Api("/api/v1/alerts");
  json firing = json::array();
  if (!data.is_object()) return firing;
  for (const json& a : data["alerts"]) {
    if (a.value("state", "") == "firing") firing.push_back(a);
  }
  return firing;
}

}  // namespace imawatch::testing
