// Helpers for the sink tests: Prometheus text lookups, the outbox as stored.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reporters/sinks/finding_event.h"

namespace imawatch::testing {

// The value of the series `name` whose labels include all of `labels`; nullopt if none.
std::optional<double> MetricValue(const std::string& exposition, const std::string& name,
                                  const std::map<std::string, std::string>& labels);

struct StoredMessage {
  int64_t id = 0;
  sinks::FindingEvent event;
  bool delivered = false, dropped = false;
  std::string drop_reason;
};
// A CA (ca.pem) and server and client certificates for IP 127.0.0.1 (server.pem/.key,
// client.pem/.key, CN=server and CN=client), made in dir with the openssl tool.
void MakeTestPki(const std::string& dir);

// Every outbox row of a sink, in id order.
std::vector<StoredMessage> StoredOutbox(const std::string& store_path, const std::string& sink);

}  // namespace imawatch::testing
