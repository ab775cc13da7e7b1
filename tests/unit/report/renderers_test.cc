// Each format from the sample model: structure, ids and escaping.
#include <gtest/gtest.h>

#include <functional>
#include <regex>
#include <sstream>

#include "reporters/report/render.h"
#include "tests/unit/report/sample_report.h"

namespace imawatch::report {
namespace {

using nlohmann::json;
using testing::Item;
using testing::SampleReport;

// OSCAL forbids empty arrays anywhere.
void ExpectNoEmptyArray(const json& j, const std::string& path = "") {
  if (j.is_array()) {
    EXPECT_FALSE(j.empty()) << "empty array at " << path;
    for (size_t i = 0; i < j.size(); ++i) ExpectNoEmptyArray(j[i], path + "/" + std::to_string(i));
  } else if (j.is_object()) {
    for (const auto& [k, v] : j.items()) ExpectNoEmptyArray(v, path + "/" + k);
  }
}

const std::regex kUuid("^[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

TEST(Oscal, ObservationsForEvaluatedFindingsForUnsatisfied) {
  const ReportModel m = SampleReport();
  const json doc = OscalAssessmentResults(m);
  ExpectNoEmptyArray(doc);
  const json& ar = doc["assessment-results"];
  EXPECT_EQ(ar["metadata"]["oscal-version"], "1.2.1");
  EXPECT_EQ(ar["metadata"]["last-modified"], "2026-11-18T11:06:40Z");
  const json& result = ar["results"].at(0);
  // pass, fail, error are evaluated; manual and not-applicable are not.
  ASSERT_EQ(result["observations"].size(), 3u);
  ASSERT_EQ(result["findings"].size(), 2u);
  const json& finding = result["findings"][0];
  EXPECT_EQ(finding["target"]["type"], "statement-id");
  EXPECT_EQ(finding["target"]["target-id"], "CIS-4.1.1_smt");
  EXPECT_EQ(finding["target"]["status"]["state"], "not-satisfied");
  EXPECT_EQ(finding["props"][0]["name"], "recommendation-id");
  EXPECT_EQ(finding["props"][0]["ns"], "urn:imawatch:oscal");
  EXPECT_EQ(finding["props"][0]["value"], "4.1.1");
  EXPECT_EQ(result["reviewed-controls"]["control-selections"][0]["include-controls"][0]["control-id"],
            "CIS-4.1.1");
  // Every observation a finding names exists.
  std::set<std::string> observations;
  for (const json& o : result["observations"]) {
    observations.insert(o["uuid"].get<std::string>());
    EXPECT_TRUE(std::regex_match(o["uuid"].get<std::string>(), kUuid));
  }
  for (const json& f : result["findings"]) {
    EXPECT_TRUE(observations.count(f["related-observations"][0]["observation-uuid"].get<std::string>()));
  }
  // Prop values are single trimmed lines (OSCAL's string type).
  std::function<void(const json&)> walk = [&](const json& j) {
    if (j.is_object() && j.contains("props")) {
      for (const json& p : j["props"]) {
        const std::string v = p["value"];
        EXPECT_EQ(v.find('\n'), std::string::npos) << v;
        EXPECT_FALSE(v.empty() || v.front() == ' ' || v.back() == ' ') << v;
      }
    }
    if (j.is_structured()) {
      for (const auto& item : j) walk(item);
    }
  };
  walk(doc);
}

TEST(Oscal, FindingUuidsAreStableAcrossRunsDocumentUuidsAreNot) {
  ReportModel m = SampleReport();
  const json first = OscalAssessmentResults(m);
  m.generated_at += 60;
  const json second = OscalAssessmentResults(m);
  const json& f1 = first["assessment-results"]["results"][0]["findings"];
  const json& f2 = second["assessment-results"]["results"][0]["findings"];
  EXPECT_EQ(f1[0]["uuid"], f2[0]["uuid"]);  // v5: the same finding is updated
  EXPECT_EQ(f1[0]["uuid"].get<std::string>()[14], '5');
  EXPECT_NE(first["assessment-results"]["uuid"], second["assessment-results"]["uuid"]);  // v4 instance
  EXPECT_EQ(first["assessment-results"]["uuid"].get<std::string>()[14], '4');
  // A new run's observation is a new object.
  EXPECT_NE(first["assessment-results"]["results"][0]["observations"][0]["uuid"],
            second["assessment-results"]["results"][0]["observations"][0]["uuid"]);
}

TEST(Oscal, CompliantNodeHasNoFindingsArray) {
  ReportModel m = SampleReport();
  for (auto& r : m.results) r.result = "pass";
  const json doc = OscalAssessmentResults(m);
  ExpectNoEmptyArray(doc);
  EXPECT_FALSE(doc["assessment-results"]["results"][0].contains("findings"));
}

TEST(Ocsf, OneFindingPerRecommendationCreateUpdateClose) {
  ReportModel before = SampleReport();
  const json created = OcsfFindings(before, {});
  ASSERT_EQ(created.size(), before.results.size());
  for (const json& f : created) {
    EXPECT_EQ(f["class_uid"], 2003);
    EXPECT_EQ(f["activity_id"], 1);
    EXPECT_EQ(f["type_uid"], 200301);
    EXPECT_EQ(f["metadata"]["version"], "1.6.0");
    EXPECT_EQ(f["time"], int64_t{1795000000} * 1000);
  }
  EXPECT_EQ(created[0]["compliance"]["status_id"], 3);
  EXPECT_EQ(created[0]["evidences"][0]["file"]["path"], before.results[0].evidence[0].path);

  ReportModel after = before;
  after.generated_at += 60;
  after.results[0].result = "pass";  // 4.1.1 fixed: its finding closes
  after.results.push_back(Item("4.2.10", "fail"));
  RenderOptions options;
  options.previous = &before;
  const json next = OcsfFindings(after, options);
  EXPECT_EQ(next[0]["activity_id"], 3);
  EXPECT_EQ(next[0]["type_uid"], 200303);
  EXPECT_EQ(next[0]["status_id"], 4);  // Resolved
  EXPECT_EQ(next[1]["activity_id"], 2);
  EXPECT_EQ(next[2]["activity_id"], 2);  // still error: updated
  EXPECT_EQ(next[2]["status_id"], 2);    // In Progress
  EXPECT_EQ(next.back()["activity_id"], 1);
  EXPECT_EQ(next[0]["finding_info"]["uid"], created[0]["finding_info"]["uid"]);
}

TEST(Ocsf, Version11HasNoEvidencesMember) {
  RenderOptions options;
  options.ocsf_version = "1.1";
  const json findings = OcsfFindings(SampleReport(), options);
  EXPECT_EQ(findings[0]["metadata"]["version"], "1.1.0");
  EXPECT_FALSE(findings[0].contains("evidences"));  // not in OCSF 1.1
  const ReportModel m = SampleReport();
  options.ocsf_version = "1.3";
  EXPECT_FALSE(Render(Format::kOcsf, {.report = json::object(), .model = m}, options).ok());
}

TEST(Asff, BatchesOfAtMostHundredResolvedArchived) {
  ReportModel m = SampleReport();
  for (int i = 0; i < 245; ++i)
    m.results.push_back(Item("5.1." + std::to_string(i), i % 2 ? "pass" : "fail"));
  const auto batches = AsffBatches(m, {});
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0]["Findings"].size(), 100u);
  EXPECT_EQ(batches[2]["Findings"].size(), 50u);
  const json& fail = batches[0]["Findings"][0];
  EXPECT_EQ(fail["Compliance"]["Status"], "FAILED");
  EXPECT_EQ(fail["RecordState"], "ACTIVE");
  EXPECT_EQ(fail["Title"].get<std::string>().find('\n'), std::string::npos);
  const json& pass = batches[0]["Findings"][1];
  EXPECT_EQ(pass["Compliance"]["Status"], "PASSED");
  EXPECT_EQ(pass["RecordState"], "ARCHIVED");
  EXPECT_EQ(pass["Workflow"]["Status"], "RESOLVED");
  EXPECT_EQ(fail["ProductArn"], "arn:aws:securityhub:us-east-1:000000000000:product/000000000000/default");
  EXPECT_EQ(fail["Id"], FindingUuid(m, "4.1.1"));
}

// RFC 4180 reader for the test: fields, quotes doubled inside quoted fields, CRLF rows.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
      was_quoted = false;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(field);
      field.clear();
      was_quoted = false;
      rows.emplace_back();
      ++i;
    } else {
      EXPECT_NE(c, '\n') << "bare LF outside quotes at byte " << i;
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

TEST(Csv, QuotesCommasAndNewlinesRoundTrip) {
  const ReportModel m = SampleReport();
  const std::string csv = CsvReport(m);
  const auto rows = ParseCsv(csv);
  ASSERT_EQ(rows.size(), m.results.size() + 1);
  for (const auto& row : rows) EXPECT_EQ(row.size(), rows[0].size());
  EXPECT_EQ(rows[0][3], "id");
  EXPECT_EQ(rows[1][3], "4.1.1");
  EXPECT_EQ(rows[1][4], m.results[0].title);   // quote, comma, ampersand
  EXPECT_EQ(rows[1][8], m.results[0].reason);  // comma and newline
  EXPECT_NE(rows[1][12].find(m.results[0].evidence[0].path), std::string::npos);
  EXPECT_NE(csv.find("\"Ensure \"\"kubelet\"\" <service> file's perms, & owner\""), std::string::npos);
}

TEST(Junit, EntitiesEscapedAndCountsRight) {
  ReportModel m = SampleReport();
  m.results[0].reason += std::string("\x01") + "]]>";
  const std::string xml = JunitReport(m);
  EXPECT_NE(
      xml.find("name=\"4.1.1 Ensure &quot;kubelet&quot; &lt;service&gt; file&apos;s perms, &amp; owner\""),
      std::string::npos)
      << xml;
  EXPECT_EQ(xml.find("<script>"), std::string::npos);
  EXPECT_EQ(xml.find('\x01'), std::string::npos);  // not representable in XML 1.0
  EXPECT_EQ(xml.find("]]>"), std::string::npos);
  EXPECT_NE(
      xml.find("<testsuites name=\"CIS Kubernetes Benchmark v1.7.1\" tests=\"5\" failures=\"1\" errors=\"1\" "
               "skipped=\"2\""),
      std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<failure message=\"mode 0644, expected 0600 or more restrictive,&#10;second line"),
            std::string::npos);
  EXPECT_NE(xml.find("<error message=\"reason for 4.2.1\""), std::string::npos);
}

