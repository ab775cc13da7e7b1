#include "reporters/sinks/syslog_frame.h"

#include <gtest/gtest.h>

namespace imawatch::sinks {
namespace {

TEST(SyslogFrame, Rfc5424HeaderAndOctetCounting) {
  const std::string msg = RenderSyslog({.facility = 16,
                                        .severity = 4,
                                        .time_ms = 1700000000123,
                                        .hostname = "node 1",
                                        .app_name = "imawatch",
                                        .msgid = "finding"},
                                       "h\xC3\xA9llo\nworld");
  EXPECT_EQ(msg,
            "<132>1 2023-11-14T22:13:20.123Z node_1 imawatch - finding - \xEF\xBB\xBFh\xC3\xA9llo\nworld");
  const std::string frame = FrameOctetCounted(msg);
  EXPECT_EQ(frame, std::to_string(msg.size()) + " " + msg);  // bytes, not characters

  auto parsed = ParseSyslog(msg);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->facility, 16);
  EXPECT_EQ(parsed->severity, 4);
  EXPECT_EQ(parsed->timestamp, "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(parsed->hostname, "node_1");
  EXPECT_EQ(parsed->procid, "-");
  EXPECT_EQ(parsed->msgid, "finding");
  EXPECT_EQ(parsed->msg, "h\xC3\xA9llo\nworld");
}

TEST(SyslogFrame, TakesWholeFramesAcrossReads) {
  const std::string a = FrameOctetCounted("first message"), b = FrameOctetCounted("second\n 12 tricky");
  std::string stream = a + b;
  std::string buffer;
  std::vector<std::string> got;
  for (char c : stream) {  // one byte at a time: every split point
    buffer += c;
    auto frames = TakeFrames(buffer);
    ASSERT_TRUE(frames.ok()) << frames.error().ToString();
    got.insert(got.end(), frames->begin(), frames->end());
  }
  EXPECT_EQ(got, (std::vector<std::string>{"first message", "second\n 12 tricky"}));
  EXPECT_TRUE(buffer.empty());
}

TEST(SyslogFrame, BadLengthsAreErrors) {
  for (std::string bad : {"x12 abc", "012 abc", " 1 a", "99999999999 a", "12345678901", "5 abcde2000000 x"}) {
    std::string buffer = bad;
    auto frames = TakeFrames(buffer, 1000);
    EXPECT_FALSE(frames.ok()) << bad;
  }
}

TEST(SyslogFrame, MalformedMessagesAreErrors) {
  for (const char* bad : {"", "132>1 x", "<999>1 a b c d e - m", "<13>2 a b c d e - m", "<13>1 a b c",
                          "<13>1 a b c d e [x] m"}) {
    EXPECT_FALSE(ParseSyslog(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace imawatch::sinks
