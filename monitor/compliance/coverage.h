// The headline figure: how many recommendations a kind of IMA evidence can decide at all, per
// level and per profile, and why the rest cannot be. Content-only templates (ima, ima-ng,
// ima-sig) carry file digests; evm-sig adds the owner, group and mode of each measured file.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/compliance/benchmark.h"

namespace imawatch::compliance {

struct EvidenceCapabilities {
  std::string template_name;
  bool content = true;    // file digests: attested content, allow lists, modules, measured-at-all
  bool metadata = false;  // iuid/igid/imode

  // "ima", "ima-ng", "ima-sig", "evm-sig"; nullopt for anything else.
  static std::optional<EvidenceCapabilities> ForTemplate(std::string_view name);
};

struct Undecidable {
  std::string id, title;
  std::string reason;
};

struct CoverageRow {
  std::string group;  // "level 1" or a profile id
  std::string title;
  int total = 0;
  int decidable = 0;
  double Percent() const { return total ? 100.0 * decidable / total : 0.0; }
  std::vector<Undecidable> undecidable;
};

struct Coverage {
  std::string benchmark_id, benchmark_title, template_name;
  int total = 0, decidable = 0;
  std::vector<CoverageRow> by_level;     // only for benchmarks whose recommendations carry levels
  std::vector<CoverageRow> by_profile;   // every declared profile
  std::vector<Undecidable> undecidable;  // all of them, once
};

// Why the recommendation cannot be decided with these capabilities, or nullopt if it can:
// every check must be decidable (a manual check never is).
std::optional<std::string> WhyUndecidable(const Recommendation& rec, const EvidenceCapabilities& caps);

Coverage ComputeCoverage(const Benchmark& benchmark, const EvidenceCapabilities& caps);
// The same, with the reason decided per recommendation (nullopt: decidable), e.g. from what a
// policy measures with which template (`imawatch policy coverage`).
using WhyUndecidableFn = std::function<std::optional<std::string>(const Recommendation&)>;
Coverage ComputeCoverage(const Benchmark& benchmark, const std::string& evidence,
                         const WhyUndecidableFn& why);

}  // namespace imawatch::compliance
