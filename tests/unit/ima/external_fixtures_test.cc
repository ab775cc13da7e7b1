// Third-party captures (shared/fixtures/external, see PROVENANCE.md and EXPECTED.json).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "monitor/ima/ascii_format.h"
#include "tests/testing/paths.h"
#include "tests/unit/ima/ima_test_util.h"

namespace imawatch::ima::test {
namespace {

nlohmann::json Expected() {
  return nlohmann::json::parse(testing::ReadFileOrDie(ExternalPath("EXPECTED.json")));
}

// A reading with PCR 10 of every bank from EXPECTED.json; "legacy" takes the pre-5.8 values.
PcrValues ExpectedReading(const nlohmann::json& expected, bool legacy) {
  std::string text;
  for (auto& [bank, hex] : expected["pcr10"].items()) {
    std::string value = hex.get<std::string>();
    if (legacy && bank != "sha1") value = expected["pcr10_padded_sha1_legacy"][bank].get<std::string>();
    text += bank + ":10:" + value + "\n";
  }
  auto reading = ParsePcrValues(text, "expected");
  EXPECT_TRUE(reading.ok());
  return *reading;
}

TEST(Fedora40VirtualTpm, EveryPerBankFileProvesAllFourTpmCapturedBanks) {
  PcrValues tpm = LoadReading(ExternalPath("ibmtss-fedora40-vtpm/imakvtpcr10.txt"));
  ASSERT_EQ(tpm.Banks().size(), 4u);
  for (const char* file : {"sha1.log", "sha256.log", "sha384.log", "sha512.log"}) {
    auto report = VerifyMeasurementList(Env::Default(),
                                        ExternalPath(std::string("ibmtss-fedora40-vtpm/") + file), tpm, {});
    ASSERT_TRUE(report.ok()) << file << ": " << report.error().ToString();
    EXPECT_TRUE(report->verified()) << file;
    EXPECT_EQ(report->entries, 362u);
    EXPECT_EQ(report->template_digest_mismatches, 0u) << file;
    for (const auto& bank : report->banks) {
      EXPECT_EQ(bank.status, BankSummary::Status::kVerified) << file << " " << Name(bank.bank);
      EXPECT_EQ(bank.variant, ExtendVariant::kPerBank);
      EXPECT_EQ(bank.proved, 362u);
    }
  }
}

TEST(ExternalLogs, ReplayToTheExpectedValuesInBothKernelVariants) {
  nlohmann::json all = Expected();
  for (auto& [log, expected] : all.items()) {
    if (log.starts_with("_") || log.starts_with("ibmtss-fedora40")) continue;
    for (bool legacy : {false, true}) {
      SCOPED_TRACE(log + (legacy ? " (pre-5.8 padded)" : " (per-bank)"));
      auto report =
          VerifyMeasurementList(Env::Default(), ExternalPath(log), ExpectedReading(expected, legacy), {});
      ASSERT_TRUE(report.ok()) << report.error().ToString();
      EXPECT_TRUE(report->verified());
      EXPECT_EQ(report->entries, expected["entries"].get<uint64_t>());
      EXPECT_EQ(report->violations, expected["violations"].get<uint64_t>());
      EXPECT_EQ(report->template_digest_mismatches, 0u);
      std::map<std::string, uint64_t> templates = expected["templates"];
      EXPECT_EQ(report->templates, templates);
      for (const auto& bank : report->banks) {
        if (bank.bank == HashAlgo::kSha1 || !legacy) {
          EXPECT_EQ(bank.variant, ExtendVariant::kPerBank);
        } else {
          // Without violations the two padded variants coincide; the kernel < 5.8 one differs on them.
          auto want = report->violations > 0 ? ExtendVariant::kLegacyPaddedSha1 : ExtendVariant::kPaddedSha1;
          EXPECT_EQ(bank.variant, want);
        }
      }
    }
  }
}

TEST(ImbTssImaTest, AllTemplatesAndCustomFieldListsParseAndRender) {
  ParsedList parsed = Parse(ReadBytes(ExternalPath("ibmtss-imatest/imatest.log")));
  ASSERT_EQ(parsed.entries.size(), 17u);
  for (const char* needle : {" d-ng|sig sha1:", " n-ng|sig|d-ng boot_aggregate  sha1:",
                             " ima-sigv2 ima:sha256:", " ima-buf sha256:", ".builtin_trusted_keys 3082",
                             " evm-sig sha256:", "security.selinux|security.ima 2500000022000000",
                             " 0 0 33188\n", " ima-modsig ", " ima-ngv2 ima:sha256:"}) {
    EXPECT_NE(parsed.ascii.find(needle), std::string::npos) << needle;
  }
}

TEST(EmbraveArm, BinaryAndAsciiCapturesAgree) {
  ParsedList binary = Parse(ReadBytes(ExternalPath("embrave-arm/binary_runtime_measurements")));
  EXPECT_EQ(binary.entries.size(), 922u);
  EXPECT_EQ(binary.ascii, testing::ReadFileOrDie(ExternalPath("embrave-arm/ascii_runtime_measurements")));
}

}  // namespace
}  // namespace imawatch::ima::test
