// The genuine kernel-produced lists (Debian 6.1 under QEMU + swtpm) prove against every bank and
// PCR their TPM held, and render exactly as the kernel's ascii file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>

#include "monitor/ima/ascii_reader.h"
#include "tests/testing/paths.h"
#include "tests/unit/ima/ima_test_util.h"

namespace imawatch::ima::test {
namespace {

class GenuineFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(GenuineFixture, ProvesEveryBankAndPcrOfItsReading) {
  const std::string name = GetParam();
  PcrValues reading = LoadReading(GenuinePath(name, "pcrs.txt"));
  ASSERT_EQ(reading.Banks().size(), 4u);
  auto report =
      VerifyMeasurementList(Env::Default(), GenuinePath(name, "binary_runtime_measurements"), reading, {});
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_TRUE(report->verified());
  EXPECT_EQ(report->template_digest_mismatches, 0u);
  ASSERT_TRUE(report->boot_aggregate.has_value());
  EXPECT_EQ(report->boot_aggregate->status, BootAggregateCheck::Status::kMatch);
  ASSERT_EQ(report->banks.size(), 4u);
  for (const auto& proof : report->proofs) {
    EXPECT_TRUE(proof.expected.has_value());
    EXPECT_TRUE(proof.matched) << Name(proof.bank) << " PCR " << proof.pcr;
    // This kernel could not allocate sha384/sha512 and extended those banks with padded SHA1.
    bool unhashable = proof.bank == HashAlgo::kSha384 || proof.bank == HashAlgo::kSha512;
    EXPECT_EQ(proof.variant, unhashable ? ExtendVariant::kPaddedSha1 : ExtendVariant::kPerBank);
    if (name != "race") {
      EXPECT_EQ(proof.proved, proof.entries);
    }
  }
  EXPECT_GE(report->violations, 1u);  // every capture includes an open-writers or ToMToU violation
}

TEST_P(GenuineFixture, RendersTheKernelsAsciiByteForByte) {
  const std::string name = GetParam();
  ParsedList parsed = Parse(ReadBytes(GenuinePath(name, "binary_runtime_measurements")));
  std::string ascii = testing::ReadFileOrDie(GenuinePath(name, "ascii_runtime_measurements"));
  if (name == "race") {
    // The ascii file was read after one more entry was appended: ours is its prefix.
    ASSERT_EQ(parsed.entries.size(), 57u);
    EXPECT_EQ(ascii.substr(0, parsed.ascii.size()), parsed.ascii);
    EXPECT_EQ(std::count(ascii.begin(), ascii.end(), '\n'), 58);
  } else {
    EXPECT_EQ(parsed.ascii, ascii);
  }
}

TEST_P(GenuineFixture, AsciiListConvertsBackToTheSameBinary) {
  const std::string name = GetParam();
  std::string ascii = testing::ReadFileOrDie(GenuinePath(name, "ascii_runtime_measurements"));
  auto converted = AsciiToBinary(ascii, "ascii");
  ASSERT_TRUE(converted.ok()) << converted.error().ToString();
  std::vector<uint8_t> binary = ReadBytes(GenuinePath(name, "binary_runtime_measurements"));
  ASSERT_GE(converted->binary.size(), binary.size());
  EXPECT_TRUE(std::equal(binary.begin(), binary.end(), converted->binary.begin()));
}

INSTANTIATE_TEST_SUITE_P(Ima, GenuineFixture, ::testing::ValuesIn(kGenuineFixtures));

TEST(RaceFixture, ProvesTheExactPrefixEachBankWasReadAt) {
  PcrValues reading = LoadReading(GenuinePath("race", "pcrs.txt"));
  auto report = VerifyMeasurementList(Env::Default(), GenuinePath("race", "binary_runtime_measurements"),
                                      reading, {.banks = {HashAlgo::kSha1, HashAlgo::kSha256}});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->verified());
  ASSERT_EQ(report->banks.size(), 2u);
  EXPECT_EQ(report->banks[0].proved, 22u);
  EXPECT_EQ(report->banks[0].not_covered, 35u);
  EXPECT_EQ(report->banks[1].proved, 33u);
  EXPECT_EQ(report->banks[1].not_covered, 24u);
  EXPECT_EQ(report->proved_entries(), 33u);
}

TEST(Pcr11Fixture, ProvesEachPcrSeparately) {
  PcrValues reading = LoadReading(GenuinePath("pcr11", "pcrs.txt"));
  auto report = VerifyMeasurementList(Env::Default(), GenuinePath("pcr11", "binary_runtime_measurements"),
                                      reading, {.banks = {HashAlgo::kSha1}});
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->proofs.size(), 2u);
  EXPECT_EQ(report->proofs[0].pcr, 10u);
  EXPECT_EQ(report->proofs[1].pcr, 11u);
  EXPECT_EQ(report->proofs[0].proved + report->proofs[1].proved, 50u);
  EXPECT_TRUE(report->proofs[1].matched);
}

TEST(ReadingFromSysfsDirectory, ProvesLikeTheTextFile) {
  PcrValues text = LoadReading(GenuinePath("ngsha256", "pcrs.txt"));
  std::string dir = testing::MakeTempDir("sysfs");
  for (HashAlgo bank : text.Banks()) {
    std::string bank_dir = dir + "/pcr-" + std::string(Name(bank));
    ASSERT_EQ(mkdir(bank_dir.c_str(), 0755), 0);
    for (uint32_t i : text.Indexes(bank)) {
      FILE* f = fopen((bank_dir + "/" + std::to_string(i)).c_str(), "w");
      std::fprintf(f, "%s\n", text.Get(bank, i)->hex().c_str());
      fclose(f);
    }
  }
  PcrValues from_dir = LoadReading(dir);
  EXPECT_EQ(from_dir, text);
}

}  // namespace
}  // namespace imawatch::ima::test
