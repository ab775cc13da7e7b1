#include "monitor/http/http_request.h"

#include <algorithm>
#include <array>

namespace imawatch::http {
namespace {

using State = ParseOutcome::State;

// Longest method the parser knows ("OPTIONS"): a longer one is refused before its end arrives.
constexpr size_t kMaxMethodBytes = 7;
constexpr std::array<std::string_view, 7> kMethods = {"GET",    "HEAD",  "POST",   "PUT",
                                                      "DELETE", "PATCH", "OPTIONS"};

ParseOutcome Bad(int status, std::string error, size_t offset) {
  ParseOutcome o;
  o.state = State::kBad;
  o.status = status;
  o.error = std::move(error);
  o.error_offset = offset;
  return o;
}

ParseOutcome NeedMore(size_t needed = 0) {
  ParseOutcome o;
  o.needed = needed;
  return o;
}

bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// RFC 9110 5.6.2 token characters.
bool IsTchar(unsigned char c) {
  return IsDigit(c) || IsAlpha(c) ||
         (c != 0 && std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos);
}

// RFC 3986 characters of an origin- or absolute-form target: unreserved, sub-delims, ":@/?%".
bool IsTargetChar(unsigned char c) {
  return IsDigit(c) || IsAlpha(c) ||
         (c != 0 && std::string_view("-._~!$&'()*+,;=:@/?%").find(c) != std::string_view::npos);
}

// RFC 9110 5.5 field-vchar, SP and HTAB; obs-text (0x80-0xff) is kept as opaque bytes.
bool IsFieldValueChar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

int HexValue(unsigned char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return Lower(x) == Lower(y); });
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Finds the CR of the CRLF that ends the line starting at `from`. Lines end with CRLF only: a
// bare LF or CR is refused (RFC 9112 2.2 allows either choice; refusing keeps this server's
// idea of where a line ends the same as that of any proxy in front of it).
enum class LineEnd { kFound, kIncomplete, kBad };
LineEnd FindLineEnd(std::string_view in, size_t from, size_t& cr, ParseOutcome& error) {
  size_t i = in.find_first_of("\r\n", from);
  if (i == std::string_view::npos) return LineEnd::kIncomplete;
  if (in[i] == '\n') {
    error = Bad(400, "bare LF: lines must end with CRLF", i);
    return LineEnd::kBad;
  }
  if (i + 1 == in.size()) return LineEnd::kIncomplete;
  if (in[i + 1] != '\n') {
    error = Bad(400, "bare CR in request", i);
    return LineEnd::kBad;
  }
  cr = i;
  return LineEnd::kFound;
}

// Checks the request line `line`, found at `base` in the input. While the line is still
// arriving (`complete` false) only what is there is checked, so junk (a TLS hello on the plain
// port) and overlong targets are refused before the header size limit is reached.
std::optional<ParseOutcome> ParseRequestLine(std::string_view line, size_t base, bool complete,
                                             const Limits& limits, Request& out, size_t& target_offset) {
  if (line.empty() && !complete) return std::nullopt;
  size_t i = 0;
  while (i < line.size() && line[i] != ' ') {
    if (!IsTchar(static_cast<unsigned char>(line[i])))
      return Bad(400, "invalid character in method", base + i);
    if (++i > kMaxMethodBytes) return Bad(501, "method not implemented", base);
  }
  if (i == 0) return Bad(400, "request line does not start with a method", base);
  if (i == line.size()) {
    if (complete) return Bad(400, "request line has no request-target", base + i);
    return std::nullopt;
  }
  std::string_view method = line.substr(0, i);
  if (std::find(kMethods.begin(), kMethods.end(), method) == kMethods.end()) {
    return Bad(501, "method not implemented", base);
  }
  size_t target = ++i;
  while (i < line.size() && line[i] != ' ') {
    if (!IsTargetChar(static_cast<unsigned char>(line[i]))) {
      return Bad(400, "invalid character in request-target", base + i);
    }
    if (++i - target > limits.max_target_bytes) {
      return Bad(414, "request-target longer than " + std::to_string(limits.max_target_bytes) + " bytes",
                 base + target + limits.max_target_bytes);
    }
  }
  if (i == line.size() && !complete) return std::nullopt;
  if (i == target) return Bad(400, "empty request-target", base + i);
  if (i == line.size()) return Bad(400, "request line has no HTTP version", base + i);
  std::string_view version = line.substr(i + 1);
  size_t v = base + i + 1;
  constexpr std::string_view kPattern = "HTTP/1.1";  // digits at 5 and 7 may be any digit
  for (size_t j = 0; j < version.size() && j < kPattern.size(); ++j) {
    unsigned char c = static_cast<unsigned char>(version[j]);
    bool ok = (j == 5 || j == 7) ? IsDigit(c) : c == static_cast<unsigned char>(kPattern[j]);
    if (!ok) return Bad(400, "malformed HTTP version", v + j);
  }
  if (version.size() > kPattern.size()) return Bad(400, "malformed HTTP version", v + kPattern.size());
  if (!complete) return std::nullopt;
  if (version.size() < kPattern.size()) return Bad(400, "malformed HTTP version", v + version.size());
  if (version[5] != '1') return Bad(505, "HTTP version not supported", v);
  out.method = method;
  out.target = line.substr(target, i - target);
  out.version = version[7] == '0' ? "HTTP/1.0" : "HTTP/1.1";
  target_offset = base + target;
  return std::nullopt;
}

// Appends the percent-decoded `s` (found at `base`) to `out`. %00 is refused: decoded names
// reach C APIs and logs.
std::optional<ParseOutcome> PercentDecode(std::string_view s, size_t base, bool plus_is_space,
                                          std::string& out) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      int hi = i + 1 < s.size() ? HexValue(static_cast<unsigned char>(s[i + 1])) : -1;
      int lo = i + 2 < s.size() ? HexValue(static_cast<unsigned char>(s[i + 2])) : -1;
      if (hi < 0 || lo < 0) return Bad(400, "invalid percent-encoding", base + i);
      if (hi == 0 && lo == 0) return Bad(400, "%00 in request-target", base + i);
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(plus_is_space && s[i] == '+' ? ' ' : s[i]);
    }
  }
  return std::nullopt;
}

