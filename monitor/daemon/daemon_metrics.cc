#include "monitor/daemon/daemon_metrics.h"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace imawatch::daemon {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

prometheus::Family<prometheus::Gauge>& Gauges(prometheus::Registry& r, const char* name, const char* help) {
  return BuildGauge().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Counter>& Counters(prometheus::Registry& r, const char* name,
                                                  const char* help) {
  return BuildCounter().Name(name).Help(help).Register(r);
}

}  // namespace

void GaugeSet::Replace(const std::map<LabelValues, double>& values) {
  for (auto it = series_.begin(); it != series_.end();) {
    if (values.count(it->first)) {
      ++it;
    } else {
      family_.Remove(it->second);
      it = series_.erase(it);
    }
  }
  for (const auto& [labels, value] : values) {
    auto& slot = series_[labels];
    if (!slot) {
      prometheus::Labels named;
      for (size_t i = 0; i < names_.size() && i < labels.size(); ++i) named[names_[i]] = labels[i];
      slot = &family_.Add(named);
    }
    slot->Set(value);
  }
}

DaemonMetrics::DaemonMetrics(const std::string& version)
    : registry_(std::make_shared<prometheus::Registry>()),
      entries_read(Counters(*registry_, "imawatch_measurement_entries_read_total",
                            "Measurement-list entries read (all epochs, since the daemon started)")
                       .Add({})),
      entries_proved(Counters(*registry_, "imawatch_measurement_entries_proved_total",
                              "Entries proved by a TPM reading and processed (appraised, evaluated, stored)")
                         .Add({})),
      entries_pending(Gauges(*registry_, "imawatch_measurement_entries_pending",
                             "Entries read but not yet covered by a PCR reading")
                          .Add({})),
      boot_epoch(
          Gauges(*registry_, "imawatch_boot_epoch", "The store's id of the current boot epoch").Add({})),
      last_verification(Gauges(*registry_, "imawatch_last_verification_timestamp_seconds",
                               "When a poll last proved the list against the TPM without a mismatch")
                            .Add({})),
      untrusted_from(Gauges(*registry_, "imawatch_untrusted_from_entry",
                            "First entry of this epoch not trusted after a mismatch; -1 while trusted")
                         .Add({})),
      quote_age(
          Gauges(*registry_, "imawatch_quote_age_seconds", "Age of the newest stored TPM quote; -1 if none")
              .Add({})),
      last_quote(
          Gauges(*registry_, "imawatch_last_quote_timestamp_seconds", "When the newest TPM quote was taken")
              .Add({})),
      store_size(Gauges(*registry_, "imawatch_store_size_bytes", "Pages in use in the SQLite store").Add({})),
      drift_paths(Gauges(*registry_, "imawatch_drift_paths_open",
                         "Files whose latest proved measurement the allow lists do not accept")
                      .Add({})),
      evaluations(Gauges(*registry_, "imawatch_recommendation_evaluations",
                         "Recommendations evaluated since the daemon started (incremental work done)")
                      .Add({})),
      replay_match(Gauges(*registry_, "imawatch_pcr_replay_match",
                          "1 when the list's replay equals the TPM's PCR in this bank, else 0"),
                   {"pcr", "bank"}),
      drift_open(Gauges(*registry_, "imawatch_drift_findings_open",
                        "Open drift findings on files a recommendation reads"),
                 {"benchmark", "recommendation"}),
      recommendations(Gauges(*registry_, "imawatch_recommendations", "Recommendations by level and result"),
                      {"benchmark", "level", "result"}),
      compliance_pass(Gauges(*registry_, "imawatch_compliance_pass_recommendations",
                             "Recommendations that pass (score numerator)"),
                      {"benchmark"}),
      compliance_evaluated(Gauges(*registry_, "imawatch_compliance_evaluated_recommendations",
                                  "Recommendations scored: pass + fail + error (score denominator)"),
                           {"benchmark"}),
      changed_on_disk(Gauges(*registry_, "imawatch_recommendation_changed_on_disk",
                             "A file the recommendation reads changed on disk and awaits measurement"),
                      {"benchmark", "recommendation"}),
      sinks(*registry_),
      policy_rules(Gauges(*registry_, "imawatch_ima_policy_rules",
                          "Rules of the IMA policy the kernel last accepted (imawatch policy load --store)"),
                   {}),
      policy_last_load(Gauges(*registry_, "imawatch_ima_policy_last_load_timestamp_seconds",
                              "When the kernel last accepted an IMA policy loaded by imawatch"),
                       {}),
      policy_digest_prefix(
          Gauges(*registry_, "imawatch_ima_policy_digest_prefix",
                 "First 48 bits of that policy's SHA-256, as an integer: changes with the policy"),
          {}),
      policy_loads(
          Gauges(
              *registry_, "imawatch_ima_policy_loads",
              "IMA policy loads recorded in the store, by result (loaded, rejected, refused, unavailable)"),
          {"result"}),
      state_family_(Gauges(*registry_, "imawatch_state", "1 for the daemon's current verification state")),
      tpm_errors_(Counters(*registry_, "imawatch_tpm_errors_total", "TPM operations that failed, by reason")),
      audit_events_(Counters(*registry_, "imawatch_audit_events_total", "IMA audit records seen, by type")),
      reloads_(Counters(*registry_, "imawatch_config_reloads_total", "Configuration reloads, by result")),
      store_errors_(Counters(*registry_, "imawatch_store_errors_total", "Store commits that failed")),
      quotes_(Counters(*registry_, "imawatch_quotes_total", "TPM quotes taken, by result")) {
  Gauges(*registry_, "imawatch_build_info", "Build information").Add({{"version", version}}).Set(1);
  untrusted_from.Set(-1);
  quote_age.Set(-1);
  SetState("starting");
}

std::string DaemonMetrics::Exposition() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

void DaemonMetrics::SetState(const std::string& state) {
  for (const char* s : kStates) state_family_.Add({{"state", s}}).Set(state == s ? 1 : 0);
}

void DaemonMetrics::CountTpmError(const std::string& reason) {
  tpm_errors_.Add({{"reason", reason}}).Increment();
}
void DaemonMetrics::CountAuditEvent(const std::string& type) {
  audit_events_.Add({{"type", type}}).Increment();
}
void DaemonMetrics::CountReload(bool ok) {
  reloads_.Add({{"result", ok ? "success" : "failure"}}).Increment();
}
void DaemonMetrics::CountStoreError() { store_errors_.Add({}).Increment(); }
void DaemonMetrics::CountQuote(bool ok) { quotes_.Add({{"result", ok ? "success" : "failure"}}).Increment(); }

}  // namespace imawatch::daemon
