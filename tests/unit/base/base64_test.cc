#include "monitor/base/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace imawatch {
namespace {

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(ToBase64(Bytes(plain)), encoded);
    auto decoded = FromBase64(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, Bytes(plain));
  }
}

TEST(Base64Test, RoundTripsEveryByteValue) {
  std::vector<uint8_t> all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<uint8_t>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    std::span<const uint8_t> part(all.data(), n);
    auto back = FromBase64(ToBase64(part));
    ASSERT_TRUE(back.has_value());
    EXPECT_TRUE(std::equal(back->begin(), back->end(), part.begin(), part.end()));
  }
}

TEST(Base64Test, RejectsNonCanonicalTextWithTheOffset) {
  size_t at = 99;
  EXPECT_FALSE(FromBase64("Zm9", &at));  // not a multiple of 4
  EXPECT_EQ(at, 3u);
  EXPECT_FALSE(FromBase64("Zm9v Zg=", &at));
  EXPECT_EQ(at, 4u);
  EXPECT_FALSE(FromBase64("Zh==", &at));  // non-zero padding bits
  EXPECT_EQ(at, 1u);
  EXPECT_FALSE(FromBase64("Zm9=", &at));
  EXPECT_EQ(at, 2u);
  EXPECT_FALSE(FromBase64("Zg=a", &at));
  EXPECT_EQ(at, 2u);
  EXPECT_FALSE(FromBase64("Z===", &at));
  EXPECT_FALSE(FromBase64("Zg==Zg==", &at));  // padding only at the end
  EXPECT_EQ(at, 2u);
  EXPECT_FALSE(FromBase64("Zm9v\n"));
}

}  // namespace
}  // namespace imawatch
