#include "monitor/base/hex.h"

#include <gtest/gtest.h>

namespace imawatch {
namespace {

TEST(Hex, RoundTripsAndRejectsBadInput) {
  std::vector<uint8_t> bytes = {0x00, 0x9f, 0xff, 0x10};
  EXPECT_EQ(ToHex(bytes), "009fff10");
  EXPECT_EQ(FromHex("009FfF10"), bytes);
  EXPECT_FALSE(FromHex("abc").has_value());
  EXPECT_FALSE(FromHex("zz").has_value());
  uint8_t two[2];
  EXPECT_FALSE(FromHexInto("aabbcc", two));
  EXPECT_TRUE(FromHexInto("aabb", two));
  EXPECT_EQ(two[1], 0xbb);
}

}  // namespace
}  // namespace imawatch
