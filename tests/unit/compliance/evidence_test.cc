// Evidence keeps the latest proved measurement per path in compact records; these tests pin the
// behaviour the evaluator and the daemon rely on.
#include "monitor/compliance/evidence.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/compliance/test_node.h"

namespace imawatch::compliance {
namespace {

using testing::MeasuredContent;

TEST(Evidence, LatestEntryPerPathWins) {
  Evidence ev;
  ASSERT_TRUE(ev.AddFile(MeasuredContent("/etc/a", "v1", 10)));
  ASSERT_TRUE(ev.AddFile(MeasuredContent("/etc/a", "v2", 30)));
  EXPECT_FALSE(ev.AddFile(MeasuredContent("/etc/a", "v0", 20)));  // older than the kept one
  ASSERT_NE(ev.Latest("/etc/a"), nullptr);
  EXPECT_EQ(ev.Latest("/etc/a")->entry_index, 30u);
  EXPECT_EQ(ev.Latest("/etc/a")->file_digest, MeasuredContent("/etc/a", "v2", 30).file_digest);
  EXPECT_EQ(ev.file_count(), 1u);
}

TEST(Evidence, KeepsEveryFieldOfTheMeasurement) {
  Evidence ev;
  MeasuredFile f = MeasuredContent("/var/lib/kubelet/config.yaml", "x", 7, "evm-sig");
  f.uid = 0;
  f.mode = 0600;
  f.pcr = 11;
  f.bank_proof = std::make_shared<const std::string>("sha256 PCR 11 replay = TPM");
  ASSERT_TRUE(ev.AddFile(f));
  const MeasuredFile* kept = ev.Latest(f.path);
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->path, f.path);
  EXPECT_EQ(kept->template_name, "evm-sig");
  EXPECT_EQ(kept->pcr, 11u);
  EXPECT_EQ(kept->uid, 0u);
  EXPECT_FALSE(kept->gid.has_value());
  EXPECT_EQ(kept->mode, 0600);
  EXPECT_EQ(*kept->bank_proof, *f.bank_proof);
  EXPECT_TRUE(kept->proved);
}

TEST(Evidence, ReMeasuredWithAnotherAlgorithm) {
  Evidence ev;
  MeasuredFile f = MeasuredContent("/usr/bin/x", "x", 1);
  ASSERT_TRUE(ev.AddFile(f));
  MeasuredFile sha1 = f;
  sha1.entry_index = 2;
  sha1.file_digest = ima::Digest::Filled(ima::HashAlgo::kSha1, 0x5a);
  ASSERT_TRUE(ev.AddFile(sha1));
  EXPECT_EQ(ev.Latest("/usr/bin/x")->file_digest, sha1.file_digest);
}

TEST(Evidence, PatternsSeePathsAddedBetweenScans) {
  Evidence ev;
  for (int i = 0; i < 50; i += 2) ev.AddFile(MeasuredContent("/etc/d/f" + std::to_string(100 + i), "x", i));
  EXPECT_EQ(ev.Matching("/etc/d/f*").size(), 25u);
  for (int i = 1; i < 50; i += 2) ev.AddFile(MeasuredContent("/etc/d/f" + std::to_string(100 + i), "x", i));
  std::vector<const MeasuredFile*> all = ev.Matching("/etc/d/f*");
  ASSERT_EQ(all.size(), 50u);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1]->path, all[i]->path);
  EXPECT_EQ(ev.Matching("/etc/d/f12?").size(), 10u);
}

TEST(Evidence, VisitsFilesInEntryOrder) {
  Evidence ev;
  ev.AddFile(MeasuredContent("/b", "x", 5));
  ev.AddFile(MeasuredContent("/a", "x", 9));
  ev.AddFile(MeasuredContent("/c", "x", 1));
  ev.AddFile(MeasuredContent("/b", "y", 12));
  std::vector<std::string> order;
  ev.ForEachFile([&](const MeasuredFile& f) { order.push_back(f.path); });
  EXPECT_EQ(order, (std::vector<std::string>{"/c", "/a", "/b"}));
}

TEST(Evidence, ReferencesStoredPathsAndCopiesOwnThem) {
  auto stored = std::make_unique<std::string>("/usr/lib/systemd/systemd");
  Evidence copy;
  {
    Evidence ev;
    ASSERT_TRUE(ev.AddFile(MeasuredContent(*stored, "x", 3), *stored));
    // A different spelling is not taken as the stored path.
    ASSERT_TRUE(ev.AddFile(MeasuredContent("/usr/bin/true", "x", 4), *stored));
    EXPECT_EQ(ev.Latest("/usr/bin/true")->path, "/usr/bin/true");
    EXPECT_EQ(ev.Latest(*stored)->entry_index, 3u);
    copy = ev;
  }
  stored.reset();  // what the original referred to is gone; the copy holds its own
  ASSERT_NE(copy.Latest("/usr/lib/systemd/systemd"), nullptr);
  EXPECT_EQ(copy.Latest("/usr/lib/systemd/systemd")->path, "/usr/lib/systemd/systemd");
  EXPECT_EQ(copy.Matching("/usr/lib/systemd/*").size(), 1u);
  EXPECT_EQ(copy.Matching("/usr/*/*").size(), 1u);
}

TEST(Evidence, ManyPathsStayFindable) {
  Evidence ev;
  for (int i = 0; i < 20000; ++i) ev.AddFile(MeasuredContent("/data/" + std::to_string(i), "x", i));
  EXPECT_EQ(ev.file_count(), 20000u);
  for (int i = 0; i < 20000; i += 997) {
    const MeasuredFile* f = ev.Latest("/data/" + std::to_string(i));
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->entry_index, static_cast<uint64_t>(i));
  }
  EXPECT_EQ(ev.Latest("/data/20000"), nullptr);
}

}  // namespace
}  // namespace imawatch::compliance
