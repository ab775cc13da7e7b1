#include "monitor/appraise/keylime_policy.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "monitor/appraise/allow_list_binary.h"
#include "monitor/appraise/digest_text.h"
#include "monitor/appraise/native_format.h"
#include "tests/testing/paths.h"

namespace imawatch::appraise {
namespace {

using Json = nlohmann::json;

// Digest strings compared as digests ("sha256:<hex>" and "<hex>" are the same digest), lists
// as sets: what a Keylime verifier would accept.
Json Normalize(Json policy) {
  for (const char* section : {"digests", "keyrings", "ima-buf"}) {
    if (!policy.contains(section)) continue;
    for (auto& [name, digests] : policy[section].items()) {
      std::vector<std::string> normal;
      for (const auto& d : digests) {
        auto parsed = ParseDigestText(d.get<std::string>());
        normal.push_back(parsed.ok() ? FormatDigestShort(*parsed) : d.get<std::string>());
      }
      std::sort(normal.begin(), normal.end());
      normal.erase(std::unique(normal.begin(), normal.end()), normal.end());
      digests = normal;
    }
  }
  return policy;
}

const char* kFullPolicy = R"({
  "meta": {"version": 1, "generator": 3, "timestamp": "2025-01-02 03:04:05.678901"},
  "release": 7,
  "digests": {
    "/usr/bin/kubelet": ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                         "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"],
    "/usr/lib/libc.so.6": ["f572d396fae9206628714fb2ce00f72e94f2258f"],
    "/etc/never-matches": []
  },
  "excludes": ["/tmp/.*", "^/var/lib/containers/", "(?:/proc|/sys)/"],
  "keyrings": {".ima": ["a7d52aaa18c23d2d9bb2abb4308c0eeee67387a42259f4a6b1a42257065f3d5a"]},
  "ima": {"ignored_keyrings": [".builtin_trusted_keys"], "log_hash_alg": "sha256",
          "dm_policy": {"version": 1, "match_on": "name", "rules": {}}},
  "ima-buf": {"dm_table_load": ["571016c9f57363c80e08dd4346391c4e70227e41b0247b8a3aa2240a178d3d14"]},
  "verification-keys": "[{\"key\": \"abc\"}]",
  "rules": "custom"
})";

TEST(KeylimePolicy, ImportsEverySection) {
  auto list = ParseKeylimePolicy(kFullPolicy, "policy.json");
  ASSERT_TRUE(list.ok()) << list.error().ToString();
  auto kubelet = list->FindName(NameKind::kFile, "/usr/bin/kubelet");
  ASSERT_TRUE(kubelet);
  EXPECT_EQ(list->DigestsOf(*kubelet).size(), 2u);
  auto libc = list->FindDigest(*ParseDigestText("f572d396fae9206628714fb2ce00f72e94f2258f"));
  ASSERT_EQ(libc.size(), 1u);
  EXPECT_EQ(list->Name(libc[0]), "/usr/lib/libc.so.6");
  EXPECT_TRUE(list->FindName(NameKind::kFile, "/etc/never-matches"));
  EXPECT_TRUE(list->FindName(NameKind::kKeyring, ".ima"));
  EXPECT_TRUE(list->FindName(NameKind::kImaBuf, "dm_table_load"));
  EXPECT_TRUE(list->IsExcluded("/tmp/x"));
  EXPECT_TRUE(list->IsExcluded("/var/lib/containers/overlay/a"));
  EXPECT_TRUE(list->IsExcluded("/proc/1/status"));
  EXPECT_FALSE(list->IsExcluded("/usr/tmp/x"));
  EXPECT_TRUE(list->IsIgnoredKeyring(".builtin_trusted_keys"));
  EXPECT_EQ(list->settings().log_hash_alg, "sha256");
}

TEST(KeylimePolicy, ExportGivesBackTheSamePolicy) {
  auto list = ParseKeylimePolicy(kFullPolicy, "policy.json");
  ASSERT_TRUE(list.ok());
  std::string exported = WriteKeylimePolicy(*list);
  EXPECT_EQ(Normalize(Json::parse(exported)), Normalize(Json::parse(kFullPolicy))) << exported;
}

TEST(KeylimePolicy, KeylimeGeneratedPoliciesRoundTripThroughEveryForm) {
  for (const char* name :
       {"appraise/keylime-runtime-policy-test.json", "appraise/keylime-sign-runtime-policy.json"}) {
    std::string original = imawatch::testing::ReadFileOrDie(imawatch::testing::FixturePath(name));
    auto list = ParseKeylimePolicy(original, name);
    ASSERT_TRUE(list.ok()) << list.error().ToString();
    std::string direct = WriteKeylimePolicy(*list);
    EXPECT_EQ(Normalize(Json::parse(direct)), Normalize(Json::parse(original))) << name;

    auto via_native = ParseNative(WriteNative(*list), "native");
    ASSERT_TRUE(via_native.ok()) << via_native.error().ToString();
    EXPECT_EQ(WriteKeylimePolicy(*via_native), direct) << name;

    std::string binary = SerializeBinary(*list);
    auto via_binary =
        ParseBinary({reinterpret_cast<const uint8_t*>(binary.data()), binary.size()}, "bin", nullptr);
    ASSERT_TRUE(via_binary.ok()) << via_binary.error().ToString();
    EXPECT_EQ(WriteKeylimePolicy(*via_binary), direct) << name;
  }
}

