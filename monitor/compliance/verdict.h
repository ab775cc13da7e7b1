// What evaluating a benchmark against evidence gives: one result per recommendation, each check
// with the evidence it used, and scores per section and overall.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/compliance/benchmark.h"

namespace imawatch::compliance {

enum class Verdict {
  kPass,
  kFail,
  kManual,         // not decidable from IMA evidence (with the reason)
  kNotApplicable,  // the recommendation's condition does not hold ("if the file exists")
  kError,          // should be decidable but is not: no evidence, drifted content, unreadable
};
std::string_view VerdictName(Verdict v);

// A measurement a verdict rests on.
struct EvidenceRef {
  std::string path;
  uint64_t entry_index = 0;
  std::string digest;  // "sha256:<hex>"
  std::string template_name;
  uint32_t pcr = 10;
  std::string bank_proof;
  std::optional<uint32_t> uid, gid;
  std::optional<uint16_t> mode;
};

struct CheckResult {
  CheckKind kind = CheckKind::kManual;
  Verdict verdict = Verdict::kError;
  std::string expected;
  std::string found;
  std::string message;  // why: the reason for manual/error, the failing detail for fail
  std::vector<EvidenceRef> evidence;
  std::vector<std::string> notes;
};

struct RecommendationResult {
  std::string id, title, section;
  std::optional<int> level;
  std::vector<std::string> profiles;
  Assessment assessment = Assessment::kAutomated;
  Verdict verdict = Verdict::kError;
  std::string reason;  // one line: the deciding check's message
  std::string remediation;
  std::string compensating_control;
  std::vector<CheckResult> checks;
};

struct VerdictCounts {
  int pass = 0, fail = 0, manual = 0, not_applicable = 0, error = 0;
  void Add(Verdict v);
  int total() const { return pass + fail + manual + not_applicable + error; }
  // pass / (pass + fail + error) in percent: manual and not-applicable results are not scored;
  // an error counts against, so missing evidence never raises a score. nullopt if nothing scored.
  std::optional<double> ScorePercent() const;
};

struct SectionScore {
  std::string id, title;
  VerdictCounts counts;
};

struct Report {
  std::string benchmark_id, benchmark_title, benchmark_version;
  std::vector<RecommendationResult> results;
  std::vector<SectionScore> sections;  // every declared section, counting its subsections
  VerdictCounts overall;
};

// Fills sections and overall from results.
void Score(const Benchmark& benchmark, Report& report);

}  // namespace imawatch::compliance
