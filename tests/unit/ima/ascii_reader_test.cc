#include "monitor/ima/ascii_reader.h"

#include <gtest/gtest.h>

namespace imawatch::ima {
namespace {

Error ExpectError(const std::string& text, uint32_t line, uint32_t column, const std::string& words) {
  auto r = AsciiToBinary(text, "pasted");
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return InvalidInput("parsed");
  EXPECT_EQ(r.error().where().line, line) << r.error().ToString();
  EXPECT_EQ(r.error().where().column, column) << r.error().ToString();
  EXPECT_NE(r.error().message().find(words), std::string::npos) << r.error().ToString();
  return r.error();
}

const std::string kGood =
    "10 87cf931ea287c9976a60cdc709d9b9037303bf45 ima-ng "
    "sha256:680beec0d47b382d0b1ca22e5c1133c10caa9ef7514500ff55aa6b234c562c98 boot_aggregate\n";

TEST(AsciiReader, ConvertsALineAndAcceptsCrLfAndBlankLines) {
  auto r = AsciiToBinary("\n" + kGood.substr(0, kGood.size() - 1) + "\r\n  \n", "pasted");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->entries, 1u);
  EXPECT_EQ(r->template_digest_size, 20u);
}

TEST(AsciiReader, MalformedLinesNameLineAndColumn) {
  ExpectError(kGood + "xx 87cf ima-ng sha256:00 a\n", 2, 1, "PCR index");
  ExpectError(kGood + "10 87cg931ea287c9976a60cdc709d9b9037303bf45 ima-ng sha256:00 a\n", 2, 4,
              "template digest");
  ExpectError("10 87cf931ea287c9976a60cdc709d9b9037303bf45 ima-zz sha256:00 a\n", 1, 45, "unknown template");
  ExpectError("10 87cf931ea287c9976a60cdc709d9b9037303bf45 ima-ng sha256:0g a\n", 1, 59, "not hex");
  ExpectError("10 87cf931ea287c9976a60cdc709d9b9037303bf45 ima-ng 00ff a\n", 1, 52, "lacks '<algo>:'");
  ExpectError("10 87cf931ea287c9976a60cdc709d9b9037303bf45 ima-ng sha256:00 a extra\n", 1, 64,
              "line has more");
  ExpectError("10 87cf931ea287c9976a60cdc709d9b9037303bf45\n", 1, 1, "expected");
  ExpectError(kGood + "10 " + std::string(64, 'a') + " ima-ng sha256:00 a\n", 2, 4, "differs");
  const std::string evm =
      "10 87cf931ea287c9976a60cdc709d9b9037303bf45 evm-sig sha256:00 /f  security.ima 00 00 99999999999 0 "
      "1\n";
  ExpectError(evm, 1, static_cast<uint32_t>(evm.find("999")) + 1, "32-bit number");
}

TEST(AsciiReader, LooksLikeAscii) {
  EXPECT_TRUE(LooksLikeAsciiList(std::vector<uint8_t>{'1', '0'}));
  EXPECT_TRUE(LooksLikeAsciiList(std::vector<uint8_t>{' ', '9'}));
  EXPECT_FALSE(LooksLikeAsciiList(std::vector<uint8_t>{10, 0, 0, 0}));
}

}  // namespace
}  // namespace imawatch::ima
