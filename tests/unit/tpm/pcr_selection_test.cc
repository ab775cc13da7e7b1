#include "monitor/tpm/pcr_selection.h"

#include <gtest/gtest.h>

#include "monitor/tpm/tss_convert.h"

namespace imawatch::tpm {
namespace {

using ima::HashAlgo;

TEST(PcrSelection, ParsesIndexesWithRangesSortedAndUnique) {
  auto indexes = ParsePcrIndexes("10, 0-3,2,23");
  ASSERT_TRUE(indexes.ok()) << indexes.error().ToString();
  EXPECT_EQ(*indexes, (std::vector<uint32_t>{0, 1, 2, 3, 10, 23}));
  EXPECT_EQ(ParsePcrIndexes("all")->size(), 24u);
}

TEST(PcrSelection, RejectsBadIndexesWithColumn) {
  for (std::string_view bad : {"", "24", "0-24", "5-3", "x", "1,,2", "-1", "1-"}) {
    auto r = ParsePcrIndexes(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidInput);
    EXPECT_TRUE(r.error().where().column.has_value());
  }
  EXPECT_EQ(ParsePcrIndexes("1,2,99").error().where().column, 5u);
}

TEST(PcrSelection, ParsesBanks) {
  auto banks = ParseBanks("sha256,sha1");
  ASSERT_TRUE(banks.ok());
  EXPECT_EQ(*banks, (std::vector<HashAlgo>{HashAlgo::kSha256, HashAlgo::kSha1}));
  EXPECT_FALSE(ParseBanks("sha256,sha256").ok());
  EXPECT_FALSE(ParseBanks("md5").ok());  // no TPM bank
  EXPECT_FALSE(ParseBanks("sha3").ok());
}

TEST(PcrSelection, ParsesTpm2ToolsSyntaxAndPrintsItBack) {
  auto s = ParsePcrSelection("sha256:0-7,10+sha1:10");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  ASSERT_EQ(s->banks.size(), 2u);
  EXPECT_EQ(s->banks[0].bank, HashAlgo::kSha256);
  EXPECT_EQ(s->banks[0].indexes, (std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7, 10}));
  EXPECT_EQ(s->count(), 10u);
  EXPECT_EQ(s->ToString(), "sha256:0-7,10+sha1:10");
  EXPECT_EQ(ParsePcrSelection(s->ToString()).value(), *s);
  EXPECT_FALSE(ParsePcrSelection("sha256").ok());
  EXPECT_FALSE(ParsePcrSelection("sha256:1+sha256:2").ok());
  EXPECT_FALSE(ParsePcrSelection("sha256:1+").ok());
}

TEST(PcrSelection, OfEveryBankAndIndex) {
  std::array banks = {HashAlgo::kSha1, HashAlgo::kSha256, HashAlgo::kSha1};
  std::array<uint32_t, 3> indexes = {9, 0, 9};
  PcrSelection s = PcrSelection::Of(banks, indexes);
  EXPECT_EQ(s.ToString(), "sha1:0,9+sha256:0,9");
  EXPECT_TRUE(PcrSelection{}.empty());
}

TEST(PcrSelection, ConvertsToAndFromTpml) {
  auto s = ParsePcrSelection("sha1:0,23+sha512:8-15").value();
  auto tpml = ToTpml(s);
  ASSERT_TRUE(tpml.ok());
  EXPECT_EQ(tpml->count, 2u);
  EXPECT_EQ(tpml->pcrSelections[0].hash, TPM2_ALG_SHA1);
  EXPECT_EQ(tpml->pcrSelections[0].pcrSelect[0], 0x01);
  EXPECT_EQ(tpml->pcrSelections[0].pcrSelect[2], 0x80);
  EXPECT_EQ(tpml->pcrSelections[1].pcrSelect[1], 0xff);
  auto back = FromTpml(*tpml);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, s);

  TPML_PCR_SELECTION odd = *tpml;
  odd.pcrSelections[0].hash = 0x0027;  // SHA3-256: no imawatch bank
  EXPECT_FALSE(FromTpml(odd).ok());
  odd = *tpml;
  odd.pcrSelections[0].sizeofSelect = 4;
  odd.pcrSelections[0].pcrSelect[3] = 0x01;  // PCR 24
  EXPECT_FALSE(FromTpml(odd).ok());
}

}  // namespace
}  // namespace imawatch::tpm
