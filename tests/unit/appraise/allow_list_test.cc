#include "monitor/appraise/allow_list.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>

#include "monitor/appraise/allow_list_builder.h"
#include "tests/unit/appraise/test_util.h"

// Counts heap allocations so a test can prove lookups make none.
namespace {
std::atomic<bool> g_counting{false};
std::atomic<size_t> g_allocations{0};
}  // namespace

// Not inlined: GCC would otherwise see free() meet operator new and warn.
[[gnu::noinline]] void* operator new(size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = std::malloc(size == 0 ? 1 : size);
  if (!p) throw std::bad_alloc();
  return p;
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace imawatch::appraise {
namespace {

using testing::DigestOf;
using testing::RandomDigest;

std::vector<std::string_view> Names(const AllowList& list, std::span<const AllowList::NameId> ids) {
  std::vector<std::string_view> out;
  for (auto id : ids) out.push_back(list.Name(id));
  std::sort(out.begin(), out.end());
  return out;
}

TEST(AllowList, EmptyListKnowsNothing) {
  AllowList empty;
  EXPECT_TRUE(empty.FindDigest(DigestOf(1)).empty());
  EXPECT_FALSE(empty.FindName(NameKind::kFile, "/usr/bin/ls").has_value());
  EXPECT_FALSE(empty.IsExcluded("/tmp/x"));
  auto built = AllowListBuilder().Build();
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(built->name_count(), 0u);
  EXPECT_TRUE(built->FindDigest(DigestOf(1)).empty());
}

TEST(AllowList, DigestMapsToEveryPathItIsAllowedFor) {
  AllowListBuilder b;
  ASSERT_TRUE(b.Add(NameKind::kFile, "/usr/bin/kubelet", DigestOf(1)).ok());
  ASSERT_TRUE(b.Add(NameKind::kFile, "/usr/local/bin/kubelet", DigestOf(1)).ok());
  ASSERT_TRUE(b.Add(NameKind::kFile, "/usr/bin/kubelet", DigestOf(2)).ok());
  ASSERT_TRUE(b.Add(NameKind::kFile, "/usr/bin/kubelet", DigestOf(2)).ok());  // duplicate
  ASSERT_TRUE(b.Add(NameKind::kFile, "/usr/bin/kubelet", DigestOf(3, ima::HashAlgo::kSha1)).ok());
  auto list = b.Build();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->name_count(), 2u);
  EXPECT_EQ(list->digest_count(), 3u);
  EXPECT_EQ(list->entry_count(), 4u);
  EXPECT_EQ(Names(*list, list->FindDigest(DigestOf(1))),
            (std::vector<std::string_view>{"/usr/bin/kubelet", "/usr/local/bin/kubelet"}));
  EXPECT_EQ(Names(*list, list->FindDigest(DigestOf(2))), (std::vector<std::string_view>{"/usr/bin/kubelet"}));
  // Same bytes, other algorithm: a different digest.
  EXPECT_TRUE(list->FindDigest(DigestOf(2, ima::HashAlgo::kSm3_256)).empty());
  EXPECT_EQ(list->FindDigest(DigestOf(3, ima::HashAlgo::kSha1)).size(), 1u);
  auto id = list->FindName(NameKind::kFile, "/usr/bin/kubelet");
  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(list->HasAlgorithm(*id, ima::HashAlgo::kSha256));
  EXPECT_TRUE(list->HasAlgorithm(*id, ima::HashAlgo::kSha1));
  EXPECT_FALSE(list->HasAlgorithm(*id, ima::HashAlgo::kSha512));
  EXPECT_EQ(list->DigestsOf(*id).size(), 3u);
}

TEST(AllowList, KindsAreSeparateNamespaces) {
  AllowListBuilder b;
  ASSERT_TRUE(b.Add(NameKind::kKeyring, ".ima", DigestOf(5)).ok());
  auto list = b.Build();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->FindName(NameKind::kKeyring, ".ima").has_value());
  EXPECT_FALSE(list->FindName(NameKind::kFile, ".ima").has_value());
}

TEST(AllowList, TagsAreInternedAndUnitedPerPath) {
  AllowListBuilder b;
  std::vector<std::string_view> t1 = {"cis-k8s:4.2.1"};
  std::vector<std::string_view> t2 = {"cis-k8s:4.2.2", "cis-k8s:4.2.1"};
  ASSERT_TRUE(b.Add(NameKind::kFile, "/var/lib/kubelet/config.yaml", DigestOf(1), t1).ok());
  ASSERT_TRUE(b.Add(NameKind::kFile, "/var/lib/kubelet/config.yaml", DigestOf(2), t2).ok());
  ASSERT_TRUE(b.Add(NameKind::kFile, "/etc/kubernetes/kubelet.conf", DigestOf(3), t1).ok());
  std::vector<std::string_view> bad = {"has space"};
  EXPECT_FALSE(b.Add(NameKind::kFile, "/x", DigestOf(4), bad).ok());
  auto list = b.Build();
  ASSERT_TRUE(list.ok());
  auto id = list->FindName(NameKind::kFile, "/var/lib/kubelet/config.yaml");
  ASSERT_TRUE(id);
  auto tags = list->Tags(*id).ToVector();
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (std::vector<std::string_view>{"cis-k8s:4.2.1", "cis-k8s:4.2.2"}));
  EXPECT_EQ(list->tables().tags.size(), 2u);  // each tag text once
  auto other = list->FindName(NameKind::kFile, "/etc/kubernetes/kubelet.conf");
  EXPECT_EQ(list->Tags(*other).ToVector(), (std::vector<std::string_view>{"cis-k8s:4.2.1"}));
}

