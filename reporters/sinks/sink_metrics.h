// The sinks' Prometheus series (doc/metrics.md), registered in the daemon's registry. Alert
// rules in deploy/prometheus use these exact names.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string>

namespace imawatch::sinks {

class SinkMetrics {
 public:
  explicit SinkMetrics(prometheus::Registry& registry);

  // Creates the sink's series at zero, so dashboards see the sink before its first message.
  void AddSink(const std::string& sink);
  void CountSent(const std::string& sink);
  void CountFailed(const std::string& sink, const std::string& reason);
  void CountDropped(const std::string& sink, const std::string& reason);
  void CountRetry(const std::string& sink);
  void SetQueue(const std::string& sink, double messages, double oldest_age_seconds);

 private:
  prometheus::Family<prometheus::Counter>& sent_;
  prometheus::Family<prometheus::Counter>& failed_;
  prometheus::Family<prometheus::Counter>& dropped_;
  prometheus::Family<prometheus::Counter>& retries_;
  prometheus::Family<prometheus::Gauge>& queue_;
  prometheus::Family<prometheus::Gauge>& oldest_;
};

}  // namespace imawatch::sinks
