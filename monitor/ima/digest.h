// A digest as a fixed array: no allocation on the hot path.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "monitor/base/hex.h"
#include "monitor/ima/hash_algo.h"

namespace imawatch::ima {

struct Digest {
  HashAlgo algo = HashAlgo::kSha1;
  uint8_t size = 0;
  std::array<uint8_t, kMaxDigestSize> bytes{};

  Digest() = default;
  Digest(HashAlgo a, std::span<const uint8_t> b) : algo(a), size(static_cast<uint8_t>(b.size())) {
    std::copy(b.begin(), b.end(), bytes.begin());
  }
  static Digest Zero(HashAlgo a) { return Filled(a, 0x00); }
  static Digest Filled(HashAlgo a, uint8_t value) {
    Digest d;
    d.algo = a;
    d.size = static_cast<uint8_t>(DigestSize(a));
    std::fill_n(d.bytes.begin(), d.size, value);
    return d;
  }

  std::span<const uint8_t> view() const { return {bytes.data(), size}; }
  std::span<uint8_t> mutable_view() { return {bytes.data(), size}; }
  std::string hex() const { return ToHex(view()); }
  bool operator==(const Digest& o) const { return algo == o.algo && std::ranges::equal(view(), o.view()); }
};

}  // namespace imawatch::ima
