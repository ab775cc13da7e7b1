#include "monitor/daemon/duration.h"

#include <gtest/gtest.h>

namespace imawatch::daemon {
namespace {

using namespace std::chrono_literals;

TEST(Duration, Units) {
  EXPECT_EQ(ParseDuration("500ms"), 500ms);
  EXPECT_EQ(ParseDuration("1s"), 1s);
  EXPECT_EQ(ParseDuration("5m"), 5min);
  EXPECT_EQ(ParseDuration("2h"), 2h);
  EXPECT_EQ(ParseDuration("30d"), std::chrono::days(30));
  EXPECT_EQ(ParseDuration("0ms"), 0ms);
}

TEST(Duration, PlainNumberIsSeconds) {
  EXPECT_EQ(ParseDuration("90"), 90s);
  EXPECT_EQ(ParseDuration("0"), 0s);
  EXPECT_EQ(ParseDuration("007"), 7s);
}

TEST(Duration, RefusesEverythingElse) {
  for (const char* bad : {"", "fast", "ms", "-1s", "+1s", "1.5s", "1 s", " 1s", "1s ", "1S", "1sec", "1h30m",
                          "1w", "0x10", "1e3", "5mm"}) {
    EXPECT_FALSE(ParseDuration(bad)) << bad;
  }
}

TEST(Duration, RefusesOverflow) {
  EXPECT_EQ(ParseDuration("9223372036854775807ms"), std::chrono::milliseconds(9223372036854775807));
  EXPECT_FALSE(ParseDuration("9223372036854775808ms"));
  EXPECT_FALSE(ParseDuration("9223372036854775807s"));
  EXPECT_FALSE(ParseDuration("106751991167301d"));
  EXPECT_TRUE(ParseDuration("106751991167d"));
  EXPECT_FALSE(ParseDuration("99999999999999999999999999"));
}

}  // namespace
}  // namespace imawatch::daemon
