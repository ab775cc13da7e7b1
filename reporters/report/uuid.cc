#include "reporters/report/uuid.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace imawatch::report {
namespace {

using Bytes = std::array<unsigned char, 16>;

std::string Format(const Bytes& b) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 0xf];
  }
  return out;
}

Bytes Parse(std::string_view uuid) {
  Bytes b{};
  size_t n = 0;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < uuid.size(); ++i) {
    if (uuid[i] == '-') continue;
    const int hi = nibble(uuid[i]);
    const int lo = i + 1 < uuid.size() ? nibble(uuid[i + 1]) : -1;
    if (hi < 0 || lo < 0 || n >= b.size()) throw std::invalid_argument("bad UUID");
    b[n++] = static_cast<unsigned char>(hi << 4 | lo);
    ++i;
  }
  if (n != b.size()) throw std::invalid_argument("bad UUID");
  return b;
}

void SetVersion(Bytes& b, int version) {
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | (version << 4));
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC variant
}

}  // namespace

const std::string_view kImawatchUuidNamespace = "393a524e-5534-5c6f-bbea-2b0349f79a00";

std::string UuidV5(std::string_view namespace_uuid, std::string_view name) {
  const Bytes ns = Parse(namespace_uuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, ns.data(), ns.size()) == 1 &&
                  EVP_DigestUpdate(ctx, name.data(), name.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest, &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok || len < 16) throw std::runtime_error("SHA-1 failed");
  Bytes b;
  std::copy(digest, digest + 16, b.begin());
  SetVersion(b, 5);
  return Format(b);
}

std::string UuidV4() {
  Bytes b;
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  SetVersion(b, 4);
  return Format(b);
}

}  // namespace imawatch::report
