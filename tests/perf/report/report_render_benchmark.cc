// Every format of both shipped benchmarks, each recommendation with IMA evidence, rendered from
// the report document as the daemon does; prints the time for all of it against the 100 ms budget
// (doc/performance.md). Run by hand: build/tests/perf/report/report_render_benchmark.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "monitor/base/env.h"
#include "monitor/compliance/benchmark_catalog.h"
#include "reporters/report/render.h"
#include "tests/testing/paths.h"

namespace imawatch {
namespace {

namespace comp = imawatch::compliance;

comp::CheckOutcome OutcomeFor(const comp::Benchmark& b) {
  comp::CheckOutcome o;
  o.verified = true;
  o.verify.entries = o.proved_entries = 5000;
  o.proofs.push_back({.bank = ima::HashAlgo::kSha256,
                      .pcr = 10,
                      .value = std::string(64, 'a'),
                      .matched = true,
                      .proved_entries = 5000});
  const comp::Verdict cycle[] = {comp::Verdict::kPass, comp::Verdict::kFail, comp::Verdict::kError,
                                 comp::Verdict::kManual, comp::Verdict::kNotApplicable};
  for (size_t i = 0; i < b.recommendations.size(); ++i) {
    const comp::Recommendation& rec = b.recommendations[i];
    comp::RecommendationResult r{.id = rec.id,
                                 .title = rec.title,
                                 .section = rec.section,
                                 .level = rec.level,
                                 .profiles = rec.profiles,
                                 .assessment = rec.assessment,
                                 .verdict = cycle[i % 5],
                                 .reason = "reason, with \"quotes\" and <angles>",
                                 .remediation = rec.remediation};
    comp::CheckResult check{.kind = comp::CheckKind::kDigestAllowed, .verdict = r.verdict};
    for (int e = 0; e < 3; ++e) {
      check.evidence.push_back({.path = "/etc/file-" + std::to_string(i) + "-" + std::to_string(e),
                                .entry_index = i * 3 + e,
                                .digest = "sha256:" + std::string(64, 'b'),
                                .template_name = "ima-ng",
                                .bank_proof = "sha256 PCR 10"});
    }
    r.checks.push_back(check);
    o.report.results.push_back(r);
  }
  comp::Score(b, o.report);
  return o;
}

int Run() {
  using Clock = std::chrono::steady_clock;
  std::vector<comp::Benchmark> benchmarks;
  std::vector<comp::CheckOutcome> outcomes;
  for (const char* id : {"cis-kubernetes-v1.7.1", "cis-ubuntu-20.04-v2.0.1"}) {
    auto b = comp::FindBenchmark(Env::Default(), id, testing::SourceDir() + "/benchmarks");
    if (!b.ok()) {
      std::cerr << b.error().ToString() << "\n";
      return 1;
    }
    benchmarks.push_back(std::move(*b));
  }
  for (const auto& b : benchmarks) outcomes.push_back(OutcomeFor(b));
  size_t recommendations = 0, bytes = 0;
  double best_ms = 1e9;
  for (int round = 0; round < 5; ++round) {  // best of 5: the machine is shared
    const auto start = Clock::now();
    bytes = 0;
    recommendations = 0;
    for (size_t i = 0; i < benchmarks.size(); ++i) {
      report::ReportDocument doc{.benchmark = &benchmarks[i],
                                 .outcome = &outcomes[i],
                                 .hostname = "node-1",
                                 .root = "/",
                                 .list = "/sys/kernel/security",
                                 .pcr_source = "TPM",
                                 .generated_at = 1795000000,
                                 .epoch = 1};
      const nlohmann::json source = report::ReportJson(doc);
      auto model = report::ReadReportModel(source, 0);
      if (!model.ok()) {
        std::cerr << model.error().ToString() << "\n";
        return 1;
      }
      recommendations += model->results.size();
      for (const char* name : {"json", "text", "oscal", "ocsf", "asff", "csv", "junit", "html"}) {
        auto out = report::Render(*report::FormatFromName(name), {.report = source, .model = *model}, {});
        if (!out.ok()) {
          std::cerr << name << ": " << out.error().ToString() << "\n";
          return 1;
        }
        bytes += out->size();
      }
      report::RenderOptions v11;
      v11.ocsf_version = "1.1";
      bytes += report::Render(report::Format::kOcsf, {.report = source, .model = *model}, v11)->size();
    }
    best_ms = std::min(best_ms, std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::printf(
      "rendered %zu recommendations in 9 formats: %zu bytes, best of 5 %.1f ms (%.2fx the 100 ms budget)\n",
      recommendations, bytes, best_ms, best_ms / 100.0);
  return 0;
}

}  // namespace
}  // namespace imawatch

int main() { return imawatch::Run(); }
