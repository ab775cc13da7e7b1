#include "monitor/appraise/native_format.h"

#include <gtest/gtest.h>

#include "monitor/appraise/digest_text.h"
#include "tests/unit/appraise/test_util.h"

namespace imawatch::appraise {
namespace {

const std::string kSha256A = std::string(64, 'a');
const std::string kSha1B = std::string(40, 'b');

Error ParseError(const std::string& text) {
  auto list = ParseNative(text, "list.txt");
  EXPECT_FALSE(list.ok()) << text;
  return list.ok() ? Error(ErrorKind::kInternal, "parsed") : list.error();
}

TEST(NativeFormat, ReadsEntriesTagsAndDirectives) {
  std::string text =
      "# golden image of node pool A\n"
      "\n"
      "sha256:" +
      kSha256A + "  /usr/bin/kubelet  tags=cis-k8s:4.2.1,cis-k8s:4.2.2\n" + kSha1B +
      " */usr/bin/containerd\n" + "   sm3:" + kSha256A + "\t/usr/bin/with\\x20space\\\\slash\r\n" +
      "@exclude glob /var/log/**\n"
      "@exclude regex ^/tmp/  \n"
      "@keyring sha256:" +
      kSha256A + "  .ima\n" + "@ima-buf sha256:" + kSha256A + "  dm_table_load\n" +
      "@name file /etc/kubernetes/kubelet.conf  tags=cis-k8s:4.1.1\n"
      "@ignored-keyring .builtin_trusted_keys\n"
      "@log-hash-alg sha256\n"
      "@keylime {\"meta\": {\"version\": 1}, \"release\": 3}\n";
  auto list = ParseNative(text, "list.txt");
  ASSERT_TRUE(list.ok()) << list.error().ToString();

  auto kubelet = list->FindName(NameKind::kFile, "/usr/bin/kubelet");
  ASSERT_TRUE(kubelet);
  EXPECT_EQ(list->Tags(*kubelet).ToVector(),
            (std::vector<std::string_view>{"cis-k8s:4.2.1", "cis-k8s:4.2.2"}));
  auto sha = ParseDigestText("sha256:" + kSha256A);
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(list->FindDigest(*sha).size(), 3u);  // kubelet, .ima, dm_table_load
  auto sha1 = ParseDigestText(kSha1B);
  EXPECT_EQ(list->Name(list->FindDigest(*sha1)[0]), "/usr/bin/containerd");
  auto sm3 = ParseDigestText("sm3:" + kSha256A);
  ASSERT_EQ(list->FindDigest(*sm3).size(), 1u);
  EXPECT_EQ(list->Name(list->FindDigest(*sm3)[0]), "/usr/bin/with space\\slash");
  EXPECT_TRUE(list->FindName(NameKind::kKeyring, ".ima"));
  EXPECT_TRUE(list->FindName(NameKind::kImaBuf, "dm_table_load"));
  auto conf = list->FindName(NameKind::kFile, "/etc/kubernetes/kubelet.conf");
  ASSERT_TRUE(conf);
  EXPECT_FALSE(list->HasAlgorithm(*conf, ima::HashAlgo::kSha256));
  EXPECT_TRUE(list->IsExcluded("/var/log/syslog"));
  EXPECT_TRUE(list->IsExcluded("/tmp/x"));
  EXPECT_FALSE(list->IsExcluded("/usr/bin/kubelet"));
  EXPECT_TRUE(list->IsIgnoredKeyring(".builtin_trusted_keys"));
  EXPECT_EQ(list->settings().log_hash_alg, "sha256");
  EXPECT_EQ(list->settings().keylime_extra, R"({"meta":{"version":1},"release":3})");
}

TEST(NativeFormat, ReadsPlainSha256sumOutput) {
  auto list = ParseNative(kSha256A + "  /usr/bin/ls\n" + kSha256A + " */usr/bin/cp\n", "sums");
  ASSERT_TRUE(list.ok()) << list.error().ToString();
  EXPECT_EQ(list->name_count(), 2u);
}

TEST(NativeFormat, WriteThenReadGivesTheSameList) {
  std::string text = "sha256:" + kSha256A + "  /b  tags=x,y\n" + "sha1:" + kSha1B + "  /a\n" +
                     "sha256:" + kSha256A + "  *lead\\x09tab\n" + "@exclude glob /run/**\n" +
                     "@keyring sha256:" + kSha256A + "  .ima tags=k\n" + "@name ima-buf quiet\n" +
                     "@ignored-keyring *\n";
  auto first = ParseNative(text, "in");
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  std::string written = WriteNative(*first);
  auto second = ParseNative(written, "out");
  ASSERT_TRUE(second.ok()) << second.error().ToString() << "\n" << written;
  EXPECT_EQ(WriteNative(*second), written);
  EXPECT_EQ(second->entry_count(), first->entry_count());
  EXPECT_EQ(second->name_count(), first->name_count());
  EXPECT_TRUE(second->FindName(NameKind::kFile, "lead\ttab"));
  EXPECT_TRUE(second->FindName(NameKind::kImaBuf, "quiet"));
  EXPECT_NE(written.find("sha256:" + kSha256A + "  /b  tags=x,y\n"), std::string::npos) << written;
}

TEST(NativeFormat, ErrorsNameLineAndColumn) {
  Error e = ParseError("sha256:" + kSha256A + "  /ok\nsha256:abc  /bad\n");
  EXPECT_EQ(e.where().line, 2u);
  EXPECT_EQ(e.where().column, 1u);
  EXPECT_NE(e.message().find("64 hex digits"), std::string::npos) << e.message();
  EXPECT_EQ(e.ToString().substr(0, 13), "list.txt:2:1:");

  e = ParseError("sha999:" + kSha256A + "  /x\n");
  EXPECT_NE(e.message().find("unknown hash algorithm"), std::string::npos);

  e = ParseError(std::string(63, 'a') + "g  /x\n");
  EXPECT_NE(e.message().find("not a hex digest"), std::string::npos) << e.message();
  e = ParseError(std::string(65, 'a') + "  /x\n");
  EXPECT_NE(e.message().find("no hash algorithm"), std::string::npos) << e.message();

  e = ParseError("sha256:" + kSha256A + "\n");
  EXPECT_NE(e.message().find("missing name"), std::string::npos);
  EXPECT_EQ(e.where().column, 72u);

  e = ParseError("sha256:" + kSha256A + "  /x  colour=blue\n");
  EXPECT_EQ(e.where().column, 78u);
  EXPECT_NE(e.message().find("unknown field"), std::string::npos);

  e = ParseError("sha256:" + kSha256A + "  /x  tags=a,,b\n");
  EXPECT_NE(e.message().find("empty tag"), std::string::npos);

  e = ParseError("sha256:" + kSha256A + "  /x\\q\n");
  EXPECT_EQ(e.where().column, 74u);
  EXPECT_NE(e.message().find("bad escape"), std::string::npos);

  e = ParseError("\n\n@exclude regex /a(b\n");
  EXPECT_EQ(e.where().line, 3u);
  EXPECT_EQ(e.where().column, 16u);
  EXPECT_NE(e.message().find("invalid regex"), std::string::npos);

  e = ParseError("@exclude shell /x\n");
  EXPECT_EQ(e.where().column, 10u);
  e = ParseError("@frobnicate x\n");
  EXPECT_NE(e.message().find("unknown directive"), std::string::npos);
  e = ParseError("@keylime [1,2]\n");
  EXPECT_NE(e.message().find("JSON object"), std::string::npos);
  e = ParseError("@log-hash-alg crc32\n");
  EXPECT_EQ(e.where().column, 15u);
  e = ParseError("@name socket /x\n");
  EXPECT_NE(e.message().find("file, keyring or ima-buf"), std::string::npos);
}

TEST(NativeFormat, EscapesRoundTrip) {
  std::string odd = std::string("/a b\\c\td\x01\x7f") + "\xc3\xa9";
  std::string escaped = EscapeName(odd);
  EXPECT_EQ(escaped.find(' '), std::string::npos);
  std::string back;
  ASSERT_TRUE(UnescapeName(escaped, back));
  EXPECT_EQ(back, odd);
  EXPECT_EQ(EscapeName("*star"), "\\x2astar");
  EXPECT_FALSE(UnescapeName("\\x4", back));
  EXPECT_FALSE(UnescapeName("\\", back));
}

}  // namespace
}  // namespace imawatch::appraise
