// The kernel's audit multicast, for real: the listener opens where the kernel lets it and
// otherwise says why in the errno's own words.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>

#include "monitor/audit/audit_source.h"

namespace imawatch::audit {
namespace {

TEST(AuditNetlink, OpensOrSaysWhyNot) {
  auto source = OpenAuditNetlink();
  if (!source.ok()) {
    const Error& e = source.error();
    std::string text = e.ToString();
    const bool no_permission = text.find(std::strerror(EPERM)) != std::string::npos;
    const bool no_protocol = text.find(std::strerror(EPROTONOSUPPORT)) != std::string::npos;
    EXPECT_TRUE(e.kind() == ErrorKind::kIo || e.kind() == ErrorKind::kUnsupported) << text;
    EXPECT_TRUE(text.find("NETLINK_AUDIT") != std::string::npos ||
                text.find("AUDIT_NLGRP_READLOG") != std::string::npos)
        << text;
    if (no_permission) {
      EXPECT_NE(text.find("CAP_AUDIT_READ"), std::string::npos) << text;
    }
    ASSERT_TRUE(no_permission || no_protocol) << "unexpected refusal: " << text;
    GTEST_SKIP() << "the kernel refuses the audit multicast here: " << text;
  }
  AuditSource& listener = **source;
  EXPECT_NE(listener.description().find("AUDIT_NLGRP_READLOG"), std::string::npos);
  // Non-blocking: with nothing queued (or only non-IMA records) Poll returns at once.
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    auto events = listener.Poll();
    ASSERT_TRUE(events.ok()) << events.error().ToString();
    for (const auto& e : *events) EXPECT_GE(AuditType(e.kind), kFirstImaAuditType);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace imawatch::audit
