// AWS Security Finding Format for BatchImportFindings (doc/report-format.md, "ASFF").
#include <nlohmann/json.hpp>

#include "reporters/report/render.h"
#include "reporters/report/text_cleaning.h"

namespace imawatch::report {
namespace {

using nlohmann::json;

// Security Hub's limits on these fields (characters).
constexpr size_t kTitleMax = 256, kDescriptionMax = 1024, kRemediationMax = 512;

std::string Clip(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  std::string out = text.substr(0, max - 3);
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80)
    out.pop_back();  // whole UTF-8
  if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xc0) out.pop_back();
  return out + "...";
}

const char* ComplianceStatus(const RecommendationItem& r) {
  if (r.result == "pass") return "PASSED";
  if (r.Unsatisfied()) return "FAILED";
  if (r.result == "manual") return "WARNING";
  return "NOT_AVAILABLE";
}

const char* SeverityLabel(const RecommendationItem& r) {
  if (r.result == "fail") return r.level.value_or(1) <= 1 ? "HIGH" : "MEDIUM";
  if (r.result == "error") return "MEDIUM";
  return "INFORMATIONAL";
}

json Finding(const ReportModel& m, const RecommendationItem& r, const RenderOptions& o) {
  const std::string when = Rfc3339Utc(m.generated_at);
  const bool resolved = r.result == "pass" || r.result == "not-applicable";
  json fields = {{"imawatch/benchmark", m.benchmark_id},
                 {"imawatch/recommendation", r.id},
                 {"imawatch/result", r.result},
                 {"imawatch/list-verified", m.verified ? "true" : "false"}};
  if (r.level) fields["imawatch/level"] = std::to_string(*r.level);
  if (m.epoch) fields["imawatch/boot-epoch"] = std::to_string(*m.epoch);
  if (const PcrProof* p = m.MainProof()) {
    fields["imawatch/pcr"] = p->bank + ":" + std::to_string(p->pcr) + "=" + p->value;
  }
  if (m.quote) fields["imawatch/quote"] = std::to_string(m.quote->id);
  if (!r.evidence.empty()) {
    fields["imawatch/evidence"] =
        Clip(OneLine(r.evidence.front().path + " " + r.evidence.front().digest), 1024);
  }
  json compliance = {{"Status", ComplianceStatus(r)},
                     {"RelatedRequirements",
                      json::array({OneLine(m.benchmark_title + " v" + m.benchmark_version + "/" + r.id)})}};
  if (!r.reason.empty()) {
    compliance["StatusReasons"] = json::array({{{"ReasonCode", "IMA_" + std::string(ComplianceStatus(r))},
                                                {"Description", Clip(OneLine(r.reason), 2048)}}});
  }
  json f = {{"SchemaVersion", "2018-10-08"},
            {"Id", FindingUuid(m, r.id)},
            {"ProductArn", "arn:aws:securityhub:" + o.aws_region + ":" + o.aws_account_id + ":product/" +
                               o.aws_account_id + "/default"},
            {"GeneratorId", "imawatch/" + m.benchmark_id + "/" + r.id},
            {"AwsAccountId", o.aws_account_id},
            {"Types", json::array({"Software and Configuration Checks/Industry and Regulatory Standards/"
                                   "CIS Host Hardening Benchmarks"})},
            {"CreatedAt", when},
            {"UpdatedAt", when},
            {"Severity", {{"Label", SeverityLabel(r)}, {"Original", r.result}}},
            {"Title", Clip(OneLine("CIS " + r.id + " " + r.title), kTitleMax)},
            {"Description",
             Clip(OneLine(r.reason.empty() ? r.title : r.result + ": " + r.reason), kDescriptionMax)},
            {"Resources", json::array({{{"Type", "Other"}, {"Id", OneLine(m.hostname)}}})},
            {"Compliance", compliance},
            {"RecordState", resolved ? "ARCHIVED" : "ACTIVE"},
            {"Workflow", {{"Status", resolved ? "RESOLVED" : "NEW"}}},
            {"ProductFields", fields}};
  if (!r.remediation.empty()) {
    f["Remediation"] = {{"Recommendation", {{"Text", Clip(OneLine(r.remediation), kRemediationMax)}}}};
  }
  return f;
}

}  // namespace

std::vector<json> AsffBatches(const ReportModel& m, const RenderOptions& options) {
  std::vector<json> batches;
  for (size_t i = 0; i < m.results.size(); ++i) {
    if (i % kAsffBatchSize == 0) batches.push_back({{"Findings", json::array()}});
    batches.back()["Findings"].push_back(Finding(m, m.results[i], options));
  }
  return batches;
}

}  // namespace imawatch::report
