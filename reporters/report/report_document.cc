#include "reporters/report/report_document.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "monitor/base/utf8.h"

namespace imawatch::report {
namespace {

using nlohmann::json;
namespace comp = imawatch::compliance;

std::string ScoreText(const comp::VerdictCounts& c) {
  auto score = c.ScorePercent();
  if (!score) return "-";
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << *score << " %";
  return out.str();
}

json ScoreJson(const comp::VerdictCounts& c) {
  auto score = c.ScorePercent();
  return {{"pass", c.pass},
          {"fail", c.fail},
          {"error", c.error},
          {"manual", c.manual},
          {"not_applicable", c.not_applicable},
          {"total", c.total()},
          {"score_percent", score ? json(std::round(*score * 10.0) / 10.0) : json(nullptr)}};
}

json EvidenceJson(const comp::EvidenceRef& e) {
  json j = {{"entry_index", e.entry_index},
            {"path", Utf8OrEscaped(e.path)},
            {"digest", e.digest},
            {"template", e.template_name},
            {"pcr", e.pcr},
            {"proof", Utf8OrEscaped(e.bank_proof)}};
  if (e.uid) j["uid"] = *e.uid;
  if (e.gid) j["gid"] = *e.gid;
  if (e.mode) {
    std::ostringstream mode;
    mode << std::oct << (*e.mode & 07777);
    j["mode"] = mode.str();
  }
  return j;
}

json ResultJson(const comp::RecommendationResult& r) {
  json checks = json::array();
  json evidence = json::array();
  for (const comp::CheckResult& c : r.checks) {
    json refs = json::array();
    for (const auto& e : c.evidence) {
      refs.push_back(EvidenceJson(e));
      evidence.push_back(EvidenceJson(e));
    }
    checks.push_back({{"kind", comp::CheckKindName(c.kind)},
                      {"result", comp::VerdictName(c.verdict)},
                      {"expected", Utf8OrEscaped(c.expected)},
                      {"found", Utf8OrEscaped(c.found)},
                      {"message", Utf8OrEscaped(c.message)},
                      {"notes", c.notes},
                      {"evidence", refs}});
  }
  json j = {{"id", r.id},
            {"title", r.title},
            {"section", r.section},
            {"level", r.level ? json(*r.level) : json(nullptr)},
            {"profiles", r.profiles},
            {"assessment", r.assessment == comp::Assessment::kAutomated ? "automated" : "manual"},
            {"result", comp::VerdictName(r.verdict)},
            {"reason", Utf8OrEscaped(r.reason)},
            {"evidence", evidence},
            {"checks", checks},
            {"remediation", r.remediation}};
  // expected/found of the deciding check (the first whose verdict is the recommendation's).
  for (const comp::CheckResult& c : r.checks) {
    if (c.verdict != r.verdict) continue;
    j["expected"] = Utf8OrEscaped(c.expected);
    j["found"] = Utf8OrEscaped(c.found);
    break;
  }
  if (!r.compensating_control.empty()) j["compensating_control"] = r.compensating_control;
  return j;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string Counts(const comp::VerdictCounts& c) {
  std::ostringstream out;
  out << c.pass << " pass, " << c.fail << " fail, " << c.error << " error, " << c.manual << " manual, "
      << c.not_applicable << " not-applicable";
  return out.str();
}

}  // namespace

bool IsCompliant(const comp::Report& report) {
  return std::none_of(report.results.begin(), report.results.end(),
                      [](const auto& r) { return comp::IsNonCompliant(r); });
}

std::vector<std::string> IdsWithVerdict(const comp::Report& report, comp::Verdict verdict) {
  std::vector<std::string> ids;
  for (const auto& r : report.results) {
    if (r.verdict == verdict) ids.push_back(r.id);
  }
  return ids;
}

json ReportJson(const ReportDocument& doc) {
  const comp::Benchmark& b = *doc.benchmark;
  const comp::CheckOutcome& o = *doc.outcome;
  json proofs = json::array();
  for (const auto& p : o.proofs) {
    proofs.push_back({{"bank", ima::Name(p.bank)},
                      {"pcr", p.pcr},
                      {"value", p.value},
                      {"matched", p.matched},
                      {"proved_entries", p.proved_entries}});
  }
  json results = json::array();
  for (const auto& r : o.report.results) results.push_back(ResultJson(r));
  json sections = json::array();
  for (const auto& s : o.report.sections) {
    json section = ScoreJson(s.counts);
    section["id"] = s.id;
    section["title"] = s.title;
    sections.push_back(section);
  }
  json proof = {{"list", Utf8OrEscaped(doc.list)},
                {"pcr_source", Utf8OrEscaped(doc.pcr_source)},
                {"verified", o.verified},
                {"entries", o.verify.entries},
                {"proved_entries", o.proved_entries},
                {"pcrs", proofs}};
  if (!o.verified) proof["reason"] = std::string(comp::kListNotVerified) + ": " + o.not_verified_reason;
  if (!doc.state.empty()) proof["state"] = doc.state;
  json node = {{"hostname", doc.hostname}, {"root", Utf8OrEscaped(doc.root)}};
  json j = {{"benchmark", {{"id", b.id}, {"title", b.title}, {"version", b.version}}},
            {"node", node},
            {"proof", proof},
            {"appraisal",
             {{"allowed", o.appraisals.allowed},
              {"unknown", o.appraisals.unknown},
              {"changed", o.appraisals.changed},
              {"excluded", o.appraisals.excluded},
              {"violation", o.appraisals.violation}}},
            {"results", results},
            {"sections", sections},
            {"overall", ScoreJson(o.report.overall)},
            {"compliant", IsCompliant(o.report)},
            {"failing", IdsWithVerdict(o.report, comp::Verdict::kFail)},
            {"errors", IdsWithVerdict(o.report, comp::Verdict::kError)}};
  if (doc.generated_at) j["generated_at"] = *doc.generated_at;
  if (doc.epoch) j["epoch"] = *doc.epoch;
  return j;
}

// Benchmark order; every result that is not a pass gets its reason on the next line.
void WriteTextReport(std::ostream& out, const ReportDocument& doc) {
  const comp::Benchmark& b = *doc.benchmark;
  const comp::CheckOutcome& o = *doc.outcome;
  const bool compliant = IsCompliant(o.report);
  out << b.title << " v" << b.version << " [" << b.id << "]\n";
  out << "node: " << doc.hostname << " (files under " << doc.root << ")\n";
  out << "list: " << doc.list << ": ";
  if (o.verified) {
    out << "VERIFIED, " << o.proved_entries << " of " << o.verify.entries << " entries proved";
    for (const auto& p : o.proofs) {
      if (p.matched)
        out << "; " << ima::Name(p.bank) << " PCR " << p.pcr << " = " << p.value.substr(0, 16) << "…";
    }
    out << "\n";
  } else {
    out << "NOT VERIFIED (" << o.not_verified_reason << "): no entry is used as evidence\n";
  }
  if (!doc.state.empty()) out << "state: " << doc.state << "\n";
  out << "appraisal: " << o.appraisals.allowed << " allowed, " << o.appraisals.unknown << " unknown, "
      << o.appraisals.changed << " changed, " << o.appraisals.excluded << " excluded, "
      << o.appraisals.violation << " violations\n\n";
  out << std::left << std::setw(10) << "ID" << std::setw(16) << "RESULT" << std::setw(6) << "LEVEL"
      << "TITLE\n";
  for (const auto& r : o.report.results) {
    out << std::left << std::setw(10) << r.id << std::setw(16) << comp::VerdictName(r.verdict) << std::setw(6)
        << (r.level ? std::to_string(*r.level) : "-") << r.title << "\n";
    if (r.verdict != comp::Verdict::kPass && !r.reason.empty()) out << "          " << r.reason << "\n";
  }
  out << "\nsections:\n";
  for (const auto& s : o.report.sections) {
    out << "  " << std::left << std::setw(8) << s.id << std::setw(50) << s.title.substr(0, 48) << std::right
        << std::setw(8) << ScoreText(s.counts) << "  (" << Counts(s.counts) << ")\n";
  }
  out << "overall: " << ScoreText(o.report.overall) << " (" << Counts(o.report.overall) << ")\n";
  out << "summary: " << o.report.results.size() << " recommendations, " << o.report.overall.pass << " pass, "
      << o.report.overall.fail << " fail, " << o.report.overall.error << " error: ";
  if (compliant) {
    out << "COMPLIANT\n";
  } else {
    out << "NOT COMPLIANT";
    auto failing = IdsWithVerdict(o.report, comp::Verdict::kFail);
    auto errors = IdsWithVerdict(o.report, comp::Verdict::kError);
    if (!failing.empty()) out << "; failing: " << Join(failing);
    if (!errors.empty()) out << "; no usable evidence: " << Join(errors);
    out << "\n";
  }
}

}  // namespace imawatch::report