TEST(KeylimePolicy, SharedDigestMapsToAllItsPaths) {
  std::string text = imawatch::testing::ReadFileOrDie(
      imawatch::testing::FixturePath("appraise/keylime-sign-runtime-policy.json"));
  auto list = ParseKeylimePolicy(text, "p");
  ASSERT_TRUE(list.ok());
  auto empty_file = ParseDigestText("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(list->FindDigest(*empty_file).size(), 7u);
}

TEST(KeylimePolicy, GlobExcludesExportAsEquivalentRegexes) {
  auto list = ParseNative("@exclude glob /var/log/**\n@exclude glob /tmp/*.sock\n", "n");
  ASSERT_TRUE(list.ok());
  auto back = ParseKeylimePolicy(WriteKeylimePolicy(*list), "k");
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  for (const char* path :
       {"/var/log/a/b", "/tmp/x.sock", "/tmp/x.sock/inner", "/tmp/a/x.sock", "/var/logs"}) {
    EXPECT_EQ(back->IsExcluded(path), list->IsExcluded(path)) << path;
  }
}

TEST(KeylimePolicy, ErrorsNameTheJsonPath) {
  auto e = ParseKeylimePolicy(R"({"digests": {"/usr/bin/a": ["abcd", "zz"]}})", "p.json");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("$.digests[\"/usr/bin/a\"][0]"), std::string::npos)
      << e.error().message();

  e = ParseKeylimePolicy(R"({"digests": {"/usr/bin/a": "abcd"}})", "p.json");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("$.digests[\"/usr/bin/a\"]: expected an array"), std::string::npos);

  e = ParseKeylimePolicy(R"({"excludes": ["ok", "bad("]})", "p.json");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("$.excludes[1]: invalid regex"), std::string::npos)
      << e.error().message();

  e = ParseKeylimePolicy(R"({"ima": {"ignored_keyrings": [".a", 3]}})", "p.json");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("$.ima[\"ignored_keyrings\"][1]"), std::string::npos)
      << e.error().message();

  e = ParseKeylimePolicy(R"({"meta": {"version": 2}})", "p.json");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().kind(), ErrorKind::kUnsupported);

  e = ParseKeylimePolicy("[]", "p.json");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("$: "), std::string::npos);
}

TEST(KeylimePolicy, SyntaxErrorsNameLineAndColumn) {
  auto e = ParseKeylimePolicy("{\n  \"digests\": {,}\n}\n", "p.json");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().where().line, 2u);
  EXPECT_EQ(e.error().where().column, 15u);  // the ','
  EXPECT_EQ(e.error().ToString().substr(0, 12), "p.json:2:15:") << e.error().ToString();
}

TEST(KeylimePolicy, DuplicateKeysKeepTheLastAsJsonDoes) {
  const std::string a(64, 'a'), b(64, 'b'), c(64, 'c');
  auto list = ParseKeylimePolicy(R"({"digests": {"/x": [")" + a + R"("], "/y": [], "/x": [")" + b +
                                     R"("]}, "excludes": ["/tmp/"], "excludes": []})",
                                 "p.json");
  ASSERT_TRUE(list.ok()) << list.error().ToString();
  std::string out = WriteKeylimePolicy(*list);
  EXPECT_EQ(out.find(a), std::string::npos) << out;
  EXPECT_NE(out.find(b), std::string::npos) << out;
  EXPECT_EQ(out.find("/tmp/"), std::string::npos) << out;

  list = ParseKeylimePolicy(R"({"keyrings": {".a": [")" + a + R"("]}, "keyrings": {".b": [")" + c + R"("]}})",
                            "p.json");
  ASSERT_TRUE(list.ok()) << list.error().ToString();
  out = WriteKeylimePolicy(*list);
  EXPECT_EQ(out.find(".a"), std::string::npos) << out;
  EXPECT_NE(out.find(c), std::string::npos) << out;
}

TEST(KeylimePolicy, SyntaxErrorsWinOverContentErrorsBeforeThem) {
  auto e = ParseKeylimePolicy("{\"digests\": {\"/a\": [\"zz\"]},\n \"x\": ]}", "p.json");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().ToString().substr(0, 11), "p.json:2:7:") << e.error().ToString();
}

TEST(KeylimePolicy, NumbersBeyondDoubleAreInputErrors) {
  for (const char* text : {R"({"release": 1e400})", R"({"digests": {"/a": [-1e999]}})"}) {
    auto e = ParseKeylimePolicy(text, "p.json");
    ASSERT_FALSE(e.ok()) << text;
    EXPECT_EQ(e.error().kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(e.error().message().find("invalid JSON"), std::string::npos) << e.error().message();
  }
}

TEST(KeylimePolicy, LoadsFromAFileAsFromText) {
  std::string dir = imawatch::testing::MakeTempDir("keylime");
  Env& env = Env::Default();
  ASSERT_TRUE(env.WriteFileAtomically(dir + "/p.json", kFullPolicy).ok());
  auto list = LoadKeylimePolicy(env, dir + "/p.json");
  ASSERT_TRUE(list.ok()) << list.error().ToString();
  EXPECT_EQ(WriteKeylimePolicy(*list), WriteKeylimePolicy(*ParseKeylimePolicy(kFullPolicy, "p")));

  ASSERT_TRUE(env.WriteFileAtomically(dir + "/bad.json", "{\n  \"digests\": {,}\n}\n").ok());
  auto e = LoadKeylimePolicy(env, dir + "/bad.json");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().where().line, 2u);
  EXPECT_EQ(e.error().where().column, 15u);
}

}  // namespace
}  // namespace imawatch::appraise
