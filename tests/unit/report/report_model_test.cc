// Reading report JSON back into the model, UUIDs and timestamps.
#include "reporters/report/report_model.h"

#include <gtest/gtest.h>

#include <regex>

#include "reporters/report/uuid.h"

namespace imawatch::report {
namespace {

using nlohmann::json;

json MinimalReport() {
  json score = {{"pass", 1},
                {"fail", 0},
                {"error", 0},
                {"manual", 0},
                {"not_applicable", 0},
                {"total", 1},
                {"score_percent", 100.0}};
  json section = score;
  section["id"] = "4.1";
  section["title"] = "Files";
  return {{"format", kReportFormat},
          {"benchmark", {{"id", "b"}, {"title", "B"}, {"version", "1"}}},
          {"node", {{"hostname", "n"}, {"root", "/"}}},
          {"proof",
           {{"list", "l"},
            {"pcr_source", "p"},
            {"verified", true},
            {"entries", 2},
            {"proved_entries", 2},
            {"pcrs", json::array({{{"bank", "sha256"},
                                   {"pcr", 10},
                                   {"value", "ab"},
                                   {"matched", true},
                                   {"proved_entries", 2}}})}}},
          {"appraisal", {{"allowed", 1}, {"unknown", 1}, {"changed", 0}, {"excluded", 0}, {"violation", 0}}},
          {"results", json::array({{{"id", "4.1.1"},
                                    {"title", "T"},
                                    {"section", "4.1"},
                                    {"level", 1},
                                    {"profiles", json::array({"level1-worker"})},
                                    {"assessment", "automated"},
                                    {"result", "pass"},
                                    {"reason", ""},
                                    {"evidence", json::array({{{"entry_index", 1},
                                                               {"path", "/etc/x"},
                                                               {"digest", "sha256:ab"},
                                                               {"template", "ima-ng"},
                                                               {"pcr", 10},
                                                               {"proof", "sha256 PCR 10"}}})},
                                    {"checks", json::array()},
                                    {"remediation", "R"}}})},
          {"sections", json::array({section})},
          {"overall", score},
          {"compliant", true},
          {"failing", json::array()},
          {"errors", json::array()}};
}

TEST(ReportModel, ReadsEveryMember) {
  auto m = ReadReportModel(MinimalReport(), 1234);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->benchmark_id, "b");
  EXPECT_EQ(m->generated_at, 1234);  // none in the document: the caller's time
  EXPECT_FALSE(m->epoch);
  ASSERT_EQ(m->results.size(), 1u);
  EXPECT_EQ(m->results[0].evidence.at(0).path, "/etc/x");
  EXPECT_EQ(m->results[0].level, 1);
  EXPECT_EQ(m->overall.percent, 100.0);
  ASSERT_NE(m->MainProof(), nullptr);
  EXPECT_EQ(m->MainProof()->bank, "sha256");
  EXPECT_EQ(m->allowed, 1u);
}

TEST(ReportModel, DamagedDocumentsAreErrorsWithTheirPath) {
  json j = MinimalReport();
  j["results"][0].erase("result");
  auto missing = ReadReportModel(j, 0);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("/results/0/result: missing"), std::string::npos)
      << missing.error().message();

  j = MinimalReport();
  j["results"][0]["evidence"][0]["pcr"] = "ten";
  auto wrong = ReadReportModel(j, 0);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message().find("/results/0/evidence/0/pcr: not an integer"), std::string::npos)
      << wrong.error().message();

  j = MinimalReport();
  j["results"][0]["result"] = "maybe";
  EXPECT_FALSE(ReadReportModel(j, 0).ok());
  j = MinimalReport();
  j["generated_at"] = int64_t{1} << 62;  // would overflow OCSF's milliseconds
  auto far = ReadReportModel(j, 0);
  ASSERT_FALSE(far.ok());
  EXPECT_NE(far.error().message().find("/generated_at: out of range"), std::string::npos);
  EXPECT_FALSE(ReadReportModel(std::string("{\"benchmark\":"), 0).ok());
  EXPECT_FALSE(ReadReportModel(json::array(), 0).ok());
}

TEST(Uuid, V5MatchesRfcExampleAndV4IsRandom) {
  // RFC 9562 / Python's uuid.uuid5(uuid.NAMESPACE_DNS, "python.org").
  EXPECT_EQ(UuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org"),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  const std::regex v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  const std::string a = UuidV4(), b = UuidV4();
  EXPECT_TRUE(std::regex_match(a, v4)) << a;
  EXPECT_NE(a, b);
}

TEST(Rfc3339, UtcWithZone) {
  EXPECT_EQ(Rfc3339Utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Rfc3339Utc(1795000000), "2026-11-18T11:06:40Z");
}

}  // namespace
}  // namespace imawatch::report
