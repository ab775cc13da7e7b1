// The allow-list index as flat tables (doc/allowlist-format.md, "Binary form"). The same
// tables back an index built in memory and one mapped from a file: lookups have a single
// implementation and the binary form is a dump of the tables.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "monitor/ima/hash_algo.h"

namespace imawatch::appraise {

static_assert(std::endian::native == std::endian::little,
              "the binary allow list is little-endian and used in place");

// What a name in the index is: a file path, a keyring (Keylime "keyrings": digests of keys
// IMA measured onto it) or an ima-buf event name (Keylime "ima-buf").
enum class NameKind : uint8_t { kFile = 0, kKeyring = 1, kImaBuf = 2 };
inline constexpr uint8_t kNameKindCount = 3;

namespace layout {

struct NameRecord {
  uint32_t text_offset;
  uint32_t text_size;
  uint32_t tagset;    // index into the tag-set table; 0 is the empty set
  uint8_t kind;       // NameKind
  uint8_t algo_mask;  // bit n: the name has a digest of algorithm code n
  uint16_t reserved;
};
static_assert(sizeof(NameRecord) == 16);

struct Range {  // a run of another table
  uint32_t first;
  uint32_t count;
};
static_assert(sizeof(Range) == 8);

struct TextRef {  // a string in the text table
  uint32_t offset;
  uint32_t size;
};
static_assert(sizeof(TextRef) == 8);

struct ExcludeRecord {
  uint32_t kind;  // PatternKind
  uint32_t text_offset;
  uint32_t text_size;
  uint32_t reserved;
};
static_assert(sizeof(ExcludeRecord) == 16);

// Algorithm codes of the binary form (stable, independent of ima::HashAlgo's order).
inline constexpr std::array<ima::HashAlgo, 7> kAlgoByCode = {
    ima::HashAlgo::kSha1,    ima::HashAlgo::kSha256, ima::HashAlgo::kSha384, ima::HashAlgo::kSha512,
    ima::HashAlgo::kSm3_256, ima::HashAlgo::kMd5,    ima::HashAlgo::kSha224};
inline constexpr size_t kAlgoCount = kAlgoByCode.size();

inline std::optional<uint8_t> AlgoCode(ima::HashAlgo algo) {
  for (size_t i = 0; i < kAlgoCount; ++i) {
    if (kAlgoByCode[i] == algo) return static_cast<uint8_t>(i);
  }
  return std::nullopt;
}

// Slot tables are open-addressing arrays of power-of-two size; a slot holds index + 1, 0 is
// empty; probing is linear from hash & (size - 1).
inline uint64_t HashName(std::string_view name) {  // FNV-1a, 64 bit
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// File digests are uniformly distributed already: their first 8 bytes are the hash.
inline uint64_t HashDigest(const uint8_t* digest, size_t size) {
  uint64_t h = 0;
  std::memcpy(&h, digest, size < 8 ? size : 8);
  return h;
}

}  // namespace layout
}  // namespace imawatch::appraise
