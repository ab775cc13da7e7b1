// A real Prometheus server (Debian's package) for e2e tests: started on a free loopback port
// with a config the test writes, queried over its HTTP API, stopped with SIGTERM.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tests/testing/loopback.h"

namespace imawatch::testing {

class PrometheusServer {
 public:
  // config_yaml: the whole prometheus.yml. Rule files it names are relative to dir().
  // Starts the server and waits until /-/ready answers; failures are gtest failures.
  PrometheusServer(const std::string& dir, const std::string& config_yaml);
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  // GET path on the server's HTTP API, parsed; null when the answer is not a success.
  nlohmann::json Api(const std::string& target) const;
  // The instant vector of a PromQL query (an empty array on failure).
  nlohmann::json Query(const std::string& promql) const;
  // The value of a query with exactly one series, or nullopt.
  std::optional<double> Value(const std::string& promql) const;
  // The firing alerts (/api/v1/alerts, state "firing").
  nlohmann::json FiringAlerts() const;
  std::string Log() const;

 private:
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

std::string UrlEncode(const std::string& s);

}  // namespace imawatch::testing
