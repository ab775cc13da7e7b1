// Reads ascii_runtime_measurements (what users paste) by rebuilding the binary list the
// kernel would have exported for the same entries, so one parser and one replay serve both.
// Each line: "<pcr> <template-digest hex> <template> <field> <field> ...", fields rendered as
// in ascii_format.h. Errors name the line and column.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"

namespace imawatch::ima {

struct AsciiConversion {
  std::vector<uint8_t> binary;  // little-endian (canonical) binary list
  uint32_t template_digest_size = 20;
  uint64_t entries = 0;
};

Result<AsciiConversion> AsciiToBinary(std::string_view text, const std::string& source);

// True when the bytes start like an ascii list (a PCR number) rather than a binary one.
bool LooksLikeAsciiList(std::span<const uint8_t> head);

}  // namespace imawatch::ima
