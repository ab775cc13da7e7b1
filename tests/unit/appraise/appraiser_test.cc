#include "monitor/appraise/appraiser.h"

#include <gtest/gtest.h>

#include "monitor/appraise/native_format.h"
#include "tests/unit/appraise/test_util.h"

namespace imawatch::appraise {
namespace {

using testing::DigestOf;

std::shared_ptr<const AllowList> List(const std::string& text) {
  auto list = ParseNative(text, "list");
  EXPECT_TRUE(list.ok()) << list.error().ToString();
  return std::make_shared<const AllowList>(std::move(*list));
}

std::string Hex(uint8_t fill, size_t bytes = 32) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    out += digits[fill >> 4];
    out += digits[fill & 15];
  }
  return out;
}

class AppraiserTest : public ::testing::Test {
 protected:
  std::shared_ptr<const AllowList> golden =
      List("sha256:" + Hex(1) + "  /usr/bin/kubelet  tags=cis-k8s:4.2.1\n" +  //
           "sha256:" + Hex(2) + "  /usr/bin/kubectl\n" +                      //
           "sha1:" + Hex(3, 20) + "  /usr/bin/old\n" +                        //
           "@exclude glob /var/log/**\n"                                      //
           "@keyring sha256:" +
           Hex(4) + "  .ima\n" +  //
           "@ignored-keyring .builtin_trusted_keys\n");
  std::shared_ptr<const AllowList> extra = List("sha256:" + Hex(5) + "  /opt/agent\n@exclude regex ^/tmp/\n");
  Appraiser appraiser{{golden, extra}, nullptr};

  Appraisal Judge(std::string_view path, const ima::Digest& digest, bool violation = false,
                  NameKind kind = NameKind::kFile) {
    return appraiser.Appraise({.path = path, .file_digest = digest, .violation = violation, .kind = kind});
  }
};

TEST_F(AppraiserTest, DigestAllowedForItsPath) {
  Appraisal a = Judge("/usr/bin/kubelet", DigestOf(1));
  EXPECT_EQ(a.verdict, Verdict::kAllowed);
  EXPECT_EQ(a.allowed_by, AllowedBy::kDigest);
  EXPECT_EQ(a.list, golden.get());
  EXPECT_EQ(a.tags().ToVector(), (std::vector<std::string_view>{"cis-k8s:4.2.1"}));
  EXPECT_EQ(Judge("/opt/agent", DigestOf(5)).verdict, Verdict::kAllowed);
}

TEST_F(AppraiserTest, KnownPathWithAnotherDigestIsChanged) {
  Appraisal a = Judge("/usr/bin/kubelet", DigestOf(9));
  EXPECT_EQ(a.verdict, Verdict::kChanged);
  EXPECT_EQ(a.tags().ToVector(), (std::vector<std::string_view>{"cis-k8s:4.2.1"}));
  // A digest allowed only elsewhere does not make it allowed here.
  EXPECT_EQ(Judge("/usr/bin/kubelet", DigestOf(2)).verdict, Verdict::kChanged);
}

TEST_F(AppraiserTest, UnknownPathsAndAlgorithmsTheListCannotJudge) {
  EXPECT_EQ(Judge("/usr/bin/nc", DigestOf(9)).verdict, Verdict::kUnknown);
  EXPECT_EQ(Judge("/usr/bin/nc", DigestOf(1)).verdict, Verdict::kUnknown);
  // Known only by its sha1: a sha256 measurement can be neither matched nor called changed.
  EXPECT_EQ(Judge("/usr/bin/old", DigestOf(3)).verdict, Verdict::kUnknown);
  EXPECT_EQ(Judge("/usr/bin/old", DigestOf(3, ima::HashAlgo::kSha1)).verdict, Verdict::kAllowed);
  EXPECT_EQ(Judge("/usr/bin/old", DigestOf(7, ima::HashAlgo::kSha1)).verdict, Verdict::kChanged);
}

TEST_F(AppraiserTest, ExcludesFromAnyListAndIgnoredKeyrings) {
  EXPECT_EQ(Judge("/var/log/syslog", DigestOf(9)).verdict, Verdict::kExcluded);
  EXPECT_EQ(Judge("/tmp/x", DigestOf(9)).verdict, Verdict::kExcluded);
  EXPECT_EQ(Judge(".builtin_trusted_keys", DigestOf(9), false, NameKind::kKeyring).verdict,
            Verdict::kExcluded);
  EXPECT_EQ(Judge(".ima", DigestOf(4), false, NameKind::kKeyring).verdict, Verdict::kAllowed);
  EXPECT_EQ(Judge(".ima", DigestOf(8), false, NameKind::kKeyring).verdict, Verdict::kChanged);
  // A file named like the keyring is another name.
  EXPECT_EQ(Judge(".ima", DigestOf(4)).verdict, Verdict::kUnknown);
}

TEST_F(AppraiserTest, ViolationsComeFirst) {
  Appraisal a = Judge("/usr/bin/kubelet", ima::Digest::Zero(ima::HashAlgo::kSha256), true);
  EXPECT_EQ(a.verdict, Verdict::kViolation);
  EXPECT_EQ(a.tags().size(), 1u);  // still tells which recommendation the file belongs to
}

TEST_F(AppraiserTest, PathMatchCanBeRelaxed) {
  Appraiser relaxed({golden}, nullptr, {.require_path_match = false});
  Appraisal a =
      relaxed.Appraise({.path = "/var/lib/containers/x/usr/bin/kubelet", .file_digest = DigestOf(1)});
  EXPECT_EQ(a.verdict, Verdict::kAllowed);
}

TEST_F(AppraiserTest, SignatureWithoutTrustedKeysFallsBackToTheList) {
  std::vector<uint8_t> sig = {3, 2, 4, 1, 2, 3, 4, 0, 1, 0};
  Appraisal a =
      appraiser.Appraise({.path = "/usr/bin/kubelet", .file_digest = DigestOf(1), .ima_signature = sig});
  EXPECT_EQ(a.verdict, Verdict::kAllowed);
  EXPECT_EQ(a.allowed_by, AllowedBy::kDigest);
  auto keys = std::make_shared<const TrustedKeys>();
  Appraiser with_keys({golden}, keys);
  a = with_keys.Appraise({.path = "/usr/bin/nc", .file_digest = DigestOf(1), .ima_signature = sig});
  EXPECT_EQ(a.verdict, Verdict::kUnknown);
  EXPECT_EQ(a.signature.status, SignatureStatus::kUnknownKey);
}

}  // namespace
}  // namespace imawatch::appraise
