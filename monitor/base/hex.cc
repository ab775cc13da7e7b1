#include "monitor/base/hex.h"

namespace imawatch {
namespace {

constexpr char kDigits[] = "0123456789abcdef";

int NibbleValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void AppendHex(std::string& out, std::span<const uint8_t> bytes) {
  size_t at = out.size();
  out.resize(at + 2 * bytes.size());
  for (uint8_t b : bytes) {
    out[at++] = kDigits[b >> 4];
    out[at++] = kDigits[b & 0xf];
  }
}

std::string ToHex(std::span<const uint8_t> bytes) {
  std::string out;
  AppendHex(out, bytes);
  return out;
}

bool FromHexInto(std::string_view hex, std::span<uint8_t> dst) {
  if (hex.size() != 2 * dst.size()) return false;
  for (size_t i = 0; i < dst.size(); ++i) {
    int hi = NibbleValue(hex[2 * i]);
    int lo = NibbleValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    dst[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

std::optional<std::vector<uint8_t>> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::vector<uint8_t> out(hex.size() / 2);
  if (!FromHexInto(hex, out)) return std::nullopt;
  return out;
}

}  // namespace imawatch
