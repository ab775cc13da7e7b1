// imawatch policy check|load|show as a user runs them: exit codes, text and JSON.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/testing/paths.h"

namespace imawatch::policy {
namespace {

using imawatch::testing::ImawatchBinary;
using imawatch::testing::MakeTempDir;
using imawatch::testing::ReadFileOrDie;
using imawatch::testing::RunCommand;

std::string WriteFile(const std::string& dir, const std::string& name, const std::string& text) {
  std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string Shipped(const char* name) { return imawatch::testing::SourceDir() + "/ima-policies/" + name; }

TEST(PolicyCheck, CleanPolicyExitsZero) {
  auto r =
      RunCommand({ImawatchBinary(), "policy", "check", Shipped("measure-only.policy"), "--kernel", "5.4"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("19 of 19 rules accepted, 0 errors, 0 warnings for kernel 5.4 (--kernel 5.4)"),
            std::string::npos)
      << r.out;
}

TEST(PolicyCheck, ErrorsExitOneWithPositionTokenReasonAndKernels) {
  std::string dir = MakeTempDir("policy-cli");
  std::string file =
      WriteFile(dir, "bad.policy", "measure func=BPRM_CHECK\nmeasure gid=0 template=evm-sig\n");
  auto r = RunCommand({ImawatchBinary(), "policy", "check", file, "--kernel", "5.15.0-91-generic"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(
      r.out.find(file + ":2:9: error: token-not-in-kernel: 'gid=0': 'gid' was added in Linux 5.16; kernel "
                        "5.15 does not know the token [rejected by 5.4, 5.10, 5.15]"),
      std::string::npos)
      << r.out;
}

TEST(PolicyCheck, JsonReportIsMachineReadable) {
  std::string dir = MakeTempDir("policy-cli");
  std::string file =
      WriteFile(dir, "p.policy", "measure func=FILE_CHECK mask=MAY_READ uid=0 uid=1\nmeasure\n");
  auto r = RunCommand({ImawatchBinary(), "policy", "check", file, "--kernel", "6.1", "--json",
                       "--kernel-setting", "lsm=apparmor"});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["kernel"], "6.1");
  EXPECT_EQ(j["kernel_from"], "--kernel 6.1");
  EXPECT_EQ(j["kernel_settings"]["lsm"], "apparmor");
  EXPECT_EQ(j["errors"], 1);
  EXPECT_EQ(j["rules"], 1);
  EXPECT_EQ(j["ok"], false);
  auto d = j["diagnostics"][0];
  EXPECT_EQ(d["severity"], "error");
  EXPECT_EQ(d["code"], "uid-slot-taken");
  EXPECT_EQ(d["line"], 1);
  EXPECT_EQ(d["column"], 45);
  EXPECT_EQ(d["token"], "uid=1");
  EXPECT_EQ(d["rejected_by"], (nlohmann::json{"5.4", "5.10", "5.15", "6.1", "6.12"}));
  EXPECT_EQ(j["digest"].get<std::string>().substr(0, 7), "sha256:");
}

TEST(PolicyCheck, DefaultsToTheRunningKernel) {
  auto r = RunCommand({ImawatchBinary(), "policy", "check", Shipped("measure-only.policy"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["kernel_from"].get<std::string>().rfind("uname -r ", 0), 0u) << j["kernel_from"];
}

TEST(PolicyCheck, UsageAndInputErrorsExitTwo) {
  EXPECT_EQ(RunCommand({ImawatchBinary(), "policy", "check", "/nonexistent.policy"}).exit_code, 2);
  EXPECT_EQ(
      RunCommand({ImawatchBinary(), "policy", "check", Shipped("measure-only.policy"), "--kernel", "six"})
          .exit_code,
      2);
  EXPECT_EQ(RunCommand({ImawatchBinary(), "policy", "check", Shipped("measure-only.policy"),
                        "--kernel-setting", "IMA_NOPE=y"})
                .exit_code,
            2);
  EXPECT_EQ(RunCommand({ImawatchBinary(), "policy", "check"}).exit_code, 2);
  auto help = RunCommand({ImawatchBinary(), "policy", "load", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--signed-path"), std::string::npos);
}

TEST(PolicyLoad, LoadsIntoASecurityfsDirectoryAndReportsTheDigest) {
  std::string dir = MakeTempDir("policy-cli");
  ASSERT_EQ(::mkdir((dir + "/ima").c_str(), 0755), 0);
  WriteFile(dir + "/ima", "policy", "");
  auto r = RunCommand({ImawatchBinary(), "policy", "load", Shipped("cis-kubernetes-worker.policy"),
                       "--securityfs", dir, "--kernel", "6.1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["outcome"], "loaded");
  EXPECT_EQ(j["mode"], "rules");
  EXPECT_EQ(j["rules"], 25);
  EXPECT_EQ(j["writes_accepted"], 25);
  EXPECT_EQ(j["active_policy"]["confirms_load"], true);
  EXPECT_EQ(j["active_policy"]["rules_after"], 25);
  EXPECT_EQ(j["kernel_error"], nullptr);
  std::string written = ReadFileOrDie(dir + "/ima/policy");
  auto show = RunCommand({ImawatchBinary(), "policy", "show", "--securityfs", dir});
  EXPECT_EQ(show.exit_code, 0);
  EXPECT_EQ(show.out, written);
  auto show_json = nlohmann::json::parse(
      RunCommand({ImawatchBinary(), "policy", "show", "--securityfs", dir, "--json"}).out);
  EXPECT_EQ(show_json["rules"].size(), 25u);
  EXPECT_EQ(j["digest"], show_json["digest"]) << "the digest covers exactly the bytes handed to the kernel";
}

TEST(PolicyLoad, RefusedPolicyLeavesThePreviousPolicy) {
  std::string dir = MakeTempDir("policy-cli");
  ASSERT_EQ(::mkdir((dir + "/ima").c_str(), 0755), 0);
  WriteFile(dir + "/ima", "policy", "measure func=BPRM_CHECK \n");
  std::string bad = WriteFile(dir, "bad.policy", "measure func=BPRM_CHECK # trailing comment\n");
  auto r = RunCommand({ImawatchBinary(), "policy", "load", bad, "--securityfs", dir, "--kernel", "6.12"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("trailing-comment"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("refused: "), std::string::npos) << r.out;
  EXPECT_EQ(ReadFileOrDie(dir + "/ima/policy"), "measure func=BPRM_CHECK \n");
}

TEST(PolicyLoad, MissingPolicyFileExitsTwo) {
  std::string dir = MakeTempDir("policy-cli");
  ASSERT_EQ(::mkdir((dir + "/ima").c_str(), 0755), 0);
  auto r = RunCommand({ImawatchBinary(), "policy", "load", Shipped("measure-only.policy"), "--securityfs",
                       dir, "--kernel", "6.12"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("CONFIG_IMA_WRITE_POLICY"), std::string::npos) << r.out;
  auto show = RunCommand({ImawatchBinary(), "policy", "show", "--securityfs", dir});
  EXPECT_EQ(show.exit_code, 2);
  EXPECT_NE(show.err.find("CONFIG_IMA_READ_POLICY"), std::string::npos);
}

TEST(PolicyLoad, SignedPathWritesTheAbsolutePath) {
  std::string dir = MakeTempDir("policy-cli");
  ASSERT_EQ(::mkdir((dir + "/ima").c_str(), 0755), 0);
  WriteFile(dir + "/ima", "policy", "");
  auto r = RunCommand({ImawatchBinary(), "policy", "load", Shipped("measure-only.policy"), "--securityfs",
                       dir, "--kernel", "6.12", "--signed-path", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(ReadFileOrDie(dir + "/ima/policy"), Shipped("measure-only.policy") + "\n");
  EXPECT_EQ(nlohmann::json::parse(r.out)["mode"], "path");
}

}  // namespace
// The acceptance: on a kernel with evm-sig (5.14+) the shipped Kubernetes policy lets
// the monitor decide every CIS K8s worker Level 1 recommendation; its ima-ng variant only those
// content decides (not owner/group/mode); a policy without root reads none of them.
nlohmann::json PolicyCoverageJson(const char* policy, const char* kernel) {
  auto r = RunCommand({ImawatchBinary(), "policy", "coverage", Shipped(policy), "--benchmark",
                       "cis-kubernetes-v1.7.1", "--benchmarks-dir",
                       imawatch::testing::SourceDir() + "/benchmarks", "--kernel", kernel, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return nlohmann::json::parse(r.out, nullptr, false);
}

int LevelOne(const nlohmann::json& j, const char* field) {
  for (const auto& row : j["by_level"]) {
    if (row["level"] == "Level 1") return row[field].get<int>();
  }
  return -1;
}

TEST(PolicyCoverage, ShippedKubernetesPolicyDecidesAllOfLevelOneAndItsImaNgVariantTwelve) {
  auto full = PolicyCoverageJson("cis-kubernetes-worker.policy", "6.1");
  EXPECT_EQ(LevelOne(full, "total"), 22);
  EXPECT_EQ(LevelOne(full, "decidable"), 22) << full.dump(2);
  EXPECT_EQ(PolicyCoverageJson("cis-kubernetes-worker.policy", "5.14")["decidable"], full["decidable"]);
  auto content = PolicyCoverageJson("cis-kubernetes-worker-ima-ng.policy", "6.1");
  EXPECT_EQ(LevelOne(content, "decidable"), 12) << content.dump(2);
  bool names_evm_sig = false;
  for (const auto& u : content["undecidable"]) {
    names_evm_sig |= u["reason"].get<std::string>().find("need evm-sig") != std::string::npos;
  }
  EXPECT_TRUE(names_evm_sig) << content.dump(2);
  EXPECT_EQ(LevelOne(PolicyCoverageJson("measure-only.policy", "6.1"), "decidable"), 0);
}

TEST(PolicyCoverage, APolicyTheKernelWouldRefuseIsNotAssessed) {
  auto r = RunCommand({ImawatchBinary(), "policy", "coverage", Shipped("cis-kubernetes-worker.policy"),
                       "--benchmark", "cis-kubernetes-v1.7.1", "--benchmarks-dir",
                       imawatch::testing::SourceDir() + "/benchmarks", "--kernel", "5.10"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("template-not-in-kernel"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("fix its errors first"), std::string::npos) << r.err;
}

TEST(PolicyCheck, KernelConfigSetsTheModeledBuildOptions) {
  std::string dir = MakeTempDir("kconfig");
  std::string config =
      WriteFile(dir, "config-6.1.0-56-amd64",
                "CONFIG_IMA=y\nCONFIG_IMA_MEASURE_ASYMMETRIC_KEYS=y\nCONFIG_IMA_LSM_RULES=y\n"
                "CONFIG_IMA_APPRAISE=y\n# CONFIG_IMA_APPRAISE_MODSIG is not set\n");
  std::string policy = WriteFile(dir, "p.policy", "appraise func=MODULE_CHECK appraise_type=imasig|modsig\n");
  auto r =
      RunCommand({ImawatchBinary(), "policy", "check", policy, "--kernel", "6.1", "--kernel-config", config});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("modsig-needs-kconfig"), std::string::npos) << r.out;
  // --kernel-setting overrides the file.
  EXPECT_EQ(RunCommand({ImawatchBinary(), "policy", "check", policy, "--kernel", "6.1", "--kernel-config",
                        config, "--kernel-setting", "IMA_APPRAISE_MODSIG=y"})
                .exit_code,
            0);
  EXPECT_EQ(RunCommand({ImawatchBinary(), "policy", "check", policy, "--kernel-config", dir + "/missing"})
                .exit_code,
            2);
}

}  // namespace imawatch::policy
