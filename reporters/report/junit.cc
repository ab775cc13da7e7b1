// JUnit XML for CI dashboards: one testsuite per benchmark section, one testcase per
// recommendation (fail -> <failure>, error -> <error>, manual/not-applicable -> <skipped>).
#include <map>
#include <string>

#include "reporters/report/render.h"

namespace imawatch::report {
namespace {

// XML 1.0 text and attribute values: the five entities; control characters XML 1.0 cannot carry
// at all become U+FFFD; tab/newline kept as character references in attributes.
std::string Xml(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\r':
        out += "&#13;";
        break;
      case '\t':
        out += "&#9;";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += "\xef\xbf\xbd";
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string Details(const RecommendationItem& r) {
  std::string text = r.reason;
  if (!r.expected.empty()) text += "\nexpected: " + r.expected;
  if (!r.found.empty()) text += "\nfound: " + r.found;
  for (const EvidenceItem& e : r.evidence) {
    text += "\nevidence: entry " + std::to_string(e.entry_index) + " " + e.path + " " + e.digest;
  }
  if (!r.remediation.empty()) text += "\nremediation: " + r.remediation;
  return text;
}

}  // namespace

std::string JunitReport(const ReportModel& m) {
  struct Suite {
    std::string title;
    int tests = 0, failures = 0, errors = 0, skipped = 0;
    std::string cases;
  };
  std::map<std::string, Suite> suites;
  std::vector<std::string> order;
  for (const SectionScore& s : m.sections) {
    suites[s.id].title = s.title;
    order.push_back(s.id);
  }
  for (const RecommendationItem& r : m.results) {
    if (!suites.count(r.section)) order.push_back(r.section);
    Suite& s = suites[r.section];
    ++s.tests;
    s.cases += "    <testcase classname=\"" + Xml(m.benchmark_id + "." + r.section) + "\" name=\"" +
               Xml(r.id + " " + r.title) + "\">\n";
    if (r.result == "fail") {
      ++s.failures;
      s.cases += "      <failure message=\"" + Xml(r.reason) + "\" type=\"fail\">" + Xml(Details(r)) +
                 "</failure>\n";
    } else if (r.result == "error") {
      ++s.errors;
      s.cases +=
          "      <error message=\"" + Xml(r.reason) + "\" type=\"error\">" + Xml(Details(r)) + "</error>\n";
    } else if (r.result != "pass") {
      ++s.skipped;
      s.cases += "      <skipped message=\"" + Xml(r.result + ": " + r.reason) + "\"/>\n";
    }
    s.cases += "    </testcase>\n";
  }
  const std::string when = Rfc3339Utc(m.generated_at);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"" + Xml(m.benchmark_title + " v" + m.benchmark_version) + "\" tests=\"" +
         std::to_string(m.results.size()) + "\" failures=\"" + std::to_string(m.overall.fail) +
         "\" errors=\"" + std::to_string(m.overall.error) + "\" skipped=\"" +
         std::to_string(int64_t{m.overall.manual} + m.overall.not_applicable) + "\" timestamp=\"" + when +
         "\">\n";
  for (const std::string& id : order) {
    const Suite& s = suites[id];
    if (s.tests == 0) continue;
    out += "  <testsuite name=\"" + Xml(id + " " + s.title) + "\" tests=\"" + std::to_string(s.tests) +
           "\" failures=\"" + std::to_string(s.failures) + "\" errors=\"" + std::to_string(s.errors) +
           "\" skipped=\"" + std::to_string(s.skipped) + "\" timestamp=\"" + when + "\" hostname=\"" +
           Xml(m.hostname) + "\">\n" + s.cases + "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace imawatch::report
