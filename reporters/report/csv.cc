// CSV, one row per recommendation (RFC 4180: CRLF rows, fields quoted when they hold a comma,
// quote, CR or LF, quotes doubled).
#include <string>

#include "reporters/report/render.h"

namespace imawatch::report {
namespace {

std::string Field(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void Row(std::string& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += Field(fields[i]);
  }
  out += "\r\n";
}

}  // namespace

std::string CsvReport(const ReportModel& m) {
  std::string out;
  Row(out, {"benchmark", "node", "generated_at", "id", "title", "section", "level", "result", "reason",
            "expected", "found", "remediation", "evidence"});
  const std::string when = Rfc3339Utc(m.generated_at);
  for (const RecommendationItem& r : m.results) {
    std::string evidence;
    for (const EvidenceItem& e : r.evidence) {
      if (!evidence.empty()) evidence += "\n";
      evidence += e.path + " " + e.digest + " (entry " + std::to_string(e.entry_index) + ")";
    }
    Row(out,
        {m.benchmark_id, m.hostname, when, r.id, r.title, r.section, r.level ? std::to_string(*r.level) : "",
         r.result, r.reason, r.expected, r.found, r.remediation, evidence});
  }
  return out;
}

}  // namespace imawatch::report
