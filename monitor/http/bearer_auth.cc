#include "monitor/http/bearer_auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>

namespace imawatch::http {
namespace {

std::array<unsigned char, SHA256_DIGEST_LENGTH> Sha256(std::string_view s) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest.data());
  return digest;
}

Response Unauthorized(std::string_view challenge, std::string_view message) {
  Response r = JsonError(401, message);
  r.headers.emplace_back("WWW-Authenticate", challenge);
  return r;
}

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Comparing digests makes the comparison itself independent of the lengths: no early exit
  // when they differ, and equal digests of equal-length inputs mean equal inputs.
  auto da = Sha256(a), db = Sha256(b);
  int differ = CRYPTO_memcmp(da.data(), db.data(), da.size());
  return (static_cast<int>(differ == 0) & static_cast<int>(a.size() == b.size())) != 0;
}

std::optional<Response> RequireBearer(const Request& r, std::string_view token) {
  constexpr std::string_view kChallenge = "Bearer realm=\"imawatch\"";
  const std::string* field = nullptr;
  for (const auto& [name, value] : r.headers) {
    if (name != "authorization") continue;
    if (field) return Unauthorized(kChallenge, "more than one Authorization header field");
    field = &value;
  }
  if (!field) return Unauthorized(kChallenge, "bearer token required");
  std::string_view credentials = *field;
  constexpr std::string_view kScheme = "bearer";
  bool bearer = credentials.size() > kScheme.size() && credentials[kScheme.size()] == ' ';
  for (size_t i = 0; bearer && i < kScheme.size(); ++i) {
    bearer = (credentials[i] | 0x20) == kScheme[i];  // the scheme is case-insensitive
  }
  if (!bearer) return Unauthorized(kChallenge, "bearer token required");
  credentials.remove_prefix(kScheme.size());
  while (!credentials.empty() && credentials.front() == ' ') credentials.remove_prefix(1);
  if (token.empty() || !ConstantTimeEquals(credentials, token)) {
    return Unauthorized("Bearer realm=\"imawatch\", error=\"invalid_token\"", "invalid bearer token");
  }
  return std::nullopt;
}

}  // namespace imawatch::http
