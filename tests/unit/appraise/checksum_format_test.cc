#include "monitor/appraise/checksum_format.h"

#include <gtest/gtest.h>

#include "monitor/appraise/digest_text.h"

namespace imawatch::appraise {
namespace {

// Real outputs of `sha256sum`/`sha1sum`/`sha512sum --tag` for files holding "hello\n".
const std::string kHello256 = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
const std::string kHello1 = "f572d396fae9206628714fb2ce00f72e94f2258f";
const std::string kHello512 =
    "e7c22b994c59d9cf2b48e549b1e24666636045930d3da7c1acb299d1c3b7f931f94aae41edda2c2b207a36e10f8bcb8d45223e54"
    "878f5b"
    "316e7ce3b6bc019629";

TEST(ChecksumFormat, ReadsGnuAndBsdLinesWithAlgorithmFromLength) {
  std::string text = kHello256 + "  ./usr/bin/hello\n" + kHello1 + " *usr/lib/hello.so\n" + "\\" + kHello256 +
                     "  /etc/odd\\\\name\\nline\n" + "SHA512 (/opt/with space) = " + kHello512 + "\n" +
                     kHello256 + "  /srv/two  spaces\n\n";
  auto list = ParseChecksums(text, "SHA256SUMS");
  ASSERT_TRUE(list.ok()) << list.error().ToString();
  EXPECT_TRUE(list->FindName(NameKind::kFile, "/usr/bin/hello"));
  EXPECT_TRUE(list->FindName(NameKind::kFile, "/usr/lib/hello.so"));
  EXPECT_TRUE(list->FindName(NameKind::kFile, "/etc/odd\\name\nline"));
  EXPECT_TRUE(list->FindName(NameKind::kFile, "/opt/with space"));
  EXPECT_TRUE(list->FindName(NameKind::kFile, "/srv/two  spaces"));
  EXPECT_EQ(list->FindDigest(*ParseDigestText(kHello256)).size(), 3u);
  EXPECT_EQ(list->FindDigest(*ParseDigestText(kHello1)).size(), 1u);
  EXPECT_EQ(list->FindDigest(*ParseDigestText("sha512:" + kHello512)).size(), 1u);
}

TEST(ChecksumFormat, ErrorsNameLineAndColumn) {
  auto bad = ParseChecksums(kHello256 + "  /ok\n" + kHello256 + " /one-space\n", "sums");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().where().line, 2u);
  EXPECT_EQ(bad.error().where().column, 65u);
  bad = ParseChecksums(std::string(50, 'a') + "  /x\n", "sums");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("50 hex digits"), std::string::npos);
  bad = ParseChecksums("SHA256 (/x) = 1234\n", "sums");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().where().column, 15u);
  bad = ParseChecksums("WHIRLPOOL (/x) = 1234\n", "sums");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("unknown hash algorithm"), std::string::npos);
  bad = ParseChecksums("\\" + kHello256 + "  /bad\\escape\n", "sums");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("bad escape"), std::string::npos);
}

}  // namespace
}  // namespace imawatch::appraise
