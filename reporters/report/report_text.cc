// The report for terminals (imawatch check, /v1/reports/{id}?format=text).
#include <iomanip>
#include <sstream>

#include "reporters/report/report_model.h"

namespace imawatch::report {
namespace {

std::string ScoreText(const Score& s) {
  if (!s.percent) return "-";
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << *s.percent << " %";
  return out.str();
}

std::string Counts(const Score& s) {
  std::ostringstream out;
  out << s.pass << " pass, " << s.fail << " fail, " << s.error << " error, " << s.manual << " manual, "
      << s.not_applicable << " not-applicable";
  return out.str();
}

std::string IdsWith(const ReportModel& m, const std::string& result) {
  std::string out;
  for (const auto& r : m.results) {
    if (r.result == result) out += (out.empty() ? "" : ", ") + r.id;
  }
  return out;
}

constexpr const char* kIndent = "          ";
// A recommendation reading a whole drop-in directory can rest on many files; the JSON lists all.
constexpr size_t kEvidenceLines = 6;

// "entry 57 /var/lib/kubelet/config.yaml sha256:3f2a9c1b04d2… evm-sig mode 600 uid 0 gid 0"
std::string EvidenceLine(const EvidenceItem& e) {
  const size_t colon = e.digest.find(':');
  const size_t shown = colon == std::string::npos ? 12 : colon + 13;
  std::string line = "entry " + std::to_string(e.entry_index) + " " + e.path + " " +
                     e.digest.substr(0, shown) + (e.digest.size() > shown ? "…" : "") + " " + e.template_name;
  if (!e.mode.empty()) line += " mode " + e.mode;
  if (e.uid) line += " uid " + std::to_string(*e.uid);
  if (e.gid) line += " gid " + std::to_string(*e.gid);
  return line;
}

}  // namespace

void WriteTextReport(std::ostream& out, const ReportModel& m) {
  out << m.benchmark_title << " v" << m.benchmark_version << " [" << m.benchmark_id << "]\n";
  out << "node: " << m.hostname << " (files under " << m.root << ")\n";
  out << "list: " << m.list << ": ";
  if (m.verified) {
    out << "VERIFIED, " << m.proved_entries << " of " << m.entries << " entries proved";
    for (const auto& p : m.pcrs) {
      if (p.matched) out << "; " << p.bank << " PCR " << p.pcr << " = " << p.value.substr(0, 16) << "…";
    }
    out << "\n";
  } else {
    // The JSON's reason is "measurement list not verified: <why>"; the text names only the why.
    std::string why = m.not_verified_reason;
    const std::string prefix = std::string(compliance::kListNotVerified) + ": ";
    if (why.rfind(prefix, 0) == 0) why = why.substr(prefix.size());
    out << "NOT VERIFIED (" << why << "): no entry is used as evidence\n";
  }
  if (!m.state.empty()) out << "state: " << m.state << "\n";
  out << "appraisal: " << m.allowed << " allowed, " << m.unknown << " unknown, " << m.changed << " changed, "
      << m.excluded << " excluded, " << m.violation << " violations\n\n";
  out << std::left << std::setw(10) << "ID" << std::setw(16) << "RESULT" << std::setw(6) << "LEVEL"
      << "TITLE\n";
  for (const auto& r : m.results) {
    out << std::left << std::setw(10) << r.id << std::setw(16) << r.result << std::setw(6)
        << (r.level ? std::to_string(*r.level) : "-") << r.title << "\n";
    if (r.result != "pass" && !r.reason.empty()) out << kIndent << r.reason << "\n";
    if (r.result == "pass" && !r.found.empty()) out << kIndent << "found " << r.found << "\n";
    for (size_t i = 0; i < r.evidence.size() && i < kEvidenceLines; ++i) {
      out << kIndent << EvidenceLine(r.evidence[i]) << "\n";
    }
    if (r.evidence.size() > kEvidenceLines) {
      out << kIndent << "and " << r.evidence.size() - kEvidenceLines
          << " more entries (--format json lists them)\n";
    }
  }
  out << "\nsections:\n";
  for (const auto& s : m.sections) {
    out << "  " << std::left << std::setw(8) << s.id << std::setw(50) << s.title.substr(0, 48) << std::right
        << std::setw(8) << ScoreText(s.score) << "  (" << Counts(s.score) << ")\n";
  }
  out << "overall: " << ScoreText(m.overall) << " (" << Counts(m.overall) << ")\n";
  out << "summary: " << m.results.size() << " recommendations, " << m.overall.pass << " pass, "
      << m.overall.fail << " fail, " << m.overall.error << " error: ";
  if (m.compliant) {
    out << "COMPLIANT\n";
  } else {
    out << "NOT COMPLIANT";
    const std::string failing = IdsWith(m, "fail"), errors = IdsWith(m, "error");
    if (!failing.empty()) out << "; failing: " << failing;
    if (!errors.empty()) out << "; no usable evidence: " << errors;
    out << "\n";
  }
}

}  // namespace imawatch::report