TEST(Html, SelfContainedEscapedFailingFirst) {
  const ReportModel m = SampleReport();
  const std::string html = HtmlReport(m);
  // The path with a script tag is text, never markup.
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("/etc/&lt;script&gt;alert(1)&lt;/script&gt;/kubelet,&quot;x&quot;.service"),
            std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
  // fail, error, manual, not-applicable, pass.
  const size_t fail = html.find("id=\"rec-4.1.1\""), error = html.find("id=\"rec-4.2.1\""),
               pass = html.find("id=\"rec-4.1.2\"");
  ASSERT_NE(pass, std::string::npos);
  EXPECT_LT(fail, error);
  EXPECT_LT(error, pass);
  EXPECT_NE(html.find("id=\"filter-level\""), std::string::npos);
  EXPECT_NE(html.find("id=\"filter-result\""), std::string::npos);
  EXPECT_NE(html.find("<svg id=\"score-chart\""), std::string::npos);
  EXPECT_NE(html.find("33.3 %"), std::string::npos);
}

TEST(Text, EveryVerdictShowsTheEntriesItStandsOn) {
  ReportModel m = SampleReport();
  m.results[1].found = "root:root";
  m.results[1].evidence = {{.entry_index = 7,
                            .path = "/etc/kubernetes/kubelet.conf",
                            .digest = "sha256:" + std::string(64, 'd'),
                            .template_name = "ima-ng"}};
  for (uint64_t i = 0; i < 8; ++i) m.results[2].evidence.push_back(m.results[1].evidence[0]);
  std::ostringstream out;
  WriteTextReport(out, m);
  const std::string text = out.str();
  EXPECT_NE(text.find("\n          reason for 4.2.1\n"), std::string::npos) << text;
  EXPECT_NE(
      text.find(
          "          entry 42 /etc/<script>alert(1)</script>/kubelet,\"x\".service sha256:cccccccccccc… "
          "evm-sig mode 644 uid 0 gid 0\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("4.1.2     pass            1     Recommendation 4.1.2\n          found root:root\n"
                      "          entry 7 /etc/kubernetes/kubelet.conf sha256:dddddddddddd… ima-ng\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("          and 2 more entries (--format json lists them)\n"), std::string::npos)
      << text;
  EXPECT_NE(
      text.find("summary: 5 recommendations, 1 pass, 1 fail, 1 error: NOT COMPLIANT; failing: 4.1.1; no "
                "usable evidence: 4.2.1\n"),
      std::string::npos)
      << text;
}

TEST(Render, FormatsByName) {
  for (const char* name : {"json", "text", "oscal", "ocsf", "asff", "csv", "junit", "html"}) {
    auto f = FormatFromName(name);
    ASSERT_TRUE(f) << name;
    EXPECT_EQ(FormatName(*f), name);
  }
  EXPECT_FALSE(FormatFromName("pdf"));
}

}  // namespace
}  // namespace imawatch::report
