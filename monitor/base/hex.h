// Hex encoding for digests and binary fields, as the kernel prints them (lower case).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace imawatch {

std::string ToHex(std::span<const uint8_t> bytes);
void AppendHex(std::string& out, std::span<const uint8_t> bytes);
// Accepts upper and lower case; nullopt on odd length or a non-hex character.
std::optional<std::vector<uint8_t>> FromHex(std::string_view hex);
// Decodes into dst; false unless hex is exactly 2 * dst.size() hex characters.
bool FromHexInto(std::string_view hex, std::span<uint8_t> dst);

}  // namespace imawatch
