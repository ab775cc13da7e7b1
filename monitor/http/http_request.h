// An HTTP/1.1 (and 1.0) request as the server's handler sees it, and the incremental parser
// that builds it from the bytes of a connection. doc/http-api.md says what it accepts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imawatch::http {

struct Request {
  std::string method;   // "GET"
  std::string target;   // raw request-target "/v1/reports/cis?format=json"
  std::string version;  // "HTTP/1.1" or "HTTP/1.0" (a later 1.x is read as 1.1)
  std::string path;     // percent-decoded path "/v1/reports/cis"
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;

  // The first header or query parameter of that name.
  std::optional<std::string_view> Header(std::string_view lower_name) const;
  std::optional<std::string_view> Query(std::string_view name) const;
};

struct Limits {
  size_t max_header_bytes = 16384;  // request line and header fields, up to the empty line
  size_t max_headers = 64;
  size_t max_body_bytes = 65536;
  size_t max_target_bytes = 4096;
};

struct ParseOutcome {
  enum class State { kNeedMore, kComplete, kBad } state = State::kNeedMore;
  size_t consumed = 0;        // kComplete: bytes of this request; the rest belongs to the next one
  size_t needed = 0;          // kNeedMore: total bytes the request needs once known (the body is pending)
  int status = 0;             // kBad: 400, 411, 413, 414, 431, 501 or 505
  std::string error;          // kBad: what is wrong, for the client
  uint64_t error_offset = 0;  // kBad: byte offset in the input
};

// Parses the bytes of a connection received so far, starting at a request. Call again with
// more bytes after kNeedMore. `out` is overwritten.
ParseOutcome ParseRequest(std::string_view bytes, const Limits& limits, Request& out);

}  // namespace imawatch::http
