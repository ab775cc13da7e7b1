// `imawatch report` over the compliance node fixture: every format for both benchmarks; the
// OSCAL, OCSF (1.1 and 1.6), ASFF and our own JSON validated by ajv (ajv-cli 5, ajv-formats 3,
// node_modules at the repository root), broken copies that ajv must reject, CSV read by Python's
// csv module, JUnit by Python's XML parser, and reports from a store file with two snapshots.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "monitor/store/store.h"
#include "tests/integration/check/measured_node.h"
#include "tests/testing/ajv.h"
#include "tests/testing/paths.h"

namespace imawatch {
namespace {

namespace fs = std::filesystem;
using compliance::testing::Owner;
using compliance::testing::TestNode;
using nlohmann::json;
using testing::CommandResult;
using testing::ImawatchBinary;
using testing::RunCommand;
using testing::SharedPath;
using testing::SourceDir;

const char* const kBenchmarks[] = {"cis-kubernetes-v1.7.1", "cis-ubuntu-20.04-v2.0.1"};

// Kept in the test's build directory (ctest runs there): the documents ajv checked.
std::string OutputDir() {
  const fs::path dir = fs::current_path() / "report-output";
  fs::create_directories(dir);
  return dir.string();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  ASSERT_TRUE(out.good()) << path;
}

using testing::AjvSchema;
using testing::AsffSchema;
using testing::OcsfSchema;
using testing::OscalSchema;
using testing::ReportSchema;

CommandResult Validate(const AjvSchema& s, const std::string& doc) { return testing::AjvValidate(s, doc); }

class ReportFormats : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(fs::exists(testing::AjvBinary()))
        << testing::AjvBinary() << " missing: run scripts/bootstrap (npm ci)";
    node_ = new TestNode();
    // One failing recommendation: the kubelet config readable by everyone (CIS 4.1.9 wants 600).
    list_ = new BuiltList(MeasureNode(*node_, {{"/var/lib/kubelet/config.yaml", Owner{.mode = 0644}}}));
    allow_ = testing::MakeTempDir("report-allow") + "/node.allow";
    CommandResult baseline =
        RunCommand({ImawatchBinary(), "baseline", "--root", node_->root(), "--out", allow_});
    ASSERT_EQ(baseline.exit_code, 0) << baseline.err;
  }
  static void TearDownTestSuite() {
    delete list_;
    delete node_;
  }

  static CommandResult Report(const std::string& benchmark, const std::string& format,
                              std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {
        ImawatchBinary(), "report",      "--benchmark",      benchmark,
        "--format",       format,        "--benchmarks-dir", SourceDir() + "/benchmarks",
        "--log",          list_->list,   "--pcrs",           list_->pcrs,
        "--root",         node_->root(), "--allowlist",      allow_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv);
  }

  // Renders to <output>/<benchmark>.<name> and returns the path.
  static std::string RenderTo(const std::string& benchmark, const std::string& format,
                              const std::string& name, std::vector<std::string> extra = {}) {
    const std::string path = OutputDir() + "/" + benchmark + "." + name;
    extra.insert(extra.end(), {"--out", path});
    CommandResult r = Report(benchmark, format, extra);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return path;
  }

  static TestNode* node_;
  static BuiltList* list_;
  static std::string allow_;
};
TestNode* ReportFormats::node_ = nullptr;
BuiltList* ReportFormats::list_ = nullptr;
std::string ReportFormats::allow_;

TEST_F(ReportFormats, AjvAcceptsEveryStandardDocumentOfBothBenchmarks) {
  int validated = 0;
  for (const std::string benchmark : kBenchmarks) {
    struct Case {
      std::string format, name;
      AjvSchema schema;
      std::vector<std::string> extra;
    };
    const std::vector<Case> cases = {
        {"json", "report.json", ReportSchema(), {}},
        {"oscal", "oscal.json", OscalSchema(), {}},
        {"ocsf", "ocsf-1.6.json", OcsfSchema("1.6"), {}},
        {"ocsf", "ocsf-1.1.json", OcsfSchema("1.1"), {"--ocsf-version", "1.1"}},
        {"asff", "asff.json", AsffSchema(), {}},
    };
    for (const Case& c : cases) {
      const std::string doc = RenderTo(benchmark, c.format, c.name, c.extra);
      CommandResult v = Validate(c.schema, doc);
      EXPECT_EQ(v.exit_code, 0) << doc << "\n" << v.out << v.err;
      EXPECT_NE((v.out + v.err).find("valid"), std::string::npos);
      ++validated;
    }
    // The documents hold what the report holds.
    const json report = json::parse(testing::ReadFileOrDie(OutputDir() + "/" + benchmark + ".report.json"));
    const json ocsf = json::parse(testing::ReadFileOrDie(OutputDir() + "/" + benchmark + ".ocsf-1.6.json"));
    EXPECT_EQ(ocsf.size(), report["results"].size());
    const json asff = json::parse(testing::ReadFileOrDie(OutputDir() + "/" + benchmark + ".asff.json"));
    size_t asff_findings = 0;
    for (const json& batch : asff) asff_findings += batch["Findings"].size();
    EXPECT_EQ(asff_findings, report["results"].size());
    const json oscal = json::parse(testing::ReadFileOrDie(OutputDir() + "/" + benchmark + ".oscal.json"));
    const json& result = oscal["assessment-results"]["results"][0];
    size_t unsatisfied = 0;
    for (const json& r : report["results"]) unsatisfied += r["result"] == "fail" || r["result"] == "error";
    EXPECT_EQ(result.contains("findings") ? result["findings"].size() : 0u, unsatisfied);
  }
  EXPECT_EQ(validated, 10);
}

