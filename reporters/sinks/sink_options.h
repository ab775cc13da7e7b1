// Each sink type's settings, as the daemon's config gives them (doc/config.md, `sinks[...]`).
// Durations are milliseconds; paths are already resolved against the config's directory.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace imawatch::sinks {

using std::chrono::milliseconds;

// How long a sink waits before the n-th retry: initial * 2^(n-1), at most max, with jitter.
struct BackoffOptions {
  milliseconds initial{1000};
  milliseconds max{std::chrono::minutes(5)};
};

struct WebhookOptions {
  std::string url;  // http:// or https://
  std::vector<std::pair<std::string, std::string>> headers;
  std::string bearer_token_file;  // read at every send, so a rotated token is used at once
  std::string ca_bundle;          // empty: the system's CAs
  std::string client_cert, client_key;
  milliseconds connect_timeout{5000};
  milliseconds timeout{15000};
  BackoffOptions backoff;
};

struct FileDropOptions {
  std::string dir;
  std::chrono::seconds retention{std::chrono::days(30)};
};

struct SyslogOptions {
  enum class Transport { kTcp, kTls } transport = Transport::kTcp;
  enum class Format { kJson, kCef } format = Format::kJson;
  std::string host;
  uint16_t port = 0;
  std::string ca_bundle, client_cert, client_key;  // TLS only
  int facility = 16;                               // local0
  std::string app_name = "imawatch";
  milliseconds connect_timeout{5000};
  BackoffOptions backoff;
};

using SinkOptions = std::variant<WebhookOptions, FileDropOptions, SyslogOptions>;

}  // namespace imawatch::sinks
