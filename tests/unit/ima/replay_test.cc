// Incremental replay: a reading taken while entries are still being appended proves a prefix,
// and a later reading proves more without re-reading the list.
#include "monitor/ima/replay.h"

#include <gtest/gtest.h>

#include "monitor/ima/template_hash.h"
#include "tests/unit/ima/ima_test_util.h"

namespace imawatch::ima::test {
namespace {

// Replays the race capture in two halves; readings arrive between them.
TEST(IncrementalReplay, LaterReadingsProveLongerPrefixesFromHistory) {
  std::vector<uint8_t> list = ReadBytes(GenuinePath("race", "binary_runtime_measurements"));
  PcrValues race = LoadReading(GenuinePath("race", "pcrs.txt"));
  auto file = NewMemoryFile("race", list);
  BinaryLogReader reader(*file, {});
  Replay replay({.banks = {HashAlgo::kSha1, HashAlgo::kSha256}, .keep_history = true});
  auto feed = [&](size_t n) {
    auto batch = reader.Next(n);
    ASSERT_TRUE(batch.ok());
    for (const auto& e : *batch) {
      EntryDigests d;
      for (HashAlgo a : replay.digest_algos()) ComputeTemplateDigest(a, e, d.of(a));
      replay.Extend(e, d);
    }
  };
  feed(28);  // past the sha1 reading's point (22), before the sha256 one (33)
  PcrValues sha1_only;
  sha1_only.Set(HashAlgo::kSha1, 10, *race.Get(HashAlgo::kSha1, 10));
  replay.SetReading(sha1_only);
  auto proofs = replay.Proofs();
  ASSERT_EQ(proofs.size(), 2u);
  EXPECT_TRUE(proofs[0].matched);
  EXPECT_EQ(proofs[0].proved, 22u);
  EXPECT_FALSE(proofs[1].expected.has_value());

  feed(100);  // the rest
  replay.SetReading(race);
  proofs = replay.Proofs();
  EXPECT_TRUE(proofs[1].matched);
  EXPECT_EQ(proofs[1].proved, 33u);
  EXPECT_EQ(proofs[1].proved_list, 33u);

  // A reading no prefix reproduces is a mismatch, never a stale success.
  PcrValues forged;
  forged.Set(HashAlgo::kSha256, 10, Digest::Filled(HashAlgo::kSha256, 0x42));
  replay.SetReading(forged);
  EXPECT_FALSE(replay.Proofs()[1].matched);

  // The same reading again after entries that no reading covers yet (the kernel appends, then
  // extends): the earlier proof stands, the new entries stay unproved.
  replay.SetReading(race);
  ASSERT_TRUE(replay.Proofs()[1].matched);
  std::vector<uint8_t> longer = list;
  longer.insert(longer.end(), list.begin(), list.end());  // more genuine entries
  auto longer_file = NewMemoryFile("race+", longer);
  BinaryLogReader longer_reader(*longer_file, {});
  Replay tail({.banks = {HashAlgo::kSha256}, .keep_history = true});
  uint64_t fed = 0;
  for (;;) {
    auto batch = longer_reader.Next(16);
    ASSERT_TRUE(batch.ok());
    if (batch->empty()) break;
    for (const auto& e : *batch) {
      EntryDigests d;
      for (HashAlgo a : tail.digest_algos()) ComputeTemplateDigest(a, e, d.of(a));
      tail.Extend(e, d);
      if (++fed == 33) tail.SetReading(race);
    }
  }
  tail.SetReading(race);
  auto later = tail.Proofs();
  ASSERT_EQ(later.size(), 1u);
  EXPECT_TRUE(later[0].matched);
  EXPECT_EQ(later[0].proved, 33u);
  EXPECT_GT(later[0].entries, 33u);
}

TEST(Replay, EmptyPrefixProvesNothing) {
  Replay replay({.banks = {HashAlgo::kSha1}});
  PcrValues zero;
  zero.Set(HashAlgo::kSha1, 10, Digest::Zero(HashAlgo::kSha1));
  replay.SetReading(zero);
  EXPECT_TRUE(replay.Proofs().empty());
  EXPECT_EQ(replay.entries(), 0u);
}

}  // namespace
}  // namespace imawatch::ima::test