TEST(AllowList, RejectsBadEntries) {
  AllowListBuilder b;
  EXPECT_FALSE(b.Add(NameKind::kFile, "", DigestOf(1)).ok());
  ima::Digest wrong = DigestOf(1);
  wrong.size = 7;
  EXPECT_FALSE(b.Add(NameKind::kFile, "/x", wrong).ok());
  EXPECT_FALSE(b.AddExclude(PatternKind::kRegex, "(").ok());
  b.settings().keylime_extra = "[1]";
  EXPECT_FALSE(b.Build().ok());
}

TEST(AllowList, ManyRandomEntriesAreAllFoundAndNothingElse) {
  std::mt19937_64 rng(42);
  AllowListBuilder b;
  std::vector<ima::Digest> digests;
  for (int i = 0; i < 50000; ++i) {
    digests.push_back(RandomDigest(rng, i % 7 == 0 ? ima::HashAlgo::kSha1 : ima::HashAlgo::kSha256));
    ASSERT_TRUE(b.Add(NameKind::kFile, "/p/" + std::to_string(i), digests.back()).ok());
  }
  auto list = b.Build();
  ASSERT_TRUE(list.ok());
  for (int i = 0; i < 50000; ++i) {
    auto owners = list->FindDigest(digests[i]);
    ASSERT_EQ(owners.size(), 1u);
    ASSERT_EQ(list->Name(owners[0]), "/p/" + std::to_string(i));
    ASSERT_EQ(list->FindName(NameKind::kFile, "/p/" + std::to_string(i)), owners[0]);
  }
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(list->FindDigest(RandomDigest(rng)).empty());
  EXPECT_FALSE(list->FindName(NameKind::kFile, "/p/50000").has_value());
}

TEST(AllowList, LookupsDoNotAllocate) {
  std::mt19937_64 rng(3);
  AllowListBuilder b;
  std::vector<ima::Digest> digests;
  for (int i = 0; i < 1000; ++i) {
    digests.push_back(RandomDigest(rng));
    ASSERT_TRUE(b.Add(NameKind::kFile, "/bin/f" + std::to_string(i), digests.back()).ok());
  }
  auto list = b.Build();
  ASSERT_TRUE(list.ok());
  std::vector<std::string> names;
  for (int i = 0; i < 1000; ++i) names.push_back("/bin/f" + std::to_string(i));
  size_t found = 0;
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < 1000; ++i) {
    found += list->FindDigest(digests[i]).size();
    found += list->FindName(NameKind::kFile, names[i]).has_value();
    found += list->Tags(0).size();
  }
  found += list->FindDigest(RandomDigest(rng)).size();
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0u);
  EXPECT_EQ(found, 2000u);
}

TEST(AllowList, AddAllMergesListsAndSettings) {
  AllowListBuilder a;
  ASSERT_TRUE(a.Add(NameKind::kFile, "/a", DigestOf(1), std::vector<std::string_view>{"t1"}).ok());
  ASSERT_TRUE(a.AddExclude(PatternKind::kGlob, "/tmp/**").ok());
  a.settings().ignored_keyrings = {".builtin_trusted_keys"};
  auto first = a.Build();
  ASSERT_TRUE(first.ok());
  AllowListBuilder b;
  ASSERT_TRUE(b.Add(NameKind::kFile, "/b", DigestOf(2)).ok());
  ASSERT_TRUE(b.AddAll(*first).ok());
  auto merged = b.Build();
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->name_count(), 2u);
  EXPECT_TRUE(merged->IsExcluded("/tmp/x"));
  EXPECT_TRUE(merged->IsIgnoredKeyring(".builtin_trusted_keys"));
  EXPECT_EQ(merged->Tags(*merged->FindName(NameKind::kFile, "/a")).ToVector(),
            (std::vector<std::string_view>{"t1"}));
}

}  // namespace
}  // namespace imawatch::appraise
