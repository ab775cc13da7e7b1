// Reads audit.log text (raw auditd lines, RAW or ENRICHED format, optionally with node=) and
// the kernel's own console form ("type=1804 audit(…): …") and keeps the IMA/EVM records
// (types 1800-1807). Fields are split by auparse; the record header is checked here first,
// so a malformed line is reported with its line and column instead of being skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/audit/ima_audit_event.h"
#include "monitor/base/result.h"

namespace imawatch::audit {

// The kernel's records are at most MAX_AUDIT_MESSAGE_LENGTH (8970) bytes; ENRICHED adds
// interpretations. Anything far longer is not an audit log.
inline constexpr size_t kMaxAuditLineBytes = 1 << 20;

// All IMA/EVM records of text, in line order; the first malformed line is an Error.
Result<std::vector<ImaAuditEvent>> ParseAuditLog(std::string_view text, std::string source_name);

// For readers that go on after a bad line (tails, the netlink listener).
struct AuditParse {
  std::vector<ImaAuditEvent> events;  // records before the malformed line
  std::optional<Error> error;         // the first malformed line
  size_t consumed = 0;                // bytes read: through the malformed line's newline, or all
  uint32_t lines = 0;                 // lines in those bytes
};
// Line numbers in errors count from first_line.
AuditParse ParseAuditLines(std::string_view text, const std::string& source_name, uint32_t first_line = 1);

}  // namespace imawatch::audit
