#include "monitor/ima/pcr_values.h"

#include <gtest/gtest.h>

namespace imawatch::ima {
namespace {

const std::string kSha1 = "9cc64b0cc889cbfadc2899928e9821adbf49f846";

TEST(PcrValues, ReadsEveryTextForm) {
  auto triple = ParsePcrValues("sha1:10:" + kSha1 + "\n", "t");
  ASSERT_TRUE(triple.ok());
  auto yaml =
      ParsePcrValues("sha1:\n  10 : 0x" + kSha1 + "\nsha256:\n  0 : 0x" + std::string(64, 'A') + "\n", "t");
  ASSERT_TRUE(yaml.ok()) << yaml.error().ToString();
  EXPECT_EQ(yaml->Banks().size(), 2u);
  EXPECT_EQ(*yaml->Get(HashAlgo::kSha1, 10), *triple->Get(HashAlgo::kSha1, 10));
  auto tss = ParsePcrValues("pcrread: tsspcrread -halg sha1\n10: " + kSha1 + "\n", "t");
  ASSERT_TRUE(tss.ok());
  EXPECT_EQ(*tss->Get(HashAlgo::kSha1, 10), *triple->Get(HashAlgo::kSha1, 10));
  std::string spaced;
  for (size_t i = 0; i < kSha1.size(); i += 2) spaced += " " + kSha1.substr(i, 2);
  auto evmctl = ParsePcrValues("PCR-10:" + spaced + "\n PCR 11: " + std::string(64, '0') + "\n", "t");
  ASSERT_TRUE(evmctl.ok()) << evmctl.error().ToString();
  EXPECT_EQ(*evmctl->Get(HashAlgo::kSha1, 10), *triple->Get(HashAlgo::kSha1, 10));
  EXPECT_NE(evmctl->Get(HashAlgo::kSha256, 11), nullptr);  // bank from the value's size
}

TEST(PcrValues, ErrorsNameLineAndColumn) {
  auto bad = ParsePcrValues("sha1:10:" + kSha1 + "\nsha1:24:" + kSha1 + "\n", "pcrs.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().ToString().substr(0, 13), "pcrs.txt:2:1:");
  auto size = ParsePcrValues("sha256:10:" + kSha1 + "\n", "p");
  ASSERT_FALSE(size.ok());
  EXPECT_NE(size.error().message().find("expected 32"), std::string::npos);
  auto hex = ParsePcrValues("  10: zz\n", "p");
  ASSERT_FALSE(hex.ok());
  EXPECT_EQ(hex.error().where().column, 7u);
  EXPECT_FALSE(ParsePcrValues("# nothing\n", "p").ok());
  EXPECT_FALSE(ParsePcrValues("10: " + std::string(30, 'a') + "\n", "p").ok());  // 15 bytes: no bank
}

}  // namespace
}  // namespace imawatch::ima