std::optional<ParseOutcome> DecodeTarget(size_t base, Request& out) {
  std::string_view target = out.target;
  if (target == "*") {
    if (out.method != "OPTIONS") return Bad(400, "'*' is a target for OPTIONS only", base);
    out.path = "*";
    return std::nullopt;
  }
  size_t path_at = 0;
  if (target.front() != '/') {
    // absolute-form (RFC 9112 3.2.2): servers must accept it; the authority is ignored.
    size_t scheme_end = target.find("://");
    std::string_view scheme = target.substr(0, scheme_end);
    if (scheme_end == std::string_view::npos ||
        !(EqualsIgnoreCase(scheme, "http") || EqualsIgnoreCase(scheme, "https"))) {
      return Bad(400, "request-target must start with '/'", base);
    }
    path_at = target.find_first_of("/?", scheme_end + 3);
    if (path_at == std::string_view::npos) path_at = target.size();
  }
  size_t query_at = std::min(target.find('?', path_at), target.size());
  std::string_view raw_path = target.substr(path_at, query_at - path_at);
  if (raw_path.empty()) out.path = "/";
  if (auto e = PercentDecode(raw_path, base + path_at, false, out.path)) return e;
  if (query_at == target.size()) return std::nullopt;
  for (size_t at = query_at + 1; at <= target.size();) {
    size_t end = std::min(target.find('&', at), target.size());
    std::string_view pair = target.substr(at, end - at);
    if (!pair.empty()) {
      size_t eq = std::min(pair.find('='), pair.size());
      auto& [name, value] = out.query.emplace_back();
      if (auto e = PercentDecode(pair.substr(0, eq), base + at, true, name)) return e;
      if (eq < pair.size()) {
        if (auto e = PercentDecode(pair.substr(eq + 1), base + at + eq + 1, true, value)) return e;
      }
    }
    at = end + 1;
  }
  return std::nullopt;
}

