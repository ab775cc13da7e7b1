// The imawatch binary: exit codes, ascii and JSON output.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/testing/ima_log_builder.h"
#include "tests/testing/paths.h"
#include "tests/unit/ima/ima_test_util.h"

namespace imawatch::ima::test {
namespace {

using imawatch::testing::ImawatchBinary;
using imawatch::testing::RunCommand;

TEST(VerifyCommand, ExitsZeroWhenVerifiedAndPrintsJson) {
  auto r =
      RunCommand({ImawatchBinary(), "verify", "--log", GenuinePath("race", "binary_runtime_measurements"),
                  "--pcrs", GenuinePath("race", "pcrs.txt"), "--bank", "sha1,sha256", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["verified"]);
  EXPECT_EQ(j["banks"][0]["proved"], 22);
  EXPECT_EQ(j["banks"][1]["proved"], 33);
  EXPECT_EQ(j["boot_aggregate"]["status"], "match");
}

TEST(VerifyCommand, ExitsOneOnMismatchNamingBankPcrAndValues) {
  std::string dir = imawatch::testing::MakeTempDir("cli");
  std::string pcrs = dir + "/pcrs.txt";
  FILE* f = fopen(pcrs.c_str(), "w");
  std::fprintf(f, "sha256:10:%s\n", std::string(64, 'a').c_str());
  fclose(f);
  auto r = RunCommand({ImawatchBinary(), "verify", "--log",
                       GenuinePath("ngsha256", "binary_runtime_measurements"), "--pcrs", pcrs});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("sha256   10   MISMATCH"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("expected " + std::string(64, 'a')), std::string::npos);
  EXPECT_NE(r.out.find("NOT VERIFIED"), std::string::npos);
}

TEST(VerifyCommand, ExitsTwoOnBadInputWithPosition) {
  std::string dir = imawatch::testing::MakeTempDir("cli");
  std::string log = dir + "/binary_runtime_measurements";
  auto bytes = ReadBytes(GenuinePath("ngsha256", "binary_runtime_measurements"));
  bytes.resize(100);
  FILE* f = fopen(log.c_str(), "wb");
  fwrite(bytes.data(), 1, bytes.size(), f);
  fclose(f);
  auto r =
      RunCommand({ImawatchBinary(), "verify", "--log", log, "--pcrs", GenuinePath("ngsha256", "pcrs.txt")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("byte offset"), std::string::npos) << r.err;
  EXPECT_EQ(RunCommand({ImawatchBinary(), "verify", "--log"}).exit_code, 2);
  EXPECT_EQ(RunCommand({ImawatchBinary(), "verify", "--log", log, "--pcrs", "/nonexistent"}).exit_code, 2);
}

TEST(LogShowCommand, ReproducesTheKernelsAsciiAndFiltersByTemplate) {
  auto r =
      RunCommand({ImawatchBinary(), "log", "show", GenuinePath("evmsig", "binary_runtime_measurements")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, imawatch::testing::ReadFileOrDie(GenuinePath("evmsig", "ascii_runtime_measurements")));
  auto sig = RunCommand({ImawatchBinary(), "log", "show", "--template", "ima-sig", "--json",
                         ExternalPath("ibmtss-imatest/imatest.log")});
  ASSERT_EQ(sig.exit_code, 0) << sig.err;
  auto j = nlohmann::json::parse(sig.out);
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[1]["fields"]["n-ng"], "/usr/lib/systemd/systemd");
  EXPECT_EQ(j[1]["fields"]["d-ng"]["algorithm"], "sha256");
  auto evm = RunCommand(
      {ImawatchBinary(), "log", "show", "--json", GenuinePath("evmsig", "binary_runtime_measurements")});
  auto e = nlohmann::json::parse(evm.out);
  bool found = false;
  for (const auto& entry : e) {
    if (entry["fields"]["n-ng"] == "/data/kubelet.yaml") {
      found = true;
      EXPECT_EQ(entry["fields"]["iuid"], 0);
      EXPECT_EQ(entry["fields"]["imode"], 0100600);
    }
  }
  EXPECT_TRUE(found);
}

TEST(LogShowCommand, FileNamesThatAreNotUtf8StayReadableJson) {
  // Linux file names are bytes: a Latin-1 name must not abort the JSON output.
  imawatch::testing::ImaLogBuilder builder;
  builder.AddBootAggregate();
  builder.AddMeasurement({.path = "/tmp/caf\xe9", .digest = std::vector<uint8_t>(32, 0x11)});
  builder.Finish();
  std::string dir = imawatch::testing::MakeTempDir("cli");
  std::string log = dir + "/binary_runtime_measurements";
  FILE* f = fopen(log.c_str(), "wb");
  fwrite(builder.bytes().data(), 1, builder.bytes().size(), f);
  fclose(f);
  auto r = RunCommand({ImawatchBinary(), "log", "show", "--json", log});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j[1]["fields"]["n-ng"], "/tmp/caf\\xe9");
  auto ascii = RunCommand({ImawatchBinary(), "log", "show", log});
  EXPECT_NE(ascii.out.find("/tmp/caf\xe9\n"), std::string::npos);  // the kernel prints the raw bytes
}

}  // namespace
}  // namespace imawatch::ima::test
