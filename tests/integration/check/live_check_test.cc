// imawatch check --securityfs --tcti: the node simulator's securityfs directory proved against a
// real TPM (swtpm), the compliance node fixture as the node's files.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/integration/check/check_report.h"
#include "tests/testing/paths.h"
#include "tests/testing/swtpm.h"

namespace imawatch {
namespace {

using imawatch::testing::ResultOf;
using nlohmann::json;
using testing::CommandResult;
using testing::ImawatchBinary;
using testing::RunCommand;

testing::SwTpm& Swtpm() {
  static testing::SwTpm swtpm(testing::SwTpmTransport::kUnixSocket);
  return swtpm;
}

CommandResult Simulate(const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {ImawatchBinary(), "simulate"});
  args.insert(args.begin() + 3, {"--securityfs", dir, "--tcti", Swtpm().Tcti()});
  return RunCommand(args);
}

json Check(const std::string& dir, int& exit_code,
           const std::string& root = testing::FixturePath("compliance/node")) {
  CommandResult r = RunCommand({ImawatchBinary(), "check", "--benchmark", "cis-kubernetes-v1.7.1",
                                "--benchmarks-dir", testing::SourceDir() + "/benchmarks", "--securityfs", dir,
                                "--tcti", Swtpm().Tcti(), "--root", root, "--json"});
  exit_code = r.exit_code;
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  return json::parse(r.out);
}

TEST(LiveCheck, ProvedAgainstTheTpmThenTamperedListIsNeverEvidence) {
  std::string dir = testing::MakeTempDir("livecheck");
  ASSERT_EQ(Simulate(dir, {"init", "--template", "evm-sig"}).exit_code, 0);
  CommandResult run = Simulate(dir, {"run", "--scenario", "normal", "--entries", "60"});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  int exit_code = -1;
  json proved = Check(dir, exit_code);
  EXPECT_TRUE(proved["proof"]["verified"].get<bool>()) << proved["proof"].dump(2);
  EXPECT_EQ(proved["proof"]["entries"], 61);
  EXPECT_EQ(proved["proof"]["proved_entries"], 61);
  EXPECT_EQ(proved["proof"]["pcr_source"].get<std::string>().rfind("TPM swtpm:", 0), 0u);
  // Owner and mode come from the proved evm-sig entries: the simulator's kubeadm drop-in is
  // 0644, so 4.1.1 (600 or more restrictive) fails on that measurement.
  const json& service_mode = ResultOf(proved, "4.1.1");
  EXPECT_EQ(service_mode["result"], "fail") << service_mode.dump(2);
  ASSERT_FALSE(service_mode["evidence"].empty());
  EXPECT_EQ(service_mode["evidence"][0]["path"], "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf");
  EXPECT_EQ(service_mode["evidence"][0]["mode"], "644");
  EXPECT_EQ(service_mode["evidence"][0]["template"], "evm-sig");
  EXPECT_LT(service_mode["evidence"][0]["entry_index"].get<uint64_t>(), 61u);
  EXPECT_NE(proved["failing"].dump().find("4.1.1"), std::string::npos);
  // The simulator measures no kubelet unit: kubelet settings are errors (no evidence), never pass.
  EXPECT_EQ(ResultOf(proved, "4.2.1")["result"], "error");
  EXPECT_EQ(exit_code, 1);

  ASSERT_EQ(Simulate(dir, {"run", "--scenario", "tamper-edit", "--entry", "30"}).exit_code, 0);
  json tampered = Check(dir, exit_code);
  EXPECT_EQ(exit_code, 1);
  EXPECT_FALSE(tampered["proof"]["verified"].get<bool>());
  EXPECT_EQ(tampered["overall"]["pass"], 0);
  for (const json& r : tampered["results"]) {
    EXPECT_EQ(r["result"], "error") << r.dump(2);
    EXPECT_EQ(r["reason"].get<std::string>().rfind("measurement list not verified", 0), 0u) << r["reason"];
  }
  std::filesystem::remove_all(dir);
}

TEST(LiveCheck, EntryAppendedWithoutExtendingTheTpmWithdrawsTheEvidence) {
  std::string dir = testing::MakeTempDir("livecheck");
  ASSERT_EQ(Simulate(dir, {"init", "--template", "evm-sig"}).exit_code, 0);
  ASSERT_EQ(Simulate(dir, {"run", "--scenario", "normal", "--entries", "30"}).exit_code, 0);
  ASSERT_EQ(Simulate(dir, {"run", "--scenario", "tamper-append"}).exit_code, 0);

  int exit_code = -1;
  json j = Check(dir, exit_code);
  EXPECT_EQ(exit_code, 1);
  EXPECT_FALSE(j["proof"]["verified"].get<bool>());
  EXPECT_EQ(j["proof"]["proved_entries"], 0);
  EXPECT_NE(j["proof"]["reason"].get<std::string>().find("appended without extending the TPM"),
            std::string::npos)
      << j["proof"].dump(2);
  EXPECT_EQ(j["overall"]["pass"], 0);
  EXPECT_EQ(j["overall"]["fail"], 0);
  for (const json& r : j["results"]) {
    EXPECT_EQ(r["result"], "error") << r.dump(2);
    EXPECT_TRUE(r["evidence"].empty());
  }
  std::filesystem::remove_all(dir);
}

// The kubeadm worker of the compliance fixture with the modes kubeadm gives its files (git keeps
// only 0644/0755), in a directory of its own.
std::string CompliantRoot(const std::string& dir) {
  const std::string root = dir + "/root";
  std::filesystem::copy(testing::FixturePath("compliance/node"), root,
                        std::filesystem::copy_options::recursive);
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) {
      std::filesystem::permissions(e.path(),
                                   std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
  }
  return root;
}

TEST(LiveCheck, NodeSimulatedOverARootIsJudgedOnItsRealFilesAndTheirChanges) {
  std::string dir = testing::MakeTempDir("livecheck");
  const std::string root = CompliantRoot(dir);
  const std::string securityfs = dir + "/securityfs";
  ASSERT_EQ(Simulate(securityfs, {"init", "--template", "evm-sig", "--root", root}).exit_code, 0);
  ASSERT_EQ(Simulate(securityfs, {"run", "--scenario", "normal", "--entries", "80"}).exit_code, 0);

  int exit_code = -1;
  json proved = Check(securityfs, exit_code, root);
  EXPECT_TRUE(proved["proof"]["verified"].get<bool>()) << proved["proof"].dump(2);
  EXPECT_EQ(proved["overall"]["pass"], 23) << proved["overall"].dump();
  for (const json& r : proved["results"]) EXPECT_EQ(r["result"], "pass") << r.dump(2);
  EXPECT_EQ(exit_code, 0);
  // The mode judged is the one the evm-sig entry recorded from the file.
  std::string config_mode;
  for (const json& e : ResultOf(proved, "4.1.9")["evidence"]) {
    if (e["path"] == "/var/lib/kubelet/config.yaml") config_mode = e["mode"];
  }
  EXPECT_EQ(config_mode, "600");

  // An admin enables anonymous auth; the kubelet reads the file and IMA measures it again.
  const std::string config = root + "/var/lib/kubelet/config.yaml";
  const std::string golden = testing::ReadFileOrDie(config);
  std::string edited = golden;
  const std::string from = "anonymous:\n    enabled: false";
  ASSERT_NE(edited.find(from), std::string::npos);
  edited.replace(edited.find(from), from.size(), "anonymous:\n    enabled: true");
  testing::WriteFileOrDie(config, edited);
  ASSERT_EQ(Simulate(securityfs, {"run", "--scenario", "drift", "--path", "/var/lib/kubelet/config.yaml"})
                .exit_code,
            0);
  json drifted = Check(securityfs, exit_code, root);
  EXPECT_TRUE(drifted["proof"]["verified"].get<bool>());
  const json& anonymous = ResultOf(drifted, "4.2.1");
  EXPECT_EQ(anonymous["result"], "fail") << anonymous.dump(2);
  EXPECT_EQ(drifted["overall"]["pass"], 22);
  EXPECT_EQ(exit_code, 1);
  bool on_new_entry = false;
  for (const json& e : anonymous["evidence"]) {
    on_new_entry |= e["path"] == "/var/lib/kubelet/config.yaml" && e["entry_index"] == 81;
  }
  EXPECT_TRUE(on_new_entry) << anonymous["evidence"].dump(2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace imawatch
