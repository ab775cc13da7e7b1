// OSCAL 1.2.1 assessment-results (doc/report-format.md, "OSCAL").
#include <cstdio>
#include <nlohmann/json.hpp>

#include "reporters/report/render.h"
#include "reporters/report/text_cleaning.h"
#include "reporters/report/uuid.h"

namespace imawatch::report {
namespace {

using nlohmann::json;

constexpr const char* kOscalVersion = "1.2.1";
constexpr const char* kNamespace = "urn:imawatch:oscal";

json Prop(const std::string& name, std::string_view value) {
  return {{"name", name}, {"ns", kNamespace}, {"value", OneLine(value)}};
}

// OSCAL ids are tokens that start with a letter: 4.2.1 -> CIS-4.2.1.
std::string ControlId(const RecommendationItem& r) { return "CIS-" + r.id; }

std::string EvidenceText(const EvidenceItem& e) {
  std::string text = "IMA entry " + std::to_string(e.entry_index) + ": " + e.path + " " + e.digest + " (" +
                     e.template_name + ", PCR " + std::to_string(e.pcr) + ")";
  if (e.uid) text += " uid " + std::to_string(*e.uid);
  if (e.gid) text += " gid " + std::to_string(*e.gid);
  if (!e.mode.empty()) text += " mode " + e.mode;
  if (!e.proof.empty()) text += "; " + e.proof;
  return text;
}

std::string Describe(const RecommendationItem& r) {
  std::string text = "Result: " + r.result + ".";
  if (!r.reason.empty()) text += " " + r.reason;
  if (!r.expected.empty()) text += "\n\nExpected: " + r.expected;
  if (!r.found.empty()) text += "\n\nFound: " + r.found;
  return text;
}

json Observation(const RecommendationItem& r, const std::string& uuid, const std::string& collected) {
  json props = json::array({Prop("recommendation-id", r.id), Prop("result", r.result)});
  if (r.level) props.push_back(Prop("level", std::to_string(*r.level)));
  props.push_back(Prop("section", r.section));
  json o = {{"uuid", uuid},
            {"title", OneLine(ControlId(r) + " " + r.title)},
            {"description", Describe(r)},
            {"props", props},
            {"methods", json::array({"TEST"})},
            {"types", json::array({"finding"})},
            {"collected", collected}};
  if (!r.evidence.empty()) {
    json evidence = json::array();
    for (const EvidenceItem& e : r.evidence) {
      evidence.push_back({{"description", EvidenceText(e)},
                          {"props", json::array({Prop("path", e.path), Prop("digest", e.digest),
                                                 Prop("entry-index", std::to_string(e.entry_index))})}});
    }
    o["relevant-evidence"] = evidence;
  }
  return o;
}

json Finding(const ReportModel& m, const RecommendationItem& r, const std::string& observation_uuid) {
  json f = {{"uuid", FindingUuid(m, r.id)},
            {"title", OneLine(ControlId(r) + " " + r.title + ": " + r.result)},
            {"description", Describe(r)},
            {"props", json::array({Prop("recommendation-id", r.id), Prop("result", r.result)})},
            {"target",
             {{"type", "statement-id"},
              {"target-id", ControlId(r) + "_smt"},
              {"status", {{"state", "not-satisfied"}, {"reason", r.result == "fail" ? "fail" : "other"}}}}},
            {"related-observations", json::array({{{"observation-uuid", observation_uuid}}})}};
  if (!r.remediation.empty()) f["remarks"] = "Remediation: " + r.remediation;
  return f;
}

}  // namespace

json OscalAssessmentResults(const ReportModel& m) {
  const std::string when = Rfc3339Utc(m.generated_at);
  const std::string run = m.hostname + "/" + m.benchmark_id + "/" + std::to_string(m.generated_at);
  json result_props = json::array({Prop("node", m.hostname), Prop("benchmark", m.benchmark_id),
                                   Prop("list-verified", m.verified ? "true" : "false")});
  if (m.epoch) result_props.push_back(Prop("boot-epoch", std::to_string(*m.epoch)));
  if (const PcrProof* p = m.MainProof()) {
    result_props.push_back(Prop("pcr-bank", p->bank));
    result_props.push_back(Prop("pcr-index", std::to_string(p->pcr)));
    result_props.push_back(Prop("pcr-value", p->value));
  }
  if (m.quote) result_props.push_back(Prop("quote-reference", "quote/" + std::to_string(m.quote->id)));
  if (m.overall.percent) {
    char score[32];
    std::snprintf(score, sizeof score, "%.1f", *m.overall.percent);
    result_props.push_back(Prop("score-overall", score));
  }
  for (const SectionScore& s : m.sections) {
    if (!s.score.percent) continue;
    char score[32];
    std::snprintf(score, sizeof score, "%.1f", *s.score.percent);
    result_props.push_back(Prop("score-section-" + s.id, score));
  }

  json controls = json::array();
  json observations = json::array();
  json findings = json::array();
  for (const RecommendationItem& r : m.results) {
    controls.push_back(
        {{"control-id", ControlId(r)}, {"statement-ids", json::array({ControlId(r) + "_smt"})}});
    if (!r.Evaluated()) continue;
    const std::string obs_uuid = UuidV5(kImawatchUuidNamespace, "observation/" + run + "/" + r.id);
    observations.push_back(Observation(r, obs_uuid, when));
    if (r.Unsatisfied()) findings.push_back(Finding(m, r, obs_uuid));
  }
  json reviewed = {{"control-selections", json::array()}};
  if (!controls.empty()) {
    reviewed["control-selections"].push_back({{"include-controls", controls}});
  } else {
    reviewed["control-selections"].push_back({{"include-all", json::object()}});
  }
  json result = {
      {"uuid", UuidV4()},
      {"title", OneLine(m.benchmark_title + " v" + m.benchmark_version + " on " + m.hostname)},
      {"description", "IMA-attested evaluation of " + m.benchmark_title + " on node " + m.hostname +
                          (m.verified ? "; the measurement list was proved against the TPM."
                                      : "; the measurement list was NOT verified: " + m.not_verified_reason)},
      {"start", when},
      {"end", when},
      {"props", result_props},
      {"reviewed-controls", reviewed}};
  if (!observations.empty()) result["observations"] = observations;
  if (!findings.empty()) result["findings"] = findings;
  return {{"assessment-results",
           {{"uuid", UuidV4()},
            {"metadata",
             {{"title", OneLine("imawatch " + m.benchmark_title + " assessment of " + m.hostname)},
              {"last-modified", when},
              {"version", std::to_string(m.generated_at)},
              {"oscal-version", kOscalVersion}}},
            {"import-ap",
             {{"href", "urn:imawatch:benchmark:" + m.benchmark_id},
              {"remarks", "No separate assessment plan: the benchmark mapping is the plan."}}},
            {"results", json::array({result})}}}};
}

}  // namespace imawatch::report
