// Tampering with a genuine list never yields "verified": every single-bit flip, every entry
// deletion and every swap of two entries gives a mismatch or a clean parse error.
#include <gtest/gtest.h>

#include "tests/unit/ima/ima_test_util.h"

namespace imawatch::ima::test {
namespace {

class Tamper : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    list_ = ReadBytes(GenuinePath(GetParam(), "binary_runtime_measurements"));
    reading_ = LoadReading(GenuinePath(GetParam(), "pcrs.txt"));
    // The pcr11 capture's policy extends PCR 11 too (its ima-policy.txt: pcr=11).
    if (GetParam() == "pcr11") ima_pcrs_ = {10, 11};
    parsed_ = Parse(list_);
    auto untouched = VerifyBytes(list_, reading_, {}, ima_pcrs_);
    ASSERT_TRUE(untouched.ok() && untouched->verified());
    baseline_proved_ = untouched->proved_entries();
  }

  // Index of the entry holding byte `offset`.
  size_t EntryAt(uint64_t offset) const {
    size_t i = 0;
    while (i + 1 < parsed_.offsets.size() && parsed_.offsets[i + 1] <= offset) ++i;
    return i;
  }

  // A tampered list may still verify only when the change lies beyond every proved prefix
  // (the race capture's PCRs were read before its last entries existed); then it must not
  // count the tampered entry as proved.
  void ExpectRejected(const std::vector<uint8_t>& tampered, size_t first_changed_entry,
                      const std::string& what) {
    auto report = VerifyBytes(tampered, reading_, {}, ima_pcrs_);
    if (!report.ok()) return;  // a clean parse error
    if (!report->verified()) return;
    EXPECT_LT(report->proved_entries(), first_changed_entry + 1) << what << " verified";
    EXPECT_LE(report->proved_entries(), baseline_proved_) << what;
    EXPECT_GE(first_changed_entry, 22u) << what << " verified inside the proved prefix";
  }

  std::vector<uint8_t> list_;
  PcrValues reading_;
  ParsedList parsed_;
  uint64_t baseline_proved_ = 0;
  std::vector<uint32_t> ima_pcrs_ = {10};
};

TEST_P(Tamper, EverySingleBitFlipIsRejected) {
  size_t exempt = 0;
  for (size_t byte = 0; byte < list_.size(); ++byte) {
    bool unattested = std::any_of(parsed_.unattested.begin(), parsed_.unattested.end(),
                                  [&](auto range) { return byte >= range.first && byte < range.second; });
    if (unattested) {
      ++exempt;
      continue;
    }
    for (int bit = 0; bit < 8; ++bit) {
#ifdef IMAWATCH_SANITIZED
      if (bit != static_cast<int>(byte % 8)) continue;  // one bit per byte, every bit position
#endif
      std::vector<uint8_t> tampered = list_;
      tampered[byte] ^= static_cast<uint8_t>(1u << bit);
      ExpectRejected(tampered, EntryAt(byte),
                     "flip of bit " + std::to_string(bit) + " at " + std::to_string(byte));
      if (HasFailure()) return;
    }
  }
  EXPECT_LT(exempt, list_.size() / 20);  // only the violation entries' data
}

TEST_P(Tamper, EveryEntryDeletionIsRejected) {
  for (size_t i = 0; i < parsed_.entries.size(); ++i) {
    auto entries = parsed_.entries;
    entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(i));
    ExpectRejected(Join(entries), i, "deletion of entry " + std::to_string(i));
  }
}

TEST_P(Tamper, EverySwapOfTwoEntriesIsRejected) {
  size_t checked = 0;
  for (size_t i = 0; i < parsed_.entries.size(); ++i) {
    for (size_t j = i + 1; j < parsed_.entries.size(); ++j) {
      if (parsed_.entries[i] == parsed_.entries[j]) continue;  // swapping equal entries changes nothing
      // Entries of different PCRs with no entry of either PCR between them keep every PCR's
      // sequence: the TPM cannot see that reordering, and it changes no measurement.
      if (parsed_.pcrs[i] != parsed_.pcrs[j]) {
        bool crosses = false;
        for (size_t k = i + 1; k < j; ++k)
          crosses |= parsed_.pcrs[k] == parsed_.pcrs[i] || parsed_.pcrs[k] == parsed_.pcrs[j];
        if (!crosses) continue;
      }
      auto entries = parsed_.entries;
      std::swap(entries[i], entries[j]);
      ExpectRejected(Join(entries), i, "swap of entries " + std::to_string(i) + " and " + std::to_string(j));
      ++checked;
    }
  }
  EXPECT_GT(checked, 1000u);
}

INSTANTIATE_TEST_SUITE_P(Ima, Tamper, ::testing::ValuesIn(kGenuineFixtures));

}  // namespace
}  // namespace imawatch::ima::test
