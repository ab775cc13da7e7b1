#include <gtest/gtest.h>

#include <random>

#include "monitor/appraise/allow_list_binary.h"
#include "monitor/appraise/allow_list_builder.h"
#include "monitor/appraise/native_format.h"
#include "tests/testing/paths.h"
#include "tests/unit/appraise/test_util.h"

namespace imawatch::appraise {
namespace {

using testing::RandomDigest;

AllowList Sample() {
  std::mt19937_64 rng(5);
  AllowListBuilder b;
  std::vector<std::string_view> tags = {"cis-k8s:4.2.1"};
  for (int i = 0; i < 300; ++i) {
    auto algo =
        i % 3 == 0 ? ima::HashAlgo::kSha1 : (i % 3 == 1 ? ima::HashAlgo::kSha256 : ima::HashAlgo::kSha512);
    EXPECT_TRUE(
        b.Add(NameKind::kFile, "/usr/lib/f" + std::to_string(i), RandomDigest(rng, algo),
              i % 10 == 0 ? std::span<const std::string_view>(tags) : std::span<const std::string_view>())
            .ok());
  }
  EXPECT_TRUE(b.Add(NameKind::kKeyring, ".ima", RandomDigest(rng)).ok());
  EXPECT_TRUE(b.AddExclude(PatternKind::kGlob, "/var/log/**").ok());
  EXPECT_TRUE(b.AddExclude(PatternKind::kRegex, "^/tmp/").ok());
  b.settings().ignored_keyrings = {".builtin_trusted_keys"};
  b.settings().log_hash_alg = "sha256";
  b.settings().keylime_extra = R"({"release":2})";
  auto list = b.Build();
  EXPECT_TRUE(list.ok());
  return std::move(*list);
}

Result<AllowList> Parse(const std::string& bytes) {
  return ParseBinary({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, "list.bin", nullptr);
}

template <typename T>
void Poke(std::string& bytes, size_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

// Offset of the directory entry of section `id` (see allow_list_binary.cc).
size_t EntryOf(const std::string& bytes, uint32_t id) {
  uint32_t count;
  std::memcpy(&count, bytes.data() + 12, 4);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t at_id;
    std::memcpy(&at_id, bytes.data() + 32 + 24 * i, 4);
    if (at_id == id) return 32 + 24 * i;
  }
  ADD_FAILURE() << "no section " << id;
  return 0;
}

uint64_t SectionOffset(const std::string& bytes, uint32_t id) {
  uint64_t offset;
  std::memcpy(&offset, bytes.data() + EntryOf(bytes, id) + 8, 8);
  return offset;
}

TEST(BinaryFormat, RoundTripKeepsEverything) {
  AllowList list = Sample();
  std::string bytes = SerializeBinary(list);
  EXPECT_EQ(bytes.size() % 8, 0u);
  auto back = Parse(bytes);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(WriteNative(*back), WriteNative(list));
  EXPECT_EQ(back->settings(), list.settings());
  EXPECT_EQ(SerializeBinary(*back), bytes);
  list.ForEachEntry([&](AllowList::NameId id, const ima::Digest& digest) {
    auto owners = back->FindDigest(digest);
    ASSERT_EQ(owners.size(), 1u);
    EXPECT_EQ(back->Name(owners[0]), list.Name(id));
  });
}

TEST(BinaryFormat, LoadsThroughAReadOnlyMapping) {
  AllowList list = Sample();
  std::string dir = imawatch::testing::MakeTempDir("allowlist-bin");
  std::string path = dir + "/list.bin";
  ASSERT_TRUE(Env::Default().WriteFileAtomically(path, SerializeBinary(list)).ok());
  auto mapped = LoadBinary(Env::Default(), path);
  ASSERT_TRUE(mapped.ok()) << mapped.error().ToString();
  EXPECT_EQ(WriteNative(*mapped), WriteNative(list));
  EXPECT_TRUE(mapped->IsExcluded("/var/log/x"));
  // Replacing the file leaves the mapping of the old one intact.
  ASSERT_TRUE(Env::Default().WriteFileAtomically(path, SerializeBinary(AllowList())).ok());
  EXPECT_EQ(WriteNative(*mapped), WriteNative(list));
  auto fresh = LoadBinary(Env::Default(), path);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->name_count(), 0u);
}

TEST(BinaryFormat, EmptyListRoundTrips) {
  auto back = Parse(SerializeBinary(AllowList()));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->name_count(), 0u);
}

TEST(BinaryFormat, UnalignedInputIsCopiedNotRejected) {
  std::string bytes = " " + SerializeBinary(Sample());
  auto back =
      ParseBinary({reinterpret_cast<const uint8_t*>(bytes.data()) + 1, bytes.size() - 1}, "x", nullptr);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
}

TEST(BinaryFormat, CorruptionIsAnErrorWithAnOffset) {
  const std::string good = SerializeBinary(Sample());
  struct Case {
    const char* what;
    std::function<void(std::string&)> corrupt;
    uint64_t offset;
    const char* message;
  };
  std::vector<Case> cases = {
      {"magic", [](std::string& b) { b[0] = 'X'; }, 0, "bad magic"},
      {"version", [](std::string& b) { Poke<uint32_t>(b, 8, 9); }, 8, "version 9"},
      {"truncated", [](std::string& b) { b.resize(b.size() - 8); }, 16, "truncated"},
      {"short", [](std::string& b) { b.resize(20); }, 0, "shorter than"},
      {"section id", [](std::string& b) { Poke<uint32_t>(b, 32, 77); }, 32, "unknown section"},
      {"section bounds", [](std::string& b) { Poke<uint64_t>(b, 32 + 16, uint64_t{1} << 40); }, 40,
       "outside the file"},
      {"alignment", [](std::string& b) { Poke<uint64_t>(b, 32 + 8, 41); }, 40, "aligned"},
      {"name text", [&](std::string& b) { Poke<uint32_t>(b, SectionOffset(b, 2) + 16 * 3, 0xfffffff0u); },
       SectionOffset(good, 2) + 48, "outside the text"},
      {"name kind", [&](std::string& b) { b[SectionOffset(b, 2) + 12] = 9; }, SectionOffset(good, 2) + 12,
       "kind"},
      {"name slot",
       [&](std::string& b) {
         uint64_t at = SectionOffset(b, 3);
         for (int i = 0;; ++i) {
           uint32_t v;
           std::memcpy(&v, b.data() + at + 4 * i, 4);
           if (v != 0) {
             Poke<uint32_t>(b, at + 4 * i, 100000u);
             break;
           }
         }
       },
       0, "slot points past"},
      {"owner", [&](std::string& b) { Poke<uint32_t>(b, SectionOffset(b, 7), 99999u); },
       SectionOffset(good, 7), "owner points past"},
      {"exclude regex",
       [&](std::string& b) {
         uint64_t text = SectionOffset(b, 1);
         size_t at = b.find("^/tmp/", text);
         b[at + 1] = '(';
       },
       0, "invalid regex"},
  };
  for (auto& c : cases) {
    std::string bytes = good;
    c.corrupt(bytes);
    auto result = Parse(bytes);
    ASSERT_FALSE(result.ok()) << c.what;
    EXPECT_NE(result.error().message().find(c.message), std::string::npos)
        << c.what << ": " << result.error().ToString();
    if (c.offset != 0) {
      EXPECT_EQ(result.error().where().byte_offset, c.offset) << c.what;
    }
  }
}

TEST(BinaryFormat, RandomDamageNeverCrashes) {
  const std::string good = SerializeBinary(Sample());
  std::mt19937 rng(99);
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string bytes = good;
    for (int flips = 1 + rng() % 4; flips > 0; --flips)
      bytes[rng() % bytes.size()] = static_cast<char>(rng());
    auto result = Parse(bytes);
    if (!result.ok()) continue;
    ++accepted;  // damage in digest bytes or text is undetectable; lookups must still be safe
    std::mt19937_64 r(round);
    result->FindDigest(RandomDigest(r));
    result->FindName(NameKind::kFile, "/usr/lib/f1");
    result->ForEachEntry([&](AllowList::NameId id, const ima::Digest&) { result->Tags(id).ToVector(); });
    WriteNative(*result);
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace imawatch::appraise
