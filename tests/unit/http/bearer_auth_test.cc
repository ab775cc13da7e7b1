#include "monitor/http/bearer_auth.h"

#include <gtest/gtest.h>

namespace imawatch::http {
namespace {

TEST(ConstantTimeEquals, ComparesContentsAndLengths) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("s3cret-token", "s3cret-token"));
  EXPECT_FALSE(ConstantTimeEquals("s3cret-token", "s3cret-tokeN"));
  EXPECT_FALSE(ConstantTimeEquals("s3cret-token", "s3cret-token2"));
  EXPECT_FALSE(ConstantTimeEquals("s3cret-token", "s3cret"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_TRUE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

Request WithAuthorization(std::vector<std::string> values) {
  Request r;
  r.method = "GET";
  r.path = "/v1/reports";
  for (auto& v : values) r.headers.emplace_back("authorization", std::move(v));
  return r;
}

void ExpectUnauthorized(const std::optional<Response>& r, std::string_view challenge) {
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 401);
  ASSERT_EQ(r->headers.size(), 1u);
  EXPECT_EQ(r->headers[0].first, "WWW-Authenticate");
  EXPECT_EQ(r->headers[0].second, challenge);
}

TEST(RequireBearer, AcceptsOnlyTheToken) {
  const std::string kToken = "0123456789abcdef";
  EXPECT_FALSE(RequireBearer(WithAuthorization({"Bearer 0123456789abcdef"}), kToken));
  EXPECT_FALSE(
      RequireBearer(WithAuthorization({"bearer   0123456789abcdef"}), kToken));  // scheme is case-insensitive

  constexpr std::string_view kAsk = "Bearer realm=\"imawatch\"";
  constexpr std::string_view kInvalid = "Bearer realm=\"imawatch\", error=\"invalid_token\"";
  ExpectUnauthorized(RequireBearer(WithAuthorization({}), kToken), kAsk);
  ExpectUnauthorized(RequireBearer(WithAuthorization({"Basic dXNlcjpwYXNz"}), kToken), kAsk);
  ExpectUnauthorized(RequireBearer(WithAuthorization({"Bearer"}), kToken), kAsk);
  ExpectUnauthorized(RequireBearer(WithAuthorization({"Bearer0123456789abcdef"}), kToken), kAsk);
  ExpectUnauthorized(RequireBearer(WithAuthorization({"Bearer 0123456789abcdeF"}), kToken), kInvalid);
  ExpectUnauthorized(RequireBearer(WithAuthorization({"Bearer 0123456789abcde"}), kToken), kInvalid);
  ExpectUnauthorized(RequireBearer(WithAuthorization({"Bearer 0123456789abcdef0"}), kToken), kInvalid);
  ExpectUnauthorized(RequireBearer(WithAuthorization({"Bearer "}), kToken), kInvalid);
  ExpectUnauthorized(
      RequireBearer(WithAuthorization({"Bearer 0123456789abcdef", "Bearer 0123456789abcdef"}), kToken), kAsk);
  // No configured token authorizes nobody, even an empty credential.
  ExpectUnauthorized(RequireBearer(WithAuthorization({"Bearer "}), ""), kInvalid);
}

}  // namespace
}  // namespace imawatch::http
