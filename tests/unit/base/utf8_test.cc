#include "monitor/base/utf8.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace imawatch {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("/usr/bin/kubelet"));
  EXPECT_TRUE(IsValidUtf8("/home/J\xc3\xbcrgen/\xe2\x82\xac/\xf0\x9f\x94\x92"));
  EXPECT_EQ(Utf8OrEscaped("/tmp/caf\xc3\xa9\\x41"), "/tmp/caf\xc3\xa9\\x41");  // valid: unchanged
}

TEST(Utf8, RejectsWhatJsonCannotCarry) {
  for (std::string_view bad : {"\x80", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                               "\xf5\x80\x80\x80", "\xff", "a\xe2\x82"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << nlohmann::json(std::vector<uint8_t>(bad.begin(), bad.end())).dump();
  }
}

TEST(Utf8, EscapesOnlyInvalidBytesAndBackslashes) {
  EXPECT_EQ(Utf8OrEscaped("/tmp/caf\xe9\\x/\xc3\xa9"), "/tmp/caf\\xe9\\\\x/\xc3\xa9");
  // Whatever the bytes, the result is valid UTF-8 that JSON can dump.
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  std::string escaped = Utf8OrEscaped(all);
  EXPECT_TRUE(IsValidUtf8(escaped));
  EXPECT_NO_THROW((void)nlohmann::json(escaped).dump());
}

}  // namespace
}  // namespace imawatch
