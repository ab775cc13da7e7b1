#include "monitor/compliance/verdict.h"

namespace imawatch::compliance {

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "fail";
    case Verdict::kManual:
      return "manual";
    case Verdict::kNotApplicable:
      return "not-applicable";
    case Verdict::kError:
      return "error";
  }
  return "error";
}

void VerdictCounts::Add(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      ++pass;
      break;
    case Verdict::kFail:
      ++fail;
      break;
    case Verdict::kManual:
      ++manual;
      break;
    case Verdict::kNotApplicable:
      ++not_applicable;
      break;
    case Verdict::kError:
      ++error;
      break;
  }
}

std::optional<double> VerdictCounts::ScorePercent() const {
  int scored = pass + fail + error;
  if (scored == 0) return std::nullopt;
  return 100.0 * pass / scored;
}

void Score(const Benchmark& benchmark, Report& report) {
  report.sections.clear();
  report.overall = {};
  for (const RecommendationResult& r : report.results) report.overall.Add(r.verdict);
  for (const Section& s : benchmark.sections) {
    SectionScore score{s.id, s.title, {}};
    for (const RecommendationResult& r : report.results) {
      if (r.section == s.id || r.section.starts_with(s.id + ".")) score.counts.Add(r.verdict);
    }
    report.sections.push_back(std::move(score));
  }
}

}  // namespace imawatch::compliance
