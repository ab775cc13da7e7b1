// `imawatch report --format html` opened in headless Chromium: the DOM after the page's script
// ran (scores, failing items first, filters, a filter taken from the link), no external
// reference in the file, and a screenshot for a person to look at.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/integration/check/measured_node.h"
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
using testing::SourceDir;

constexpr const char* kBenchmark = "cis-kubernetes-v1.7.1";

std::vector<std::string> Chromium(const std::string& user_data_dir) {
  std::vector<std::string> argv = {
      "chromium",       "--headless",           "--disable-gpu",
      "--no-first-run", "--disable-extensions", "--user-data-dir=" + user_data_dir};
  // Chromium refuses to run as root without this; as a user its sandbox stays on.
  if (geteuid() == 0) argv.push_back("--no-sandbox");
  return argv;
}

int Count(const std::string& text, const std::regex& re) {
  return static_cast<int>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

class HtmlReport : public ::testing::Test {
 protected:
  void SetUp() override {
    out_dir_ = (fs::current_path() / "report-output").string();
    fs::create_directories(out_dir_);
    TestNode node;
    BuiltList list = MeasureNode(node, {{"/var/lib/kubelet/config.yaml", Owner{.mode = 0644}}});
    const std::string allow = testing::MakeTempDir("html-allow") + "/node.allow";
    ASSERT_EQ(RunCommand({ImawatchBinary(), "baseline", "--root", node.root(), "--out", allow}).exit_code, 0);
    const std::vector<std::string> inputs = {
        "--benchmark", kBenchmark,  "--benchmarks-dir", SourceDir() + "/benchmarks",
        "--log",       list.list,   "--pcrs",           list.pcrs,
        "--root",      node.root(), "--allowlist",      allow};
    html_ = out_dir_ + "/report.html";
    std::vector<std::string> argv = {ImawatchBinary(), "report", "--format", "html", "--out", html_};
    argv.insert(argv.end(), inputs.begin(), inputs.end());
    CommandResult r = RunCommand(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    argv = {ImawatchBinary(), "report", "--format", "json"};
    argv.insert(argv.end(), inputs.begin(), inputs.end());
    r = RunCommand(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    report_ = json::parse(r.out);
    profile_ = testing::MakeTempDir("chromium");
  }

  CommandResult DumpDom(const std::string& fragment) {
    std::vector<std::string> argv = Chromium(profile_);
    argv.insert(argv.end(), {"--dump-dom", "file://" + html_ + fragment});
    return RunCommand(argv);
  }

  std::string out_dir_, html_, profile_;
  json report_;
};

TEST_F(HtmlReport, ScriptRanScoresFailingFirstFilters) {
  const std::string file = testing::ReadFileOrDie(html_);
  // Self-contained: nothing is loaded from elsewhere.
  EXPECT_EQ(Count(file, std::regex(R"((src|href)\s*=\s*["']?\s*(https?:)?//)", std::regex::icase)), 0);
  EXPECT_EQ(Count(file, std::regex(R"(<link\b|@import|url\()", std::regex::icase)), 0);

  CommandResult dom = DumpDom("");
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  const std::string& d = dom.out;
  const size_t total = report_["results"].size();
  // Written by the page's script: proof that it ran.
  EXPECT_NE(d.find(std::to_string(total) + " of " + std::to_string(total) + " recommendations shown"),
            std::string::npos)
      << d.substr(0, 2000);
  EXPECT_NE(d.find("id=\"node\""), std::string::npos);
  char overall[32];
  std::snprintf(overall, sizeof overall, "%.1f %%", report_["overall"]["score_percent"].get<double>());
  EXPECT_NE(d.find("<strong id=\"overall-score\">" + std::string(overall) + "</strong>"), std::string::npos)
      << overall;
  EXPECT_NE(d.find("<svg id=\"score-chart\""), std::string::npos);
  EXPECT_EQ(Count(d, std::regex("class=\"section-score\"")), static_cast<int>(report_["sections"].size()));
  EXPECT_NE(d.find("id=\"filter-level\""), std::string::npos);
  EXPECT_NE(d.find("id=\"filter-result\""), std::string::npos);
  // Failing first: the first row of the results table is a fail.
  const size_t results_at = d.find("id=\"results\"");
  ASSERT_NE(results_at, std::string::npos);
  std::smatch row;
  const std::string table = d.substr(results_at);
  ASSERT_TRUE(std::regex_search(table, row, std::regex("<tr data-result=\"([a-z-]+)\"")));
  EXPECT_EQ(row[1], "fail");
  // The fail's evidence and remediation are on the page.
  for (const json& r : report_["results"]) {
    if (r["result"] != "fail") continue;
    EXPECT_NE(d.find("id=\"rec-" + r["id"].get<std::string>() + "\""), std::string::npos);
    if (!r["evidence"].empty()) {
      EXPECT_NE(d.find(r["evidence"][0]["path"].get<std::string>()), std::string::npos);
    }
  }
}

TEST_F(HtmlReport, FilterFromTheLinkHidesTheRest) {
  int passing = 0;
  for (const json& r : report_["results"]) passing += r["result"] == "pass";
  CommandResult dom = DumpDom("#result=pass");
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  const size_t total = report_["results"].size();
  EXPECT_NE(dom.out.find(std::to_string(passing) + " of " + std::to_string(total) + " recommendations shown"),
            std::string::npos);
  EXPECT_EQ(Count(dom.out, std::regex("<tr data-result=\"[a-z-]+\"[^>]*class=\"hidden\"")),
            static_cast<int>(total) - passing);
}

TEST_F(HtmlReport, Screenshot) {
  const std::string png = out_dir_ + "/report.png";
  fs::remove(png);
  std::vector<std::string> argv = Chromium(profile_);
  argv.insert(argv.end(),
              {"--hide-scrollbars", "--window-size=1280,1600", "--screenshot=" + png, "file://" + html_});
  CommandResult shot = RunCommand(argv);
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  ASSERT_TRUE(fs::exists(png)) << shot.err;
  const std::string bytes = testing::ReadFileOrDie(png);
  ASSERT_GT(bytes.size(), 10000u);  // a rendered page, not a blank image
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
}

}  // namespace
}  // namespace imawatch
