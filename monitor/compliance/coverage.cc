#include "monitor/compliance/coverage.h"

#include <map>

namespace imawatch::compliance {

std::optional<EvidenceCapabilities> EvidenceCapabilities::ForTemplate(std::string_view name) {
  if (name == "ima" || name == "ima-ng" || name == "ima-sig")
    return EvidenceCapabilities{std::string(name), true, false};
  if (name == "evm-sig") return EvidenceCapabilities{std::string(name), true, true};
  return std::nullopt;
}

std::optional<std::string> WhyUndecidable(const Recommendation& rec, const EvidenceCapabilities& caps) {
  for (const Check& c : rec.checks) {
    if (c.kind == CheckKind::kManual) return "needs " + c.source + ": " + c.reason;
    if (c.kind == CheckKind::kMetadata && !caps.metadata) {
      return "owner/group/mode are not in the " + caps.template_name +
             " template: needs evm-sig (iuid/igid/imode, kernel 5.14 or later)";
    }
    if (!caps.content) return "the " + caps.template_name + " template carries no file digests";
  }
  return std::nullopt;
}

Coverage ComputeCoverage(const Benchmark& benchmark, const EvidenceCapabilities& caps) {
  return ComputeCoverage(benchmark, caps.template_name,
                         [&caps](const Recommendation& rec) { return WhyUndecidable(rec, caps); });
}

Coverage ComputeCoverage(const Benchmark& benchmark, const std::string& evidence,
                         const WhyUndecidableFn& why_fn) {
  Coverage cov{.benchmark_id = benchmark.id, .benchmark_title = benchmark.title, .template_name = evidence};
  std::map<int, CoverageRow> levels;
  std::vector<CoverageRow> profiles;
  for (const Profile& p : benchmark.profiles) profiles.push_back({.group = p.id, .title = p.title});
  for (const Recommendation& rec : benchmark.recommendations) {
    std::optional<std::string> why = why_fn(rec);
    auto count = [&](CoverageRow& row) {
      ++row.total;
      if (why) {
        row.undecidable.push_back({rec.id, rec.title, *why});
      } else {
        ++row.decidable;
      }
    };
    ++cov.total;
    if (why) {
      cov.undecidable.push_back({rec.id, rec.title, *why});
    } else {
      ++cov.decidable;
    }
    if (rec.level) {
      CoverageRow& row = levels[*rec.level];
      row.group = "level " + std::to_string(*rec.level);
      row.title = "Level " + std::to_string(*rec.level);
      count(row);
    }
    for (CoverageRow& row : profiles) {
      for (const std::string& p : rec.profiles) {
        if (p == row.group) count(row);
      }
    }
  }
  for (auto& [level, row] : levels) cov.by_level.push_back(std::move(row));
  cov.by_profile = std::move(profiles);
  return cov;
}

}  // namespace imawatch::compliance
