// The daemon's Prometheus metrics (prometheus-cpp core; the daemon's own HTTP server serves the
// text exposition). Names: imawatch_ prefix, base units, _total for counters, no path or
// digest labels (unbounded cardinality). Per-recommendation series exist only while their
// condition holds: they disappear when it is resolved. doc/metrics.md lists them.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "reporters/sinks/sink_metrics.h"

namespace imawatch::daemon {

// Label values of one time series, in the family's label order.
using LabelValues = std::vector<std::string>;

// A gauge family whose set of series is replaced as a whole: series not in the new set are
// removed, so resolved conditions leave no stale series behind.
class GaugeSet {
 public:
  GaugeSet(prometheus::Family<prometheus::Gauge>& family, std::vector<std::string> label_names)
      : family_(family), names_(std::move(label_names)) {}
  void Replace(const std::map<LabelValues, double>& values);
  size_t size() const { return series_.size(); }

 private:
  prometheus::Family<prometheus::Gauge>& family_;
  std::vector<std::string> names_;
  std::map<LabelValues, prometheus::Gauge*> series_;
};

class DaemonMetrics {
  // First: every member below is registered in it while being initialized.
  std::shared_ptr<prometheus::Registry> registry_;

 public:
  explicit DaemonMetrics(const std::string& version);

  std::string Exposition() const;

  prometheus::Counter& entries_read;
  prometheus::Counter& entries_proved;
  prometheus::Gauge& entries_pending;
  prometheus::Gauge& boot_epoch;
  prometheus::Gauge& last_verification;  // Unix seconds of the last poll that found no mismatch
  prometheus::Gauge& untrusted_from;     // first untrusted entry, -1 while trusted
  prometheus::Gauge& quote_age;
  prometheus::Gauge& last_quote;
  prometheus::Gauge& store_size;
  prometheus::Gauge& drift_paths;
  prometheus::Gauge& evaluations;

  void SetState(const std::string& state);
  void CountTpmError(const std::string& reason);
  void CountAuditEvent(const std::string& type);
  void CountReload(bool ok);
  void CountStoreError();
  void CountQuote(bool ok);

  GaugeSet replay_match;          // pcr, bank
  GaugeSet drift_open;            // benchmark, recommendation
  GaugeSet recommendations;       // benchmark, level, result
  GaugeSet compliance_pass;       // benchmark
  GaugeSet compliance_evaluated;  // benchmark
  GaugeSet changed_on_disk;       // benchmark, recommendation
  sinks::SinkMetrics sinks;       // imawatch_sink_*
  // The IMA policy the kernel last accepted, as `imawatch policy load --store` recorded it; absent
  // until the store has one. The digest is a number, never a label.
  GaugeSet policy_rules;          // (no labels)
  GaugeSet policy_last_load;      // (no labels)
  GaugeSet policy_digest_prefix;  // (no labels)
  GaugeSet policy_loads;          // result

 private:
  prometheus::Family<prometheus::Gauge>& state_family_;
  prometheus::Family<prometheus::Counter>& tpm_errors_;
  prometheus::Family<prometheus::Counter>& audit_events_;
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Family<prometheus::Counter>& store_errors_;
  prometheus::Family<prometheus::Counter>& quotes_;
};

inline constexpr const char* kStates[] = {"verified", "pending", "mismatch", "tpm-unavailable", "starting"};

}  // namespace imawatch::daemon