TEST_F(ReportFormats, AjvRejectsBrokenDocuments) {
  const std::string b = kBenchmarks[0];
  struct Broken {
    std::string source, name;
    AjvSchema schema;
    std::function<void(json&)> damage;
  };
  const std::vector<Broken> cases = {
      {b + ".oscal.json", "oscal-bad-uuid.json", OscalSchema(),
       [](json& j) { j["assessment-results"]["uuid"] = "4.2.1"; }},
      {b + ".oscal.json", "oscal-empty-array.json", OscalSchema(),
       [](json& j) { j["assessment-results"]["results"][0]["props"] = json::array(); }},
      {b + ".oscal.json", "oscal-no-zone.json", OscalSchema(),
       [](json& j) { j["assessment-results"]["metadata"]["last-modified"] = "2026-11-23T10:00:00"; }},
      {b + ".ocsf-1.6.json", "ocsf-1.6-bad-class.json", OcsfSchema("1.6"),
       [](json& j) { j[0]["class_uid"] = 2004; }},
      {b + ".ocsf-1.1.json", "ocsf-1.1-evidences.json", OcsfSchema("1.1"),
       [](json& j) {
         j[0]["evidences"] = json::array({{{"data", {{"x", 1}}}}});
       }},
      {b + ".asff.json", "asff-101.json", AsffSchema(),
       [](json& j) {
         while (j[0]["Findings"].size() <= 100) j[0]["Findings"].push_back(j[0]["Findings"][0]);
       }},
      {b + ".asff.json", "asff-bad-status.json", AsffSchema(),
       [](json& j) { j[0]["Findings"][0]["Compliance"]["Status"] = "OK"; }},
      {b + ".report.json", "report-no-format.json", ReportSchema(), [](json& j) { j.erase("format"); }},
  };
  // The source documents exist and are valid (the other test renders them; render again here).
  RenderTo(b, "oscal", "oscal.json");
  RenderTo(b, "ocsf", "ocsf-1.6.json");
  RenderTo(b, "ocsf", "ocsf-1.1.json", {"--ocsf-version", "1.1"});
  RenderTo(b, "asff", "asff.json");
  RenderTo(b, "json", "report.json");
  for (const Broken& c : cases) {
    json j = json::parse(testing::ReadFileOrDie(OutputDir() + "/" + c.source));
    c.damage(j);
    const std::string path = OutputDir() + "/broken-" + c.name;
    WriteFile(path, j.dump(2));
    CommandResult v = Validate(c.schema, path);
    EXPECT_NE(v.exit_code, 0) << c.name << " passed validation:\n" << v.out << v.err;
    EXPECT_NE((v.out + v.err).find("invalid"), std::string::npos) << v.out << v.err;
  }
}

TEST_F(ReportFormats, CsvReadsBackWithPythonsCsvModule) {
  for (const std::string benchmark : kBenchmarks) {
    const std::string csv = RenderTo(benchmark, "csv", "report.csv");
    const json report = json::parse(Report(benchmark, "json").out);
    CommandResult py =
        RunCommand({"python3", "-c",
                    "import csv,json,sys\n"
                    "rows=list(csv.reader(open(sys.argv[1],newline='',encoding='utf-8')))\n"
                    "assert all(len(r)==len(rows[0]) for r in rows), 'ragged rows'\n"
                    "print(json.dumps({'header':rows[0],'rows':[dict(zip(rows[0],r)) for r in rows[1:]]}))\n",
                    csv});
    ASSERT_EQ(py.exit_code, 0) << py.err;
    const json parsed = json::parse(py.out);
    ASSERT_EQ(parsed["rows"].size(), report["results"].size());
    for (size_t i = 0; i < parsed["rows"].size(); ++i) {
      EXPECT_EQ(parsed["rows"][i]["id"], report["results"][i]["id"]);
      EXPECT_EQ(parsed["rows"][i]["result"], report["results"][i]["result"]);
      EXPECT_EQ(parsed["rows"][i]["reason"], report["results"][i]["reason"]);
      EXPECT_EQ(parsed["rows"][i]["remediation"], report["results"][i]["remediation"]);
    }
  }
}

