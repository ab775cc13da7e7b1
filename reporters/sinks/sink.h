// One destination of finding events. Send() tries once and says how it went; retrying,
// ordering and bookkeeping are the delivery loop's (delivery_loop.h).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "monitor/base/result.h"
#include "reporters/sinks/finding_event.h"
#include "reporters/sinks/sink_options.h"

namespace imawatch::sinks {

struct SendResult {
  enum class Outcome { kDelivered, kRetry, kDrop } outcome = Outcome::kDelivered;
  // For failures: the metrics' reason label (network, tls, http_5xx, http_429, http_4xx, io, ...).
  std::string reason;
  std::string error;                        // what happened, for the log and the outbox's last_error
  std::optional<milliseconds> retry_after;  // the receiver's own wish (Retry-After)

  static SendResult Delivered() { return {}; }
  static SendResult Retry(std::string reason, std::string error,
                          std::optional<milliseconds> after = std::nullopt) {
    return {.outcome = Outcome::kRetry,
            .reason = std::move(reason),
            .error = std::move(error),
            .retry_after = after};
  }
  static SendResult Drop(std::string reason, std::string error) {
    return {.outcome = Outcome::kDrop, .reason = std::move(reason), .error = std::move(error)};
  }
};

class Sink {
 public:
  virtual ~Sink() = default;
  // One attempt. `stop` set while it runs asks it to give up soon (it then returns kRetry).
  virtual SendResult Send(const FindingEvent& event, const std::atomic<bool>& stop) = 0;
  virtual const BackoffOptions& backoff() const = 0;
};

// The sink for a config entry; an error when it cannot start (an unreadable CA bundle).
Result<std::unique_ptr<Sink>> MakeSink(const SinkOptions& options, const std::string& node_version);

Result<std::unique_ptr<Sink>> MakeWebhookSink(const WebhookOptions& options);
Result<std::unique_ptr<Sink>> MakeFileDropSink(const FileDropOptions& options);
Result<std::unique_ptr<Sink>> MakeSyslogSink(const SyslogOptions& options,
                                             const std::string& product_version);

}  // namespace imawatch::sinks
