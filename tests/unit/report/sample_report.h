// A hand-made report model for renderer tests: one result of each kind, evidence paths and
// texts with the characters each format must escape.
#pragma once

#include "reporters/report/report_model.h"

namespace imawatch::report::testing {

inline RecommendationItem Item(const std::string& id, const std::string& result,
                               std::optional<int> level = 1) {
  RecommendationItem r;
  r.id = id;
  r.title = "Recommendation " + id;
  r.section = id.substr(0, id.rfind('.'));
  r.level = level;
  r.assessment = "automated";
  r.result = result;
  r.reason = result == "pass" ? "" : "reason for " + id;
  r.remediation = "Fix " + id;
  return r;
}

inline ReportModel SampleReport() {
  ReportModel m;
  m.benchmark_id = "cis-kubernetes-v1.7.1";
  m.benchmark_title = "CIS Kubernetes Benchmark";
  m.benchmark_version = "1.7.1";
  m.hostname = "node-1";
  m.root = "/";
  m.generated_at = 1795000000;  // 2026-11-18T11:06:40Z
  m.epoch = 3;
  m.list = "/sys/kernel/security";
  m.pcr_source = "TPM swtpm:host=127.0.0.1,port=2321";
  m.verified = true;
  m.entries = m.proved_entries = 120;
  m.pcrs = {
      {.bank = "sha1", .pcr = 10, .value = std::string(40, 'a'), .matched = true, .proved_entries = 120},
      {.bank = "sha256", .pcr = 10, .value = std::string(64, 'b'), .matched = true, .proved_entries = 120}};
  m.quote = QuoteReference{.id = 7, .taken_at = 1795000000, .nonce = "00ff"};
  RecommendationItem fail = Item("4.1.1", "fail");
  fail.title = "Ensure \"kubelet\" <service> file's perms, & owner";
  fail.reason = "mode 0644, expected 0600 or more restrictive,\nsecond line";
  fail.expected = "0600";
  fail.found = "0644";
  fail.evidence = {{.entry_index = 42,
                    .path = "/etc/<script>alert(1)</script>/kubelet,\"x\".service",
                    .digest = "sha256:" + std::string(64, 'c'),
                    .template_name = "evm-sig",
                    .pcr = 10,
                    .proof = "sha256 PCR 10 replay",
                    .uid = 0,
                    .gid = 0,
                    .mode = "644"}};
  m.results = {fail, Item("4.1.2", "pass"), Item("4.2.1", "error", 1), Item("4.2.8", "manual", 2),
               Item("4.2.9", "not-applicable", 2)};
  m.sections = {{.id = "4.1",
                 .title = "Worker Node Configuration Files",
                 .score = {.pass = 1, .fail = 1, .total = 2, .percent = 50.0}},
                {.id = "4.2",
                 .title = "Kubelet",
                 .score = {.error = 1, .manual = 1, .not_applicable = 1, .total = 3, .percent = 0.0}}};
  m.overall = {
      .pass = 1, .fail = 1, .error = 1, .manual = 1, .not_applicable = 1, .total = 5, .percent = 33.3};
  m.compliant = false;
  return m;
}

}  // namespace imawatch::report::testing
