// A response from a handler, and its bytes on the wire.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imawatch::http {

struct Response {
  int status = 200;
  std::string content_type = "application/json";  // empty: no Content-Type
  // Extra fields. The server owns the framing: Content-Length, Transfer-Encoding and
  // Connection given here are dropped, as are fields whose name is not a token; control
  // characters in values become spaces, so a handler cannot split the response.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// {"error": "<message>"} with the given status.
Response JsonError(int status, std::string_view message);

// The response's bytes: status line, Date, Content-Type, Content-Length (the body's length
// even when head_only leaves the body out), Connection, the extra fields, then the body.
// 1xx, 204 and 304 responses carry neither body nor Content-Length. A status outside
// 100-599 (a handler's bug) is sent as 500.
std::string Serialize(const Response& r, bool head_only, bool keep_alive);

}  // namespace imawatch::http
