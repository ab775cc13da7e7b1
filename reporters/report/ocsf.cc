// OCSF Compliance Finding (class 2003), versions 1.6 and 1.1 (doc/report-format.md, "OCSF").
#include <map>
#include <nlohmann/json.hpp>

#include "reporters/report/render.h"
#include "reporters/report/uuid.h"

namespace imawatch::report {
namespace {

using nlohmann::json;

constexpr int kClassUid = 2003;
constexpr int kCategoryFindings = 2;
enum Activity { kCreate = 1, kUpdate = 2, kClose = 3 };

Activity ActivityOf(const RecommendationItem& r, const std::map<std::string, std::string>& previous,
                    bool have_previous) {
  if (!have_previous) return kCreate;
  auto it = previous.find(r.id);
  if (it == previous.end()) return kCreate;
  const bool was_open = it->second == "fail" || it->second == "error";
  if (was_open && !r.Unsatisfied()) return kClose;
  return kUpdate;
}

const char* ActivityName(Activity a) {
  switch (a) {
    case kCreate:
      return "Create";
    case kUpdate:
      return "Update";
    case kClose:
      return "Close";
  }
  return "Other";
}

// compliance.status_id: 1 Pass, 2 Warning, 3 Fail, 0 Unknown, 99 Other.
std::pair<int, const char*> ComplianceStatus(const RecommendationItem& r) {
  if (r.result == "pass") return {1, "Pass"};
  if (r.result == "fail") return {3, "Fail"};
  if (r.result == "error") return {3, "Fail"};  // not proved compliant is not compliant
  if (r.result == "manual") return {0, "Unknown"};
  return {99, "Not applicable"};
}

// The finding's own status_id: 1 New, 2 In Progress, 4 Resolved, 99 Other.
std::pair<int, const char*> FindingStatus(const RecommendationItem& r, Activity a) {
  if (r.Unsatisfied()) return a == kCreate ? std::pair{1, "New"} : std::pair{2, "In Progress"};
  if (r.result == "manual") return {99, "Manual review"};
  return {4, "Resolved"};
}

// severity_id: 1 Informational, 3 Medium, 4 High.
std::pair<int, const char*> Severity(const RecommendationItem& r) {
  if (r.result == "fail") return r.level.value_or(1) <= 1 ? std::pair{4, "High"} : std::pair{3, "Medium"};
  if (r.result == "error") return {3, "Medium"};
  return {1, "Informational"};
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return name.empty() ? path : name;
}

json Finding(const ReportModel& m, const RecommendationItem& r, Activity activity, bool v16) {
  const int64_t time_ms = m.generated_at * 1000;
  const auto [status_id, status] = FindingStatus(r, activity);
  const auto [compliance_id, compliance_status] = ComplianceStatus(r);
  const auto [severity_id, severity] = Severity(r);
  const std::string standard = m.benchmark_title + " v" + m.benchmark_version;
  json unmapped = {{"benchmark_id", m.benchmark_id},
                   {"recommendation_id", r.id},
                   {"section", r.section},
                   {"result", r.result},
                   {"list_verified", m.verified}};
  if (r.level) unmapped["level"] = *r.level;
  if (m.epoch) unmapped["boot_epoch"] = *m.epoch;
  if (const PcrProof* p = m.MainProof()) {
    unmapped["pcr"] = {{"bank", p->bank}, {"index", p->pcr}, {"value", p->value}};
  }
  if (m.quote) unmapped["quote"] = {{"id", m.quote->id}, {"nonce", m.quote->nonce}};
  json compliance = {{"control", r.id},
                     {"standards", json::array({standard})},
                     {"requirements", json::array({"CIS " + r.id})},
                     {"status", compliance_status},
                     {"status_id", compliance_id}};
  if (!r.reason.empty()) compliance["status_detail"] = r.reason;
  json f = {{"activity_id", activity},
            {"activity_name", ActivityName(activity)},
            {"category_uid", kCategoryFindings},
            {"category_name", "Findings"},
            {"class_uid", kClassUid},
            {"class_name", "Compliance Finding"},
            {"type_uid", kClassUid * 100 + activity},
            {"type_name", std::string("Compliance Finding: ") + ActivityName(activity)},
            {"time", time_ms},
            {"severity_id", severity_id},
            {"severity", severity},
            {"status_id", status_id},
            {"status", status},
            {"message", "CIS " + r.id + " " + r.result + ": " + r.title},
            {"metadata",
             {{"version", v16 ? "1.6.0" : "1.1.0"},
              {"uid", UuidV5(kImawatchUuidNamespace, "ocsf/" + m.hostname + "/" + m.benchmark_id + "/" +
                                                         r.id + "/" + std::to_string(time_ms))},
              {"product", {{"name", "imawatch"}, {"vendor_name", "imawatch"}}}}},
            {"finding_info",
             {{"uid", FindingUuid(m, r.id)},
              {"title", "CIS " + r.id + " " + r.title},
              {"types", json::array({"CIS benchmark recommendation"})},
              {"modified_time", time_ms}}},
            {"compliance", compliance},
            {"device", {{"hostname", m.hostname}, {"name", m.hostname}, {"type_id", 1}, {"type", "Server"}}},
            {"unmapped", {{"imawatch", unmapped}}}};
  if (!r.reason.empty()) f["finding_info"]["desc"] = r.reason;
  if (!r.remediation.empty()) f["remediation"] = {{"desc", r.remediation}};
  if (v16 && !r.evidence.empty()) {
    json evidences = json::array();
    for (const EvidenceItem& e : r.evidence) {
      evidences.push_back({{"file", {{"name", BaseName(e.path)}, {"path", e.path}, {"type_id", 1}}},
                           {"data",
                            {{"entry_index", e.entry_index},
                             {"digest", e.digest},
                             {"template", e.template_name},
                             {"pcr", e.pcr},
                             {"proof", e.proof}}}});
    }
    f["evidences"] = evidences;
  }
  return f;
}

}  // namespace

json OcsfFindings(const ReportModel& m, const RenderOptions& options) {
  std::map<std::string, std::string> previous;
  if (options.previous) {
    for (const auto& r : options.previous->results) previous[r.id] = r.result;
  }
  const bool v16 = options.ocsf_version != "1.1";
  json out = json::array();
  for (const RecommendationItem& r : m.results) {
    out.push_back(Finding(m, r, ActivityOf(r, previous, options.previous != nullptr), v16));
  }
  return out;
}

}  // namespace imawatch::report
