#include "monitor/http/http_request.h"

#include <gtest/gtest.h>

#include <string>

namespace imawatch::http {
namespace {

using State = ParseOutcome::State;

ParseOutcome Parse(std::string_view bytes, Request& out, const Limits& limits = {}) {
  return ParseRequest(bytes, limits, out);
}

TEST(ParseRequest, ReadsAGetWithQueryAndHeaders) {
  std::string bytes =
      "GET /v1/reports/cis?format=json&x=1 HTTP/1.1\r\n"
      "Host: node-1:9464\r\n"
      "User-Agent:  curl/7.88  \r\n"
      "X-Empty:\r\n"
      "\r\n";
  Request r;
  ParseOutcome o = Parse(bytes, r);
  ASSERT_EQ(o.state, State::kComplete) << o.error;
  EXPECT_EQ(o.consumed, bytes.size());
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/v1/reports/cis?format=json&x=1");
  EXPECT_EQ(r.version, "HTTP/1.1");
  EXPECT_EQ(r.path, "/v1/reports/cis");
  EXPECT_EQ(r.Query("format"), "json");
  EXPECT_EQ(r.Query("x"), "1");
  EXPECT_FALSE(r.Query("y"));
  ASSERT_EQ(r.headers.size(), 3u);
  EXPECT_EQ(r.headers[0].first, "host");
  EXPECT_EQ(r.Header("user-agent"), "curl/7.88");  // surrounding whitespace is not part of the value
  EXPECT_EQ(r.Header("x-empty"), "");
  EXPECT_FALSE(r.Header("User-Agent"));  // names are looked up lower-cased
  EXPECT_TRUE(r.body.empty());
}

TEST(ParseRequest, EveryPrefixNeedsMore) {
  std::string bytes = "POST /v1/policies HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
  for (size_t n = 0; n < bytes.size(); ++n) {
    Request r;
    ParseOutcome o = Parse(bytes.substr(0, n), r);
    EXPECT_EQ(o.state, State::kNeedMore) << n << ": " << o.error;
  }
  Request r;
  ParseOutcome o = Parse(bytes, r);
  ASSERT_EQ(o.state, State::kComplete);
  EXPECT_EQ(r.body, "hello");
  // Once the header section is in, the parser says how much the whole request needs.
  EXPECT_EQ(Parse(bytes.substr(0, bytes.size() - 2), r).needed, bytes.size());
}

TEST(ParseRequest, StopsAtTheEndOfAPipelinedRequest) {
  std::string first = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string second = "HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string bytes = first + second + "GET /c";
  Request r;
  ParseOutcome o = Parse(bytes, r);
  ASSERT_EQ(o.state, State::kComplete);
  EXPECT_EQ(o.consumed, first.size());
  EXPECT_EQ(r.path, "/a");
  o = Parse(std::string_view(bytes).substr(first.size()), r);
  ASSERT_EQ(o.state, State::kComplete);
  EXPECT_EQ(o.consumed, second.size());
  EXPECT_EQ(r.method, "HEAD");
  EXPECT_EQ(Parse(std::string_view(bytes).substr(first.size() + second.size()), r).state, State::kNeedMore);
}

TEST(ParseRequest, AcceptsWhatRfc9112Allows) {
  Request r;
  // HTTP/1.0 needs no Host.
  EXPECT_EQ(Parse("GET / HTTP/1.0\r\n\r\n", r).state, State::kComplete);
  EXPECT_EQ(r.version, "HTTP/1.0");
  // A later 1.x minor version is served as 1.1.
  EXPECT_EQ(Parse("GET / HTTP/1.7\r\nHost: x\r\n\r\n", r).state, State::kComplete);
  EXPECT_EQ(r.version, "HTTP/1.1");
  // Empty lines before the request line are ignored, and count as consumed.
  ParseOutcome o = Parse("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", r);
  EXPECT_EQ(o.state, State::kComplete);
  EXPECT_EQ(o.consumed, 31u);
  EXPECT_EQ(Parse("\r\n\r", r).state, State::kNeedMore);
  // absolute-form: the authority is ignored.
  EXPECT_EQ(Parse("GET http://node:9464/metrics?x=1 HTTP/1.1\r\nHost: node\r\n\r\n", r).state,
            State::kComplete);
  EXPECT_EQ(r.path, "/metrics");
  EXPECT_EQ(r.Query("x"), "1");
  EXPECT_EQ(Parse("GET HTTPS://node HTTP/1.1\r\nHost: node\r\n\r\n", r).state, State::kComplete);
  EXPECT_EQ(r.path, "/");
  EXPECT_EQ(Parse("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", r).state, State::kComplete);
  EXPECT_EQ(r.path, "*");
  // Repeated identical Content-Length values, as a list or as fields.
  EXPECT_EQ(
      Parse("PUT /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok", r).state,
      State::kComplete);
  EXPECT_EQ(r.body, "ok");
  // obs-text in a value is kept as bytes.
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nHost: x\r\nX-Name: caf\xc3\xa9\r\n\r\n", r).state, State::kComplete);
  EXPECT_EQ(r.Header("x-name"), "caf\xc3\xa9");
}

TEST(ParseRequest, DecodesPercentEncoding) {
  Request r;
  ASSERT_EQ(Parse("GET /v1/a%20b%2fc+d?format=json&x=a+b%26c&flag&&=v HTTP/1.1\r\nHost: x\r\n\r\n", r).state,
            State::kComplete);
  EXPECT_EQ(r.path, "/v1/a b/c+d");  // '+' is a space only in the query
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(r.query, (Pairs{{"format", "json"}, {"x", "a b&c"}, {"flag", ""}, {"", "v"}}));
  EXPECT_EQ(r.Query("flag"), "");
}

struct Malformed {
  std::string bytes;
  int status;
  uint64_t offset;
  std::string error;  // a part of the message
};

std::string WithHost(std::string_view request_line, std::string_view more = "") {
  return std::string(request_line) + "\r\nHost: x\r\n" + std::string(more) + "\r\n";
}

TEST(ParseRequest, RefusesEachMalformedClassWithStatusAndOffset) {
  const std::string kLine = "GET / HTTP/1.1\r\n";  // 16 bytes: headers start at offset 16
  std::vector<Malformed> cases = {
      {"\x16\x03\x01\x02\x00", 400, 0, "invalid character in method"},  // a TLS hello, refused at once
      {" GET / HTTP/1.1\r\n", 400, 0, "does not start with a method"},
      {"G@T / HTTP/1.1\r\n", 400, 1, "invalid character in method"},
      {WithHost("BREW / HTTP/1.1"), 501, 0, "method not implemented"},
      {"PROPFINDX", 501, 0, "method not implemented"},
      {"GET\r\n\r\n", 400, 3, "no request-target"},
      {"GET  / HTTP/1.1\r\n", 400, 4, "empty request-target"},
      {"GET /\r\n\r\n", 400, 5, "no HTTP version"},
      {"GET /a\x01 HTTP/1.1\r\n", 400, 6, "invalid character in request-target"},
      {"GET /a#frag HTTP/1.1\r\n", 400, 6, "invalid character in request-target"},
      {"GET /\xc3\xa9 HTTP/1.1\r\n", 400, 5, "invalid character in request-target"},
      {"GET /a b HTTP/1.1\r\n", 400, 7, "malformed HTTP version"},
      {"GET / http/1.1\r\n", 400, 6, "malformed HTTP version"},
      {"GET / HTTP/1.1x\r\n", 400, 14, "malformed HTTP version"},
      {"GET / HTTP/1\r\n\r\n", 400, 12, "malformed HTTP version"},
      {WithHost("GET / HTTP/2.0"), 505, 6, "version not supported"},
      {WithHost("GET / HTTP/0.9"), 505, 6, "version not supported"},
      {"GET / HTTP/1.1\nHost: x\n\n", 400, 14, "bare LF"},
      {"\nGET / HTTP/1.1\r\n", 400, 0, "bare LF"},
      {kLine + "Host: x\rY: z\r\n\r\n", 400, 23, "bare CR"},
      {kLine + " Host: x\r\n\r\n", 400, 16, "whitespace before the first header field"},
      {kLine + "Host: x\r\nX: a\r\n  b\r\n\r\n", 400, 31, "obs-fold"},
      {kLine + "Host x\r\n\r\n", 400, 16, "without ':'"},
      {kLine + ": x\r\nHost: x\r\n\r\n", 400, 16, "empty header field name"},
      {kLine + "Host : x\r\n\r\n", 400, 20, "whitespace before ':'"},
      {kLine + "Ho(st: x\r\n\r\n", 400, 18, "invalid character in header field name"},
      {kLine + std::string("Host: a\0b\r\n\r\n", 13), 400, 23, "invalid character in header field value"},
      {kLine + "Host: a\x7f\r\n\r\n", 400, 23, "invalid character in header field value"},
      {kLine + "\r\n", 400, 18, "without Host"},
      {kLine + "Host: x\r\nHost: y\r\n\r\n", 400, 25, "more than one Host"},
      {WithHost("GET / HTTP/1.1", "Content-Length: 5\r\nContent-Length: 6\r\n"), 400, 44, "conflicting"},
      {WithHost("GET / HTTP/1.1", "Content-Length: 5, 6\r\n"), 400, 25, "invalid Content-Length"},
      {WithHost("GET / HTTP/1.1", "Content-Length: -1\r\n"), 400, 25, "invalid Content-Length"},
      {WithHost("GET / HTTP/1.1", "Content-Length: 0x10\r\n"), 400, 25, "invalid Content-Length"},
      {WithHost("GET / HTTP/1.1", "Content-Length: 1 2\r\n"), 400, 25, "invalid Content-Length"},
      {WithHost("GET / HTTP/1.1", "Content-Length: \r\n"), 400, 25, "invalid Content-Length"},
      {WithHost("GET / HTTP/1.1", "Content-Length: 99999999999999999999\r\n"), 400, 25,
       "invalid Content-Length"},
      {WithHost("POST / HTTP/1.1", "Transfer-Encoding: chunked\r\n"), 501, 26,
       "Transfer-Encoding is not supported"},
      {WithHost("POST / HTTP/1.1", "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"), 400, 45,
       "both Transfer-Encoding and Content-Length"},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, 17, "HTTP/1.0"},
      {WithHost("POST /v1/policies HTTP/1.1"), 411, 39, "Content-Length required"},
      {WithHost("PUT / HTTP/1.1", "Content-Length: 65537\r\n"), 413, 25, "body larger than 65536"},
      {WithHost("GET /a%zz HTTP/1.1"), 400, 6, "invalid percent-encoding"},
      {WithHost("GET /a%4 HTTP/1.1"), 400, 6, "invalid percent-encoding"},
      {WithHost("GET /a% HTTP/1.1"), 400, 6, "invalid percent-encoding"},
      {WithHost("GET /a%00b HTTP/1.1"), 400, 6, "%00"},
      {WithHost("GET /a?q=%G1 HTTP/1.1"), 400, 9, "invalid percent-encoding"},
      {WithHost("GET /a?%zz=1 HTTP/1.1"), 400, 7, "invalid percent-encoding"},
      {WithHost("GET * HTTP/1.1"), 400, 4, "OPTIONS only"},
      {WithHost("GET example.com:80 HTTP/1.1"), 400, 4, "must start with '/'"},
      {WithHost("GET ftp://x/y HTTP/1.1"), 400, 4, "must start with '/'"},
  };
  for (const auto& c : cases) {
    Request r;
    ParseOutcome o = Parse(c.bytes, r);
    SCOPED_TRACE(testing::Message() << "input: " << testing::PrintToString(c.bytes));
    ASSERT_EQ(o.state, State::kBad) << o.error;
    EXPECT_EQ(o.status, c.status) << o.error;
    EXPECT_EQ(o.error_offset, c.offset) << o.error;
    EXPECT_NE(o.error.find(c.error), std::string::npos) << o.error;
  }
}

TEST(ParseRequest, EnforcesLimits) {
  Limits limits;
  limits.max_header_bytes = 256;
  limits.max_headers = 3;
  limits.max_body_bytes = 10;
  limits.max_target_bytes = 32;
  Request r;

  // The target limit applies while the line is still arriving.
  std::string target = "GET /" + std::string(40, 'a');
  ParseOutcome o = Parse(target, r, limits);
  EXPECT_EQ(o.state, State::kBad);
  EXPECT_EQ(o.status, 414);
  EXPECT_EQ(o.error_offset, 4u + 32u);
  EXPECT_EQ(Parse("GET /" + std::string(31, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", r, limits).state,
            State::kComplete);

  // A header section too large is refused whether or not its end has arrived.
  std::string big = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(300, 'b');
  o = Parse(big, r, limits);
  EXPECT_EQ(o.status, 431);
  EXPECT_EQ(o.error_offset, 256u);
  o = Parse(big + "\r\n\r\n", r, limits);
  EXPECT_EQ(o.status, 431);
  std::string exact = "GET / HTTP/1.1\r\nHost: x\r\nX: ";
  exact += std::string(256 - exact.size() - 4, 'c') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 256u);
  EXPECT_EQ(Parse(exact, r, limits).state, State::kComplete);
  EXPECT_EQ(Parse("\r\n" + exact, r, limits).status, 431);  // leading empty lines count
  // A version that runs on is refused before its line ends.
  EXPECT_EQ(Parse("GET /" + std::string(20, 'a') + " HTTP/1.1" + std::string(300, 'x'), r, limits).status,
            400);

  o = Parse("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", r, limits);
  EXPECT_EQ(o.status, 431);
  EXPECT_EQ(o.error_offset, 37u);
  EXPECT_NE(o.error.find("more than 3 header fields"), std::string::npos);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n", r, limits).state, State::kComplete);

  o = Parse("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", r, limits);
  EXPECT_EQ(o.status, 413);  // refused before the body is sent
  EXPECT_EQ(Parse("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789", r, limits).state,
            State::kComplete);
}

}  // namespace
}  // namespace imawatch::http
