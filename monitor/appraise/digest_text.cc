#include "monitor/appraise/digest_text.h"

#include <array>

#include "monitor/base/hex.h"

namespace imawatch::appraise {
namespace {

// Hex digit values, 0xff for anything else: parsing lists of millions of digests is mostly
// this loop.
constexpr std::array<uint8_t, 256> kHexValue = [] {
  std::array<uint8_t, 256> t{};
  t.fill(0xff);
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<uint8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<uint8_t>(c - 'A' + 10);
  return t;
}();

bool DecodeHex(std::string_view hex, uint8_t* out) {
  uint8_t bad = 0;
  for (size_t i = 0; i < hex.size() / 2; ++i) {
    uint8_t hi = kHexValue[static_cast<uint8_t>(hex[2 * i])];
    uint8_t lo = kHexValue[static_cast<uint8_t>(hex[2 * i + 1])];
    bad |= (hi | lo) & 0xf0;
    out[i] = static_cast<uint8_t>(hi << 4 | (lo & 0x0f));
  }
  return bad == 0;
}

}  // namespace

std::optional<ima::HashAlgo> AlgoFromDigestSize(size_t bytes) {
  switch (bytes) {
    case 20:
      return ima::HashAlgo::kSha1;
    case 28:
      return ima::HashAlgo::kSha224;
    case 32:
      return ima::HashAlgo::kSha256;
    case 48:
      return ima::HashAlgo::kSha384;
    case 64:
      return ima::HashAlgo::kSha512;
    case 16:
      return ima::HashAlgo::kMd5;
    default:
      return std::nullopt;
  }
}

Result<ima::Digest> ParseDigestText(std::string_view text) {
  std::optional<ima::HashAlgo> algo;
  size_t colon = text.find(':');
  if (colon != std::string_view::npos) {
    std::string_view name = text.substr(0, colon);
    algo = name == "sha256" ? ima::HashAlgo::kSha256
                            : ima::HashAlgoFromName(name);  // the common case, no allocation
    if (!algo) return InvalidInput("unknown hash algorithm '" + std::string(name) + "'");
    text.remove_prefix(colon + 1);
    if (text.size() != 2 * ima::DigestSize(*algo)) {
      return InvalidInput("a " + std::string(ima::Name(*algo)) + " digest has " +
                          std::to_string(2 * ima::DigestSize(*algo)) + " hex digits, not " +
                          std::to_string(text.size()));
    }
  } else {
    algo = text.size() % 2 == 0 ? AlgoFromDigestSize(text.size() / 2) : std::nullopt;
    if (!algo) {
      return InvalidInput("no hash algorithm has a digest of " + std::to_string(text.size()) + " hex digits");
    }
  }
  ima::Digest digest = ima::Digest::Zero(*algo);
  if (!DecodeHex(text, digest.bytes.data())) {
    return InvalidInput("'" + std::string(text.substr(0, 16)) + (text.size() > 16 ? "...'" : "'") +
                        " is not a hex digest");
  }
  return digest;
}

std::string FormatDigest(const ima::Digest& digest) {
  std::string out(ima::Name(digest.algo));
  out += ':';
  AppendHex(out, digest.view());
  return out;
}

std::string FormatDigestShort(const ima::Digest& digest) {
  if (AlgoFromDigestSize(digest.size) == digest.algo) return digest.hex();
  return FormatDigest(digest);
}

}  // namespace imawatch::appraise
