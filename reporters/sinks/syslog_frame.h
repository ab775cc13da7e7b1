// RFC 5424 syslog messages and their octet-counting framing over a stream (RFC 6587 §3.4.1,
// also RFC 5425 for TLS): "LEN SP MSG", LEN the decimal byte count of MSG.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"

namespace imawatch::sinks {

struct SyslogHeader {
  int facility = 16;    // 0-23
  int severity = 5;     // 0-7
  int64_t time_ms = 0;  // Unix milliseconds, written in UTC with a Z
  std::string hostname, app_name, msgid;
  std::string procid;  // empty: NILVALUE
};

// "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG". Header fields are printable ASCII
// without spaces (others become '_'), cut to RFC 5424's lengths; MSG is UTF-8 with a BOM.
std::string RenderSyslog(const SyslogHeader& header, std::string_view msg);
std::string FrameOctetCounted(std::string_view message);

// Takes the complete frames off the front of a stream buffer; what is left is an incomplete
// frame. An error (a malformed length) means the stream is out of sync.
Result<std::vector<std::string>> TakeFrames(std::string& buffer, size_t max_frame = 1 << 20);

struct ParsedSyslog {
  int facility = 0, severity = 0;
  std::string timestamp, hostname, app_name, procid, msgid, structured_data;
  std::string msg;  // without the BOM
};
// Parses what RenderSyslog writes (and RFC 5424 messages with "-" structured data).
Result<ParsedSyslog> ParseSyslog(std::string_view message);

}  // namespace imawatch::sinks
