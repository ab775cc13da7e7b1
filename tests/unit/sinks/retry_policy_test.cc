#include "reporters/sinks/retry_policy.h"

#include <gtest/gtest.h>

namespace imawatch::sinks {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesUpToTheCapWithJitterInTheUpperHalf) {
  const BackoffOptions o{.initial = milliseconds(100), .max = milliseconds(1000)};
  EXPECT_EQ(BackoffDelay(o, 1, 0.0), milliseconds(50));
  EXPECT_EQ(BackoffDelay(o, 1, 0.999999), milliseconds(99));
  EXPECT_EQ(BackoffDelay(o, 2, 0.0), milliseconds(100));
  EXPECT_EQ(BackoffDelay(o, 3, 0.0), milliseconds(200));
  EXPECT_EQ(BackoffDelay(o, 4, 0.5), milliseconds(600));
  EXPECT_EQ(BackoffDelay(o, 5, 0.0), milliseconds(500));  // 1600 capped to 1000
  EXPECT_EQ(BackoffDelay(o, 1000000, 0.0), milliseconds(500));
  EXPECT_LE(BackoffDelay(o, 1000000, 1.0), milliseconds(1000));
}

TEST(RetryAfter, DelaySeconds) {
  EXPECT_EQ(ParseRetryAfter("120", 0), milliseconds(120000));
  EXPECT_EQ(ParseRetryAfter(" 0 ", 0), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("99999999999999999999999", 0), kMaxRetryAfter);
  EXPECT_EQ(ParseRetryAfter("86401", 0), kMaxRetryAfter);
  for (const char* bad : {"", "-1", "1.5", "12s", "0x10", "1 2"})
    EXPECT_FALSE(ParseRetryAfter(bad, 0)) << bad;
}

TEST(RetryAfter, HttpDatesInAllThreeForms) {
  const int64_t date = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), date);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), date);
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), date);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", date - 30), milliseconds(30000));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", date + 30), milliseconds(0));  // past
  EXPECT_EQ(ParseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", date), kMaxRetryAfter);
  for (const char* bad :
       {"Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:49:37 GMT", "Funday, 06-Nov-94 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
        "Sun, 6 Nov 1994 08:49:37 GMT"}) {
    EXPECT_FALSE(ParseHttpDate(bad)) << bad;
    EXPECT_FALSE(ParseRetryAfter(bad, 0)) << bad;
  }
}

}  // namespace
}  // namespace imawatch::sinks
