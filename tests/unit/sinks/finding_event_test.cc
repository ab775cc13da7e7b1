#include "reporters/sinks/finding_event.h"

#include <gtest/gtest.h>

namespace imawatch::sinks {
namespace {

constexpr const char* kOpen =
    R"({"event":"finding","state":"open","key":"drift:/usr/bin/x","subject":"/usr/bin/x","node":"n1","epoch":1,)"
    R"("time":1700000000,"sequence":1})";

TEST(FindingEvent, IdsAreDeterministicUuidV5) {
  auto a = ParseFindingEvent(kOpen), b = ParseFindingEvent(kOpen);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->EventId(), b->EventId());
  EXPECT_EQ(a->EventId().size(), 36u);
  EXPECT_EQ(a->EventId()[14], '5');                                          // version 5
  EXPECT_NE(std::string("89ab").find(a->EventId()[19]), std::string::npos);  // RFC 4122 variant
  FindingEvent later = *a;
  later.sequence = 2;
  later.state = "resolved";
  EXPECT_EQ(later.FindingId(), a->FindingId());  // one finding...
  EXPECT_NE(later.EventId(), a->EventId());      // ...two events
  FindingEvent other_node = *a;
  other_node.node = "n2";
  EXPECT_NE(other_node.FindingId(), a->FindingId());
  // The RFC 4122 appendix's example: "www.example.com" in the DNS namespace.
  EXPECT_EQ(
      UuidV5({0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8},
             "www.example.com"),
      "2ed6657d-e927-568b-95e1-2665a8aea6a2");
}

TEST(FindingEvent, WireJsonAddsTheIds) {
  auto e = ParseFindingEvent(kOpen);
  ASSERT_TRUE(e.ok());
  auto wire = nlohmann::json::parse(e->WireJson());
  EXPECT_EQ(wire["event_id"], e->EventId());
  EXPECT_EQ(wire["finding_id"], e->FindingId());
  EXPECT_EQ(wire["key"], "drift:/usr/bin/x");
}

TEST(FindingEvent, MalformedMessagesAreErrors) {
  for (const char* bad :
       {"", "[]", "{}", R"({"node":"n","key":"k","state":"open","epoch":1,"time":1})",
        R"({"node":"n","key":"k","state":"open","epoch":1,"time":1,"sequence":0})",
        R"({"node":1,"key":"k","state":"open","epoch":1,"time":1,"sequence":1})",
        R"({"node":"n","key":"k","state":"open","epoch":1,"time":1700033333333300000,"sequence":1})",
        R"({"node":"n","key":"k","state":"open","epoch":1,"time":-1,"sequence":1})"}) {
    EXPECT_FALSE(ParseFindingEvent(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace imawatch::sinks
