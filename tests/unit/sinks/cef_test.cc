#include "reporters/sinks/cef.h"

#include <gtest/gtest.h>

namespace imawatch::sinks {
namespace {

TEST(Cef, HeaderEscapesPipeAndBackslash) {
  EXPECT_EQ(EscapeCefHeader(R"(a|b\c=d)"), R"(a\|b\\c=d)");
  EXPECT_EQ(EscapeCefHeader("line\nbreak\r"), "line break ");
}

TEST(Cef, ExtensionEscapesBackslashEqualsAndLineBreaks) {
  EXPECT_EQ(EscapeCefExtensionValue("a=b\\c|d\ne\rf"), "a\\=b\\\\c|d\\ne\\rf");
}

TEST(Cef, RoundTripsHostileFields) {
  CefRecord r{.version = "0",
              .vendor = R"(ven|dor\)",
              .product = "p=q",
              .product_version = "1|2",
              .signature_id = "drift",
              .name = R"(open: /usr/bin/a|b\c=d)",
              .severity = "7"};
  r.extension = {{"filePath", "/tmp/x=y|z\\w\nnext line\r\nend"},
                 {"msg", "trailing space "},
                 {"cs1", " leading space and key=like text"},
                 {"cs2", "fake k=v pair inside"},
                 {"empty", ""},
                 {"cs3", "\\n is not a newline"}};
  const std::string text = RenderCef(r);
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  auto parsed = ParseCef(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString() << "\n" << text;
  EXPECT_EQ(parsed->vendor, r.vendor);
  EXPECT_EQ(parsed->product, r.product);
  EXPECT_EQ(parsed->product_version, r.product_version);
  EXPECT_EQ(parsed->name, r.name);
  EXPECT_EQ(parsed->extension, r.extension);
}

TEST(Cef, MalformedInputIsAnErrorWithOffset) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"LEEF:1|a", "expected \"CEF:\" at byte 0"},
      {"CEF:0|a|b", "the header ends after 2 of 7 fields at byte 9"},
      {"CEF:0|a\\x|b|c|d|e|f|", "a header may escape only \\ and | at byte 7"},
      {"CEF:0|a|b|c|d|e|f|k=v=w", "an unescaped = in a value at byte 21"},
      {"CEF:0|a|b|c|d|e|f|k=v\\", "a lone \\ at the end at byte 21"},
      {"CEF:0|a|b|c|d|e|f|k=\\t", "unknown escape \\t at byte 20"},
      {"CEF:0|a|b|c|d|e|f|=v", "expected key=value at byte 18"},
      {"CEF:0|a|b|c|d|e|f|k=1 k=2", "a key given twice at byte 22"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseCef(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.error().message(), std::string("CEF: ") + c.message) << c.text;
  }
}

TEST(Cef, FindingRecordCarriesTheIds) {
  auto event = ParseFindingEvent(
      R"({"event":"finding","state":"open","key":"drift:/usr/bin/a|b","subject":"/usr/bin/a|b","node":"n1",)"
      R"("epoch":3,"time":1700000000,"sequence":2,"detail":{"path":"/usr/bin/a|b"}})");
  ASSERT_TRUE(event.ok()) << event.error().ToString();
  CefRecord r = FindingCef(*event, "0.1.0");
  EXPECT_EQ(r.signature_id, "drift");
  EXPECT_EQ(r.extension["externalId"], event->EventId());
  EXPECT_EQ(r.extension["cs1"], event->FindingId());
  EXPECT_EQ(r.extension["filePath"], "/usr/bin/a|b");
  EXPECT_EQ(r.extension["rt"], "1700000000000");
  auto back = ParseCef(RenderCef(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->name, "drift finding open: /usr/bin/a|b");
}

}  // namespace
}  // namespace imawatch::sinks
