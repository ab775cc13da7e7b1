#include "monitor/http/http_response.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

namespace imawatch::http {
namespace {

TEST(Serialize, WritesStatusFramingAndBody) {
  Response r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = "imawatch_up 1\n";
  r.headers.emplace_back("Cache-Control", "no-store");
  std::string bytes = Serialize(r, false, true);
  EXPECT_TRUE(bytes.starts_with("HTTP/1.1 200 OK\r\nDate: ")) << bytes;
  EXPECT_TRUE(std::regex_search(bytes, std::regex("\r\nDate: [A-Z][a-z]{2}, \\d\\d [A-Z][a-z]{2} \\d{4} "
                                                  "\\d\\d:\\d\\d:\\d\\d GMT\r\n")))
      << bytes;
  EXPECT_NE(bytes.find("\r\nContent-Type: text/plain; version=0.0.4\r\n"), std::string::npos);
  EXPECT_NE(bytes.find("\r\nContent-Length: 14\r\n"), std::string::npos);
  EXPECT_NE(bytes.find("\r\nConnection: keep-alive\r\n"), std::string::npos);
  EXPECT_NE(bytes.find("\r\nCache-Control: no-store\r\n"), std::string::npos);
  EXPECT_TRUE(bytes.ends_with("\r\n\r\nimawatch_up 1\n"));
  EXPECT_NE(Serialize(r, false, false).find("\r\nConnection: close\r\n"), std::string::npos);
}

TEST(Serialize, HeadKeepsTheLengthButNotTheBody) {
  Response r;
  r.body = "{}";
  std::string bytes = Serialize(r, true, true);
  EXPECT_NE(bytes.find("\r\nContent-Length: 2\r\n"), std::string::npos);
  EXPECT_TRUE(bytes.ends_with("\r\n\r\n"));
}

TEST(Serialize, NoContentHasNoBodyAndNoLength) {
  Response r;
  r.status = 204;
  r.body = "ignored";
  std::string bytes = Serialize(r, false, true);
  EXPECT_TRUE(bytes.starts_with("HTTP/1.1 204 No Content\r\n"));
  EXPECT_EQ(bytes.find("Content-Length"), std::string::npos);
  EXPECT_EQ(bytes.find("Content-Type"), std::string::npos);
  EXPECT_TRUE(bytes.ends_with("\r\n\r\n"));
}

TEST(Serialize, HandlersCannotBreakTheFraming) {
  Response r;
  r.body = "x";
  r.headers = {{"Content-Length", "99"},
               {"transfer-encoding", "chunked"},
               {"Connection", "upgrade"},
               {"Bad Name", "v"},
               {"", "v"},
               {"X-Split", "a\r\nSet-Cookie: evil=1"}};
  std::string bytes = Serialize(r, false, false);
  EXPECT_EQ(bytes.find("99"), std::string::npos);
  EXPECT_EQ(bytes.find("chunked"), std::string::npos);
  EXPECT_EQ(bytes.find("upgrade"), std::string::npos);
  EXPECT_EQ(bytes.find("Bad Name"), std::string::npos);
  EXPECT_NE(bytes.find("\r\nX-Split: a  Set-Cookie: evil=1\r\n"), std::string::npos) << bytes;
  EXPECT_EQ(bytes.find("\r\nSet-Cookie"), std::string::npos);
  r.status = 42;
  EXPECT_TRUE(Serialize(r, false, false).starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
}

TEST(JsonError, IsAJsonObjectWithTheMessage) {
  Response r = JsonError(404, "no report \"cis\"");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(r.body), (nlohmann::json{{"error", "no report \"cis\""}}));
  EXPECT_TRUE(Serialize(r, false, true).starts_with("HTTP/1.1 404 Not Found\r\n"));
  // Bytes that are not UTF-8 (a file name from the log) are escaped, not a throw.
  EXPECT_EQ(nlohmann::json::parse(JsonError(400, "bad \xff").body)["error"], "bad \\xff");
}

}  // namespace
}  // namespace imawatch::http
