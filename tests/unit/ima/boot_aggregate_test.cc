// boot_aggregate against firmware PCRs replayed from a TCG2 event log (ima-evm-utils sample:
// PCRs 8 and 9 non-zero, so only the 0-9 aggregate of a non-SHA1 bank matches).
#include "monitor/ima/boot_aggregate.h"

#include <gtest/gtest.h>

#include "monitor/tpm/event_log.h"
#include "tests/testing/paths.h"
#include "tests/unit/ima/ima_test_util.h"

namespace imawatch::ima::test {
namespace {

TEST(BootAggregate, MatchesPcrsZeroToNineReplayedFromTheFirmwareEventLog) {
  auto log = tpm::LoadEventLog(Env::Default(),
                               ExternalPath("ima-evm-utils/sample-binary_bios_measurements-pcrs-8-9"));
  ASSERT_TRUE(log.ok()) << log.error().ToString();
  PcrValues firmware = tpm::ReplayEventLog(*log);
  // The replayed SHA1 bank equals what tsspcrread read on that machine.
  PcrValues tss = LoadReading(ExternalPath("ima-evm-utils/sample-tpm-2.0-pcrs-8-9"));
  for (uint32_t i = 0; i <= 9; ++i)
    EXPECT_EQ(*firmware.Get(HashAlgo::kSha1, i), *tss.Get(HashAlgo::kSha1, i)) << i;

  auto aggregate = ComputeBootAggregate(HashAlgo::kSha256, firmware);
  ASSERT_TRUE(aggregate.ok());
  EXPECT_EQ(aggregate->hex(), "83d19723ef3b3c05bb8ae70d86b3886c158f2408f1b71ed265886a7b79eb700e");

  // Through verify: the reading has only PCR 10; the event log supplies 0-9.
  PcrValues reading = LoadReading(ExternalPath("ima-evm-utils/sample-tpm-2.0-pcrs-8-9"));
  reading.AddMissing(firmware);
  auto sha256 =
      ParsePcrValues("sha256:10:cf1375f330b17055e0412f6aa94409958d9d66394b21cbb806da2a9b7d52ea9d\n", "e");
  reading.AddMissing(*sha256);
  auto report = VerifyMeasurementList(
      Env::Default(), ExternalPath("ima-evm-utils/sample-ascii_runtime_measurements-pcrs-8-9"), reading,
      {.banks = {HashAlgo::kSha256}});
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  ASSERT_TRUE(report->boot_aggregate.has_value());
  EXPECT_EQ(report->boot_aggregate->status, BootAggregateCheck::Status::kMatch);
  EXPECT_TRUE(report->verified());

  // PCRs 0-7 alone (what the SHA1 aggregate covers) do not reproduce it.
  PcrValues without_8_9;
  for (uint32_t i = 0; i <= 7; ++i)
    without_8_9.Set(HashAlgo::kSha256, i, *firmware.Get(HashAlgo::kSha256, i));
  EXPECT_FALSE(ComputeBootAggregate(HashAlgo::kSha256, without_8_9).ok());
}

TEST(BootAggregate, MismatchWhenFirmwarePcrsDiffer) {
  PcrValues reading = LoadReading(GenuinePath("ngsha256", "pcrs.txt"));
  reading.Set(HashAlgo::kSha256, 4, Digest::Filled(HashAlgo::kSha256, 0x01));
  auto report = VerifyMeasurementList(Env::Default(), GenuinePath("ngsha256", "binary_runtime_measurements"),
                                      reading, {});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->boot_aggregate->status, BootAggregateCheck::Status::kMismatch);
  EXPECT_FALSE(report->verified());
}

}  // namespace
}  // namespace imawatch::ima::test
