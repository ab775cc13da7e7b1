#include "reporters/report/report_document.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "monitor/base/utf8.h"
#include "reporters/report/report_model.h"

namespace imawatch::report {
namespace {

using nlohmann::json;
namespace comp = imawatch::compliance;

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
  if (doc.quote) {
    proof["quote"] = {{"id", doc.quote->id}, {"taken_at", doc.quote->taken_at}, {"nonce", doc.quote->nonce}};
  }
  json node = {{"hostname", doc.hostname}, {"root", Utf8OrEscaped(doc.root)}};
  json j = {{"format", kReportFormat},
            {"benchmark", {{"id", b.id}, {"title", b.title}, {"version", b.version}}},
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

// Never throws: the daemon renders this on its poll loop.
void WriteTextReport(std::ostream& out, const ReportDocument& doc) {
  auto model = ReadReportModel(ReportJson(doc), doc.generated_at.value_or(0));
  if (!model) {
    out << "report unavailable: " << model.error().ToString() << "\n";
    return;
  }
  WriteTextReport(out, *model);
}

}  // namespace imawatch::report
