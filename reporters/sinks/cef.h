// ArcSight Common Event Format (CEF:0) for syslog receivers: the escaping its spec asks for,
// a finding event rendered as one CEF record, and the reverse parse (receivers, tests, fuzzing).
// Header fields escape `\` and `|`; extension values escape `\`, `=` and line breaks (`\n`,
// `\r`). doc/sinks.md.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"
#include "reporters/sinks/finding_event.h"

namespace imawatch::sinks {

// A header field: `\` -> `\\`, `|` -> `\|`; a line break, which a header cannot hold, -> space.
std::string EscapeCefHeader(std::string_view field);
// An extension value: `\` -> `\\`, `=` -> `\=`, LF -> `\n`, CR -> `\r`.
std::string EscapeCefExtensionValue(std::string_view value);

struct CefRecord {
  std::string version;  // "0"
  std::string vendor, product, product_version, signature_id, name, severity;
  std::map<std::string, std::string> extension;  // unescaped values
};

std::string RenderCef(const CefRecord& record);
// The inverse of RenderCef; an error names the byte offset.
Result<CefRecord> ParseCef(std::string_view text);

// The CEF record of a finding event (doc/sinks.md lists its fields).
CefRecord FindingCef(const FindingEvent& event, std::string_view product_version);

}  // namespace imawatch::sinks
