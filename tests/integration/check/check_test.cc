// `imawatch check` as a process: the compliance node fixture tree, an evm-sig measurement list
// built over it the way the kernel records it (tests/testing/ima_log_builder.h) and the PCR
// values its TPM would hold, checked against CIS Kubernetes v1.7.1.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "monitor/compliance/attested_reader.h"
#include "monitor/ima/hash_algo.h"
#include "tests/integration/check/check_report.h"
#include "tests/integration/check/measured_node.h"
#include "tests/testing/ima_log_builder.h"
#include "tests/testing/paths.h"
#include "tests/unit/compliance/test_node.h"

namespace imawatch {
namespace {

namespace fs = std::filesystem;
using compliance::testing::Owner;
using compliance::testing::TestNode;
using imawatch::testing::CommandResult;
using imawatch::testing::ResultOf;
using imawatch::testing::RunCommand;
using nlohmann::json;

constexpr const char* kConfig = "/var/lib/kubelet/config.yaml";

CommandResult Check(const TestNode& node, const BuiltList& list, std::vector<std::string> extra = {},
                    const std::string& benchmark = "cis-kubernetes-v1.7.1") {
  std::vector<std::string> argv = {imawatch::testing::ImawatchBinary(),
                                   "check",
                                   "--benchmark",
                                   benchmark,
                                   "--benchmarks-dir",
                                   imawatch::testing::SourceDir() + "/benchmarks",
                                   "--log",
                                   list.list,
                                   "--pcrs",
                                   list.pcrs,
                                   "--root",
                                   node.root()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunCommand(argv);
}

json CheckJson(const TestNode& node, const BuiltList& list, std::vector<std::string> extra = {}) {
  extra.push_back("--json");
  CommandResult r = Check(node, list, extra);
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  return json::parse(r.out);
}

TEST(CheckCommand, CompliantNodePassesWithEvidenceAndExitsZero) {
  TestNode node;
  BuiltList list = MeasureNode(node);
  std::string allow = imawatch::testing::MakeTempDir("allow") + "/node.allow";
  CommandResult baseline =
      RunCommand({imawatch::testing::ImawatchBinary(), "baseline", "--root", node.root(), "--out", allow});
  ASSERT_EQ(baseline.exit_code, 0) << baseline.err;

  CommandResult text = Check(node, list, {"--allowlist", allow});
  EXPECT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("VERIFIED"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("summary: 23 recommendations, 23 pass, 0 fail, 0 error: COMPLIANT"),
            std::string::npos)
      << text.out;

  json j = CheckJson(node, list, {"--allowlist", allow});
  EXPECT_EQ(j["benchmark"]["id"], "cis-kubernetes-v1.7.1");
  EXPECT_EQ(j["benchmark"]["version"], "1.7.1");
  EXPECT_TRUE(j["proof"]["verified"].get<bool>());
  const uint64_t entries = j["proof"]["entries"];
  EXPECT_EQ(j["proof"]["proved_entries"], entries);
  bool sha256_pcr10 = false;
  for (const json& p : j["proof"]["pcrs"]) {
    if (p["bank"] == "sha256" && p["pcr"] == 10) {
      sha256_pcr10 = p["matched"].get<bool>() && p["proved_entries"] == entries;
    }
  }
  EXPECT_TRUE(sha256_pcr10) << j["proof"].dump();
  // Every measured file is in the baseline; boot_aggregate is not a file of the tree.
  EXPECT_EQ(j["appraisal"]["allowed"].get<uint64_t>(), entries - 1) << j["appraisal"].dump();
  EXPECT_EQ(j["appraisal"]["unknown"], 1);
  EXPECT_EQ(j["results"].size(), 23u);
  for (const json& r : j["results"]) EXPECT_EQ(r["result"], "pass") << r.dump(2);
  EXPECT_EQ(j["overall"]["score_percent"], 100.0);
  EXPECT_TRUE(j["compliant"].get<bool>());

  const json& anonymous = ResultOf(j, "4.2.1");
  EXPECT_EQ(anonymous["level"], 1);
  EXPECT_EQ(anonymous["assessment"], "automated");
  EXPECT_FALSE(anonymous["remediation"].get<std::string>().empty());
  EXPECT_EQ(anonymous["found"], "false (/var/lib/kubelet/config.yaml:5)");
  std::set<std::string> paths;
  for (const json& e : anonymous["evidence"]) {
    paths.insert(e["path"]);
    EXPECT_EQ(e["template"], "evm-sig");
    EXPECT_EQ(e["pcr"], 10);
    EXPECT_NE(e["proof"].get<std::string>().find("sha256 PCR 10 replay"), std::string::npos) << e.dump();
    EXPECT_EQ(e["digest"].get<std::string>().rfind("sha256:", 0), 0u);
    EXPECT_GT(e["entry_index"].get<uint64_t>(), 0u);
  }
  EXPECT_TRUE(paths.count(kConfig)) << anonymous.dump(2);
  EXPECT_EQ(ResultOf(j, "4.1.1")["evidence"][0]["mode"], "600");

  // Level and profile filters keep a subset; sections still score.
  json level1 = CheckJson(node, list, {"--level", "1"});
  EXPECT_LT(level1["results"].size(), 23u);
  for (const json& r : level1["results"]) EXPECT_EQ(r["level"], 1);
}

TEST(CheckCommand, FailingRecommendationsAreNamedAndExitOne) {
  TestNode node;
  node.Replace(kConfig, "enabled: false", "enabled: true");  // 4.2.1 anonymous auth
  BuiltList list = MeasureNode(node, {{"/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
                                       {.uid = 1000, .gid = 0, .mode = 0644}}});

  CommandResult text = Check(node, list);
  EXPECT_EQ(text.exit_code, 1) << text.out << text.err;
  EXPECT_NE(text.out.find("NOT COMPLIANT; failing: 4.1.1, 4.1.2, 4.2.1"), std::string::npos) << text.out;

  json j = CheckJson(node, list);
  EXPECT_EQ(j["failing"], json({"4.1.1", "4.1.2", "4.2.1"})) << j["failing"].dump();
  EXPECT_FALSE(j["compliant"].get<bool>());
  const json& anonymous = ResultOf(j, "4.2.1");
  EXPECT_EQ(anonymous["result"], "fail");
  EXPECT_EQ(anonymous["found"], "true (/var/lib/kubelet/config.yaml:5)");
  const json& mode = ResultOf(j, "4.1.1");
  EXPECT_EQ(mode["result"], "fail");
  EXPECT_EQ(mode["evidence"][0]["mode"], "644");
  EXPECT_EQ(mode["evidence"][0]["uid"], 1000);
  EXPECT_EQ(j["overall"]["fail"], 3);
  EXPECT_EQ(j["overall"]["pass"], 20);
}

TEST(CheckCommand, UnverifiedListNeverPasses) {
  TestNode node;
  BuiltList list = MeasureNode(node);
  // The TPM's sha256 PCR 10 disagrees with the list: replace it by a value no prefix replays to.
  std::string pcrs = imawatch::testing::ReadFileOrDie(list.pcrs);
  std::string out;
  std::istringstream lines(pcrs);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("sha256:10:", 0) == 0) line = "sha256:10:" + std::string(64, 'A');
    if (line.rfind("sha1:10:", 0) == 0 || line.rfind("sha384:10:", 0) == 0 ||
        line.rfind("sha512:10:", 0) == 0) {
      continue;
    }
    out += line + "\n";
  }
  imawatch::testing::WriteTextFile(list.pcrs, out);

