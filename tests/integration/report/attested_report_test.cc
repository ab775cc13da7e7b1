// A report bound to a TPM quote: `imawatch report --attest` on a simulated node (securityfs
// directory + swtpm) puts the report's SHA-256 in the quote's nonce and writes the evidence
// beside it; `imawatch verify-report` checks the binding offline and fails on any changed byte
// or another report.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/testing/paths.h"
#include "tests/testing/swtpm.h"

namespace imawatch {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::ImawatchBinary;
using testing::RunCommand;

testing::SwTpm& Swtpm() {
  static testing::SwTpm swtpm(testing::SwTpmTransport::kUnixSocket);
  return swtpm;
}

CommandResult Imawatch(std::vector<std::string> args) {
  args.insert(args.begin(), ImawatchBinary());
  return RunCommand(args);
}

TEST(AttestedReport, BoundToTheQuoteAndCheckedOffline) {
  const std::string dir = testing::MakeTempDir("attested-report");
  const std::string sfs = dir + "/sfs";
  ASSERT_EQ(
      Imawatch({"simulate", "init", "--securityfs", sfs, "--tcti", Swtpm().Tcti(), "--template", "evm-sig"})
          .exit_code,
      0);
  CommandResult run = Imawatch({"simulate", "run", "--securityfs", sfs, "--tcti", Swtpm().Tcti(),
                                "--scenario", "normal", "--entries", "40"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  CommandResult ak = Imawatch({"tpm", "ak", "create", "--type", "ecc", "--context", dir + "/ak.ctx",
                               "--pub-pem", dir + "/ak.pem", "--tcti", Swtpm().Tcti()});
  ASSERT_EQ(ak.exit_code, 0) << ak.err;

  const std::string report = dir + "/report.oscal.json";
  CommandResult made =
      Imawatch({"report", "--benchmark", "cis-kubernetes-v1.7.1", "--benchmarks-dir",
                testing::SourceDir() + "/benchmarks", "--securityfs", sfs, "--tcti", Swtpm().Tcti(), "--root",
                testing::FixturePath("compliance/node"), "--format", "oscal", "--out", report, "--attest",
                "--ak-context", dir + "/ak.ctx"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string evidence = report + ".evidence.json";
  const json bundle = json::parse(testing::ReadFileOrDie(evidence));
  CommandResult sha = RunCommand({"sha256sum", report});
  ASSERT_EQ(sha.exit_code, 0);
  EXPECT_EQ(bundle["nonce"], sha.out.substr(0, 64));  // the report's SHA-256 is the quote's nonce

  CommandResult verified =
      Imawatch({"verify-report", report, "--evidence", evidence, "--ak", dir + "/ak.pem", "--json"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  const json result = json::parse(verified.out);
  EXPECT_TRUE(result["verified"].get<bool>());
  EXPECT_TRUE(result["nonce_checked"].get<bool>());

  // One changed byte in the report: the binding fails on the nonce.
  std::string text = testing::ReadFileOrDie(report);
  text[text.find("not-satisfied") != std::string::npos ? text.find("not-satisfied") : text.size() / 2] ^=
      0x01;
  const std::string edited = dir + "/edited.json";
  std::ofstream(edited, std::ios::binary) << text;
  CommandResult tampered =
      Imawatch({"verify-report", edited, "--evidence", evidence, "--ak", dir + "/ak.pem", "--json"});
  EXPECT_EQ(tampered.exit_code, 1) << tampered.out << tampered.err;
  EXPECT_NE(tampered.out.find("\"check\": \"nonce\""), std::string::npos) << tampered.out;

  // Another key cannot vouch for it; --attest without its inputs is a usage error.
  CommandResult other = Imawatch({"tpm", "ak", "create", "--type", "ecc", "--context", dir + "/other.ctx",
                                  "--pub-pem", dir + "/other.pem", "--tcti", Swtpm().Tcti()});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(Imawatch({"verify-report", report, "--evidence", evidence, "--ak", dir + "/other.pem"}).exit_code,
            1);
  CommandResult usage = Imawatch({"report", "--benchmark", "cis-kubernetes-v1.7.1", "--securityfs", sfs,
                                  "--tcti", Swtpm().Tcti(), "--attest"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.err.find("--attest needs"), std::string::npos) << usage.err;
}

}  // namespace
}  // namespace imawatch