// Parses a Content-Length value: one length, or a list of identical ones (RFC 9110 8.6).
std::optional<uint64_t> ParseContentLength(std::string_view value) {
  constexpr size_t kMaxDigits = 18;  // fits uint64_t without overflow checks
  std::optional<uint64_t> length;
  for (;;) {
    size_t comma = std::min(value.find(','), value.size());
    std::string_view item = TrimOws(value.substr(0, comma));
    if (item.empty() || item.size() > kMaxDigits) return std::nullopt;
    uint64_t n = 0;
    for (char c : item) {
      if (!IsDigit(static_cast<unsigned char>(c))) return std::nullopt;
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    if (length && *length != n) return std::nullopt;
    length = n;
    if (comma == value.size()) return length;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

std::optional<std::string_view> Request::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::Query(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

ParseOutcome ParseRequest(std::string_view in, const Limits& limits, Request& out) {
  out = Request{};
  auto too_large = [&] {
    return Bad(431,
               "request header section larger than " + std::to_string(limits.max_header_bytes) + " bytes",
               limits.max_header_bytes);
  };
  ParseOutcome error;
  size_t pos = 0, cr = 0;
  // RFC 9112 2.2: empty lines before the request line are ignored.
  while (in.substr(pos, 2) == "\r\n") pos += 2;

  size_t target_offset = 0;
  switch (FindLineEnd(in, pos, cr, error)) {
    case LineEnd::kBad:
      return error;
    case LineEnd::kIncomplete: {
      std::string_view partial = in.substr(pos);
      if (!partial.empty() && partial.back() == '\r') partial.remove_suffix(1);  // a CRLF on its way
      if (auto e = ParseRequestLine(partial, pos, false, limits, out, target_offset)) return *e;
      if (in.size() > limits.max_header_bytes) return too_large();
      return NeedMore();
    }
    case LineEnd::kFound:
      if (auto e = ParseRequestLine(in.substr(pos, cr - pos), pos, true, limits, out, target_offset))
        return *e;
      break;
  }
  pos = cr + 2;

  std::vector<size_t> offsets;  // of each header line, for errors found after the last one
  for (;;) {
    switch (FindLineEnd(in, pos, cr, error)) {
      case LineEnd::kBad:
        return error;
      case LineEnd::kIncomplete:
        if (in.size() > limits.max_header_bytes) return too_large();
        return NeedMore();
      case LineEnd::kFound:
        break;
    }
    if (cr + 2 > limits.max_header_bytes) return too_large();
    std::string_view line = in.substr(pos, cr - pos);
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      return Bad(400,
                 offsets.empty() ? "whitespace before the first header field"
                                 : "obsolete line folding (obs-fold) is not accepted",
                 pos);
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Bad(400, "header field without ':'", pos);
    if (colon == 0) return Bad(400, "empty header field name", pos);
    for (size_t j = 0; j < colon; ++j) {
      unsigned char c = static_cast<unsigned char>(line[j]);
      if (c == ' ' || c == '\t') return Bad(400, "whitespace before ':' in header field", pos + j);
      if (!IsTchar(c)) return Bad(400, "invalid character in header field name", pos + j);
    }
    std::string_view value = TrimOws(line.substr(colon + 1));
    size_t value_at = static_cast<size_t>(value.data() - in.data());
    for (size_t j = 0; j < value.size(); ++j) {
      if (!IsFieldValueChar(static_cast<unsigned char>(value[j]))) {
        return Bad(400, "invalid character in header field value", value_at + j);
      }
    }
    if (out.headers.size() == limits.max_headers) {
      return Bad(431, "more than " + std::to_string(limits.max_headers) + " header fields", pos);
    }
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), Lower);
    out.headers.emplace_back(std::move(name), value);
    offsets.push_back(pos);
    pos = cr + 2;
  }
  size_t header_end = cr + 2;

  size_t hosts = 0;
  std::optional<uint64_t> length;
  std::optional<size_t> length_at, transfer_encoding_at;
  for (size_t i = 0; i < out.headers.size(); ++i) {
    const auto& [name, value] = out.headers[i];
    if (name == "host" && ++hosts > 1) return Bad(400, "more than one Host header field", offsets[i]);
    if (name == "transfer-encoding" && !transfer_encoding_at) transfer_encoding_at = offsets[i];
    if (name == "content-length") {
      auto n = ParseContentLength(value);
      if (!n) return Bad(400, "invalid Content-Length", offsets[i]);
      if (length && *length != *n) return Bad(400, "conflicting Content-Length values", offsets[i]);
      length = n;
      length_at = offsets[i];
    }
  }
  if (out.version == "HTTP/1.1" && hosts == 0) return Bad(400, "HTTP/1.1 request without Host", header_end);
  // Framing that two parsers could read differently is refused (RFC 9112 6.1, 6.3).
  if (transfer_encoding_at) {
    if (out.version == "HTTP/1.0")
      return Bad(400, "Transfer-Encoding in an HTTP/1.0 request", *transfer_encoding_at);
    if (length) return Bad(400, "both Transfer-Encoding and Content-Length", *transfer_encoding_at);
    return Bad(501, "Transfer-Encoding is not supported: send Content-Length", *transfer_encoding_at);
  }
  if (!length && (out.method == "POST" || out.method == "PUT" || out.method == "PATCH")) {
    return Bad(411, "Content-Length required", header_end);
  }
  uint64_t body_bytes = length.value_or(0);
  if (body_bytes > limits.max_body_bytes) {
    return Bad(413, "body larger than " + std::to_string(limits.max_body_bytes) + " bytes", *length_at);
  }
  if (auto e = DecodeTarget(target_offset, out)) return *e;

  size_t total = header_end + static_cast<size_t>(body_bytes);
  if (in.size() < total) return NeedMore(total);
  out.body = in.substr(header_end, static_cast<size_t>(body_bytes));
  ParseOutcome done;
  done.state = State::kComplete;
  done.consumed = total;
  return done;
}

}  // namespace imawatch::http