  CommandResult text = Check(node, list);
  EXPECT_EQ(text.exit_code, 1) << text.out << text.err;
  EXPECT_NE(text.out.find("NOT VERIFIED"), std::string::npos) << text.out;

  json j = CheckJson(node, list);
  EXPECT_FALSE(j["proof"]["verified"].get<bool>());
  EXPECT_EQ(j["proof"]["proved_entries"], 0);
  EXPECT_EQ(j["overall"]["pass"], 0);
  for (const json& r : j["results"]) {
    EXPECT_EQ(r["result"], "error") << r.dump(2);
    EXPECT_EQ(r["reason"].get<std::string>().rfind("measurement list not verified: sha256 PCR 10", 0), 0u)
        << r["reason"];
    EXPECT_TRUE(r["evidence"].empty());
  }
  EXPECT_EQ(j["errors"].size(), 23u);
}

TEST(CheckCommand, FileEditedAfterMeasurementIsReportedNotJudged) {
  TestNode node;
  BuiltList list = MeasureNode(node);
  node.Replace(kConfig, "enabled: false", "enabled: true");  // after the measurement
  CommandResult text = Check(node, list);
  EXPECT_EQ(text.exit_code, 1) << text.out;
  json j = CheckJson(node, list);
  const json& anonymous = ResultOf(j, "4.2.1");
  EXPECT_EQ(anonymous["result"], "error");
  EXPECT_NE(anonymous["reason"].get<std::string>().find(
                "/var/lib/kubelet/config.yaml: content no longer matches the attested digest"),
            std::string::npos)
      << anonymous.dump(2);
  EXPECT_NE(text.out.find("content no longer matches the attested digest"), std::string::npos);
}

TEST(CheckCommand, BadInputExitsTwoWithPosition) {
  TestNode node;
  BuiltList list = MeasureNode(node);
  CommandResult missing = RunCommand(
      {imawatch::testing::ImawatchBinary(), "check", "--benchmark", "cis-nonexistent-v0", "--benchmarks-dir",
       imawatch::testing::SourceDir() + "/benchmarks", "--log", list.list, "--pcrs", list.pcrs});
  EXPECT_EQ(missing.exit_code, 2) << missing.out;
  EXPECT_NE(missing.err.find("cis-nonexistent-v0"), std::string::npos) << missing.err;

  std::string bad = imawatch::testing::MakeTempDir("bad") + "/bad.allow";
  imawatch::testing::WriteTextFile(
      bad, "# allow list\nsha256:" + std::string(64, 'a') + " /usr/bin/a\nsha256:zz /x\n");
  CommandResult malformed = Check(node, list, {"--allowlist", bad});
  EXPECT_EQ(malformed.exit_code, 2) << malformed.out;
  EXPECT_NE(malformed.err.find(bad + ":3:"), std::string::npos) << malformed.err;
  EXPECT_TRUE(malformed.out.empty());

  CommandResult no_pcrs = RunCommand({imawatch::testing::ImawatchBinary(), "check", "--benchmark",
                                      "cis-kubernetes-v1.7.1", "--log", list.list});
  EXPECT_EQ(no_pcrs.exit_code, 2);
}

TEST(CheckCommand, EntriesAfterTheProvedPrefixAreNotEvidence) {
  TestNode node;
  // The reading covers the compliant measurements; config.yaml is then edited and measured
  // again, but that entry is not proved: the verdict must not rest on it (no fail) and the file
  // no longer matches its proved measurement (no pass).
  std::string edited = node.Read(kConfig);
  edited.replace(edited.find("enabled: false"), 14, "enabled: true");
  BuiltList list = MeasureNode(node, {}, [&](imawatch::testing::ImaLogBuilder& builder) {
    builder.AddMeasurement({.path = kConfig, .digest = Sha256(edited), .mode = 0100600});
  });
  node.Write(kConfig, edited);

  json j = CheckJson(node, list);
  EXPECT_TRUE(j["proof"]["verified"].get<bool>());
  EXPECT_EQ(j["proof"]["proved_entries"].get<uint64_t>() + 1, j["proof"]["entries"].get<uint64_t>());
  const json& anonymous = ResultOf(j, "4.2.1");
  EXPECT_EQ(anonymous["result"], "error") << anonymous.dump(2);
  EXPECT_NE(anonymous["reason"].get<std::string>().find("content no longer matches the attested digest"),
            std::string::npos);
  for (const json& e : anonymous["evidence"]) {
    EXPECT_LT(e["entry_index"].get<uint64_t>(), j["proof"]["proved_entries"].get<uint64_t>());
  }
}

TEST(CheckCommand, UbuntuProfileKeepsManualRecommendationsAndExitMatchesVerdicts) {
  TestNode node;
  BuiltList list = MeasureNode(node);
  CommandResult r = Check(node, list, {"--profile", "level1-server", "--measures-module-loads", "--json"},
                          "cis-ubuntu-20.04-v2.0.1");
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  json j = json::parse(r.out);
  ASSERT_FALSE(j["results"].empty());
  for (const json& rec : j["results"]) {
    EXPECT_NE(std::find(rec["profiles"].begin(), rec["profiles"].end(), "level1-server"),
              rec["profiles"].end());
  }
  EXPECT_GT(j["overall"]["manual"].get<int>(), 0);
  EXPECT_GT(j["overall"]["pass"].get<int>(), 0);
  const int non_compliant = j["overall"]["fail"].get<int>() + j["overall"]["error"].get<int>();
  EXPECT_EQ(r.exit_code, non_compliant > 0 ? 1 : 0);
  EXPECT_EQ(j["compliant"].get<bool>(), non_compliant == 0);
  EXPECT_EQ(j["results"].size(), static_cast<size_t>(j["overall"]["total"].get<int>()));
}

}  // namespace
}  // namespace imawatch