TEST_F(ReportFormats, JunitParsesWithPythonsXmlParser) {
  const std::string b = kBenchmarks[0];
  const std::string xml = RenderTo(b, "junit", "junit.xml");
  const json report = json::parse(Report(b, "json").out);
  CommandResult py =
      RunCommand({"python3", "-c",
                  "import sys,xml.etree.ElementTree as ET\n"
                  "root=ET.parse(sys.argv[1]).getroot()\n"
                  "cases=root.findall('.//testcase')\n"
                  "print(len(cases), len(root.findall('.//failure')), len(root.findall('.//error')))\n",
                  xml});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_EQ(py.out, std::to_string(report["results"].size()) + " " +
                        std::to_string(report["overall"]["fail"].get<int>()) + " " +
                        std::to_string(report["overall"]["error"].get<int>()) + "\n");
  EXPECT_GE(report["overall"]["fail"].get<int>(), 1) << "the node was set up with a failing recommendation";
}

TEST_F(ReportFormats, TextMatchesCheckAndBadInputIsAUsageError) {
  const std::string b = kBenchmarks[0];
  CommandResult text = Report(b, "text");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  CommandResult check = RunCommand({ImawatchBinary(), "check", "--benchmark", b, "--benchmarks-dir",
                                    SourceDir() + "/benchmarks", "--log", list_->list, "--pcrs", list_->pcrs,
                                    "--root", node_->root(), "--allowlist", allow_});
  EXPECT_EQ(text.out, check.out);
  CommandResult bad = Report(b, "pdf");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown format 'pdf'"), std::string::npos) << bad.err;
  CommandResult bad_ocsf = Report(b, "ocsf", {"--ocsf-version", "1.3"});
  EXPECT_EQ(bad_ocsf.exit_code, 2);
  CommandResult no_store =
      RunCommand({ImawatchBinary(), "report", "--benchmark", b, "--store", "/nonexistent/x.db"});
  EXPECT_EQ(no_store.exit_code, 2);
  EXPECT_NE(no_store.err.find("/nonexistent/x.db"), std::string::npos) << no_store.err;
}

// Two snapshots in a real store: the latest is rendered, OCSF activity compares it with the one
// before (a fixed recommendation closes), and the quote of the epoch is referenced.
TEST_F(ReportFormats, FromStoreWithActivityAcrossSnapshots) {
  const std::string b = kBenchmarks[0];
  json before = json::parse(Report(b, "json").out);
  const std::string path = testing::MakeTempDir("report-store") + "/imawatch.db";
  std::string failing_id;
  {
    auto store = store::Store::Open(path);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    auto epoch = store->EnterEpoch(std::string(64, 'a'), 1000);
    ASSERT_TRUE(epoch.ok());
    before["epoch"] = epoch->id;
    before["generated_at"] = 1000;
    json after = before;
    after["generated_at"] = 1060;
    for (json& r : after["results"]) {
      if (r["result"] == "fail") {
        failing_id = r["id"];
        r["result"] = "pass";
        break;
      }
    }
    ASSERT_FALSE(failing_id.empty());
    for (const json* snapshot : {&before, &after}) {
      store::Batch batch{.epoch_id = epoch->id, .now = (*snapshot)["generated_at"]};
      batch.reports.push_back({.benchmark = b, .report_json = snapshot->dump()});
      ASSERT_TRUE(store->CommitBatch(batch).ok());
    }
    const std::vector<uint8_t> nonce = {0xde, 0xad};
    ASSERT_TRUE(store->SaveQuote(epoch->id, nonce, "{}", 1061).ok());
  }
  CommandResult ocsf =
      RunCommand({ImawatchBinary(), "report", "--benchmark", b, "--store", path, "--format", "ocsf"});
  ASSERT_EQ(ocsf.exit_code, 0) << ocsf.err;
  const json findings = json::parse(ocsf.out);
  ASSERT_EQ(findings.size(), before["results"].size());
  for (const json& f : findings) {
    const bool fixed = f["compliance"]["control"] == failing_id;
    EXPECT_EQ(f["activity_id"], fixed ? 3 : 2) << f["compliance"]["control"];
    EXPECT_EQ(f["time"], 1060000);
    EXPECT_EQ(f["unmapped"]["imawatch"]["quote"]["nonce"], "dead");
  }
  const std::string doc = OutputDir() + "/store.ocsf-1.6.json";
  WriteFile(doc, ocsf.out);
  CommandResult v = Validate(OcsfSchema("1.6"), doc);
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  CommandResult none =
      RunCommand({ImawatchBinary(), "report", "--benchmark", kBenchmarks[1], "--store", path});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no report of benchmark"), std::string::npos) << none.err;
}

}  // namespace
}  // namespace imawatch
