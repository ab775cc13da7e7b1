// One self-contained HTML page for a compliance officer: inline CSS, inline SVG chart, inline
// script for the filters; a Content-Security-Policy that forbids every fetch.
#include <algorithm>
#include <cstdio>
#include <string>

#include "reporters/report/render.h"

namespace imawatch::report {
namespace {

std::string Esc(const std::string& text) {
  std::string out;
  for (const char c : text) {
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
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Percent(const Score& s) {
  if (!s.percent) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %%", *s.percent);
  return buf;
}

// Failing first: fail, error, manual, not-applicable, pass; benchmark order within each.
int Rank(const std::string& result) {
  if (result == "fail") return 0;
  if (result == "error") return 1;
  if (result == "manual") return 2;
  if (result == "not-applicable") return 3;
  return 4;
}

constexpr const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em;color:#1b1f24;background:#fff}
h1{font-size:1.5em;margin-bottom:.2em}
.meta{color:#555;margin:.1em 0}
.verdict{display:inline-block;padding:.3em .8em;border-radius:4px;font-weight:bold;color:#fff}
.ok{background:#1a7f37}.bad{background:#cf222e}
table{border-collapse:collapse;width:100%;margin-top:1em}
th,td{border-bottom:1px solid #d0d7de;text-align:left;padding:.4em;vertical-align:top}
th{background:#f6f8fa}
.r-fail{color:#cf222e;font-weight:bold}.r-error{color:#bc4c00;font-weight:bold}
.r-pass{color:#1a7f37}.r-manual,.r-not-applicable{color:#57606a}
.evidence{font-family:ui-monospace,monospace;font-size:.85em;word-break:break-all}
.filters{margin-top:1.5em}
.filters label{margin-right:1.5em}
.hidden{display:none}
)";

constexpr const char* kScript = R"(
(function () {
  var level = document.getElementById('filter-level');
  var result = document.getElementById('filter-result');
  var count = document.getElementById('shown-count');
  function apply() {
    var rows = document.querySelectorAll('#results tbody tr');
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (level.value === 'all' || row.dataset.level === level.value) &&
               (result.value === 'all' || row.dataset.result === result.value ||
                (result.value === 'failing' && (row.dataset.result === 'fail' || row.dataset.result === 'error')));
      row.classList.toggle('hidden', !ok);
      if (ok) shown++;
    });
    count.textContent = shown + ' of ' + rows.length + ' recommendations shown';
  }
  // A link may carry the filters: report.html#level=1&result=failing
  location.hash.replace(/^#/, '').split('&').forEach(function (pair) {
    var kv = pair.split('=');
    var select = kv[0] === 'level' ? level : kv[0] === 'result' ? result : null;
    if (select && select.querySelector('option[value="' + CSS.escape(decodeURIComponent(kv[1] || '')) + '"]')) {
      select.value = decodeURIComponent(kv[1]);
    }
  });
  level.addEventListener('change', apply);
  result.addEventListener('change', apply);
  apply();
})();
)";

// Horizontal bars: overall, then each scored section.
std::string Chart(const ReportModel& m) {
  std::vector<std::pair<std::string, const Score*>> bars = {{"Overall", &m.overall}};
  for (const SectionScore& s : m.sections) bars.push_back({s.id + " " + s.title, &s.score});
  const int row = 26, label = 330, width = 300;
  std::string svg = "<svg id=\"score-chart\" role=\"img\" width=\"" + std::to_string(label + width + 70) +
                    "\" height=\"" + std::to_string(row * bars.size() + 4) +
                    "\" aria-label=\"Scores by section\">\n";
  for (size_t i = 0; i < bars.size(); ++i) {
    const int y = static_cast<int>(i) * row + 2;
    const Score& s = *bars[i].second;
    const double pct = std::clamp(s.percent.value_or(0.0), 0.0, 100.0);
    const int w = static_cast<int>(pct / 100.0 * width + 0.5);
    std::string title = bars[i].first;
    if (title.size() > 48) title = title.substr(0, 45) + "...";
    const char* colour = pct >= 100.0 ? "#1a7f37" : pct >= 80.0 ? "#bf8700" : "#cf222e";
    svg += "<text x=\"0\" y=\"" + std::to_string(y + 16) + "\" font-size=\"12\">" + Esc(title) + "</text>";
    svg += "<rect x=\"" + std::to_string(label) + "\" y=\"" + std::to_string(y + 3) + "\" width=\"" +
           std::to_string(width) + "\" height=\"18\" fill=\"#eaeef2\"/>";
    if (s.percent) {
      svg += "<rect class=\"bar\" x=\"" + std::to_string(label) + "\" y=\"" + std::to_string(y + 3) +
             "\" width=\"" + std::to_string(w) + "\" height=\"18\" fill=\"" + colour + "\"/>";
    }
    svg += "<text x=\"" + std::to_string(label + width + 6) + "\" y=\"" + std::to_string(y + 16) +
           "\" font-size=\"12\">" + Esc(Percent(s)) + "</text>\n";
  }
  return svg + "</svg>\n";
}

std::string Row(const RecommendationItem& r) {
  const std::string level = r.level ? std::to_string(*r.level) : "none";
  std::string html = "<tr data-result=\"" + Esc(r.result) + "\" data-level=\"" + Esc(level) + "\" id=\"rec-" +
                     Esc(r.id) + "\">";
  html += "<td>" + Esc(r.id) + "</td><td class=\"r-" + Esc(r.result) + "\">" + Esc(r.result) + "</td><td>" +
          (r.level ? Esc(level) : "-") + "</td><td>" + Esc(r.title);
  if (!r.reason.empty()) html += "<div class=\"reason\">" + Esc(r.reason) + "</div>";
  html += "</td><td class=\"evidence\">";
  for (const EvidenceItem& e : r.evidence) {
    html +=
        "<div>entry " + std::to_string(e.entry_index) + ": " + Esc(e.path) + " " + Esc(e.digest) + "</div>";
  }
  if (r.evidence.empty() && !r.found.empty()) html += "<div>found: " + Esc(r.found) + "</div>";
  html += "</td><td>" + (r.result == "pass" ? std::string() : Esc(r.remediation)) + "</td></tr>\n";
  return html;
}

}  // namespace

std::string HtmlReport(const ReportModel& m) {
  std::vector<const RecommendationItem*> items;
  for (const auto& r : m.results) items.push_back(&r);
  std::stable_sort(items.begin(), items.end(),
                   [](const auto* a, const auto* b) { return Rank(a->result) < Rank(b->result); });

  std::string proof = m.verified ? "measurement list verified: " + std::to_string(m.proved_entries) + " of " +
                                       std::to_string(m.entries) + " entries proved"
                                 : "measurement list NOT verified: " + m.not_verified_reason;
  if (const PcrProof* p = m.MainProof())
    proof += "; " + p->bank + " PCR " + std::to_string(p->pcr) + " = " + p->value;
  if (m.quote) proof += "; TPM quote " + std::to_string(m.quote->id) + " (nonce " + m.quote->nonce + ")";

  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "script-src 'unsafe-inline'\">\n";
  html += "<title>" + Esc(m.benchmark_title + " v" + m.benchmark_version + " - " + m.hostname) + "</title>\n";
  html += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  html += "<h1>" + Esc(m.benchmark_title + " v" + m.benchmark_version) + "</h1>\n";
  html += "<p class=\"meta\">Node <strong id=\"node\">" + Esc(m.hostname) +
          "</strong>, report of <time id=\"time\">" + Rfc3339Utc(m.generated_at) + "</time>";
  if (m.epoch) html += ", boot epoch " + std::to_string(*m.epoch);
  html += "</p>\n<p class=\"meta\" id=\"proof\">" + Esc(proof) + "</p>\n";
  html += "<p><span class=\"verdict " + std::string(m.compliant ? "ok\">COMPLIANT" : "bad\">NOT COMPLIANT") +
          "</span> Overall score <strong id=\"overall-score\">" + Esc(Percent(m.overall)) + "</strong> (" +
          std::to_string(m.overall.pass) + " pass, " + std::to_string(m.overall.fail) + " fail, " +
          std::to_string(m.overall.error) + " error, " + std::to_string(m.overall.manual) + " manual, " +
          std::to_string(m.overall.not_applicable) + " not applicable)</p>\n";
  html += "<h2>Scores by section</h2>\n" + Chart(m);
  html +=
      "<table "
      "id=\"sections\"><thead><tr><th>Section</th><th>Title</th><th>Score</th><th>Pass</th><th>Fail</th>"
      "<th>Error</th></tr></thead><tbody>\n";
  for (const SectionScore& s : m.sections) {
    html += "<tr><td>" + Esc(s.id) + "</td><td>" + Esc(s.title) + "</td><td class=\"section-score\">" +
            Esc(Percent(s.score)) + "</td><td>" + std::to_string(s.score.pass) + "</td><td>" +
            std::to_string(s.score.fail) + "</td><td>" + std::to_string(s.score.error) + "</td></tr>\n";
  }
  html += "</tbody></table>\n<h2>Recommendations</h2>\n";
  html +=
      "<div class=\"filters\"><label>Level <select id=\"filter-level\"><option value=\"all\">all</option>"
      "<option value=\"1\">1</option><option value=\"2\">2</option></select></label>"
      "<label>Result <select id=\"filter-result\"><option value=\"all\">all</option>"
      "<option value=\"failing\">fail or error</option><option value=\"fail\">fail</option>"
      "<option value=\"error\">error</option><option value=\"manual\">manual</option>"
      "<option value=\"not-applicable\">not applicable</option><option value=\"pass\">pass</option>"
      "</select></label><span id=\"shown-count\"></span></div>\n";
  html +=
      "<table id=\"results\"><thead><tr><th>ID</th><th>Result</th><th>Level</th><th>Title and reason</th>"
      "<th>Evidence</th><th>Remediation</th></tr></thead><tbody>\n";
  for (const RecommendationItem* r : items) html += Row(*r);
  html += "</tbody></table>\n<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace imawatch::report
