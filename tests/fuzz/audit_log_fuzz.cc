// Fuzzes the audit.log reader (header checks + auparse): any bytes get events or an Error
// with a line, never a crash; reading on after an error (as the tail does) always advances.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "monitor/audit/audit_log_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imawatch::audit;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto events = ParseAuditLog(text, "fuzz");
  if (!events.ok() && !events.error().where().line) std::abort();
  uint32_t line = 1;
  while (!text.empty()) {
    AuditParse parse = ParseAuditLines(text, "fuzz", line);
    if (parse.consumed == 0 || parse.consumed > text.size()) std::abort();
    if (parse.error && parse.error->where().line < line) std::abort();
    for (const ImaAuditEvent& e : parse.events) {
      if (AuditType(e.kind) < kFirstImaAuditType || AuditType(e.kind) > kLastImaAuditType) std::abort();
      (void)e.is_finding();
      if (e.Explanation().empty() || e.FindingKey().empty()) std::abort();
    }
    text.remove_prefix(parse.consumed);
    line += parse.lines;
  }
  return 0;
}
