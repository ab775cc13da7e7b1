// Base64 (RFC 4648 section 4, standard alphabet, '=' padding) for binary fields in JSON
// documents such as the evidence bundle. The decoder is strict: no whitespace, no missing
// padding, no non-zero bits in the padding, so one encoding per byte string.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace imawatch {

std::string ToBase64(std::span<const uint8_t> bytes);
// nullopt for anything that is not canonical base64; *bad_offset (if given) is then the
// offset of the first character at fault.
std::optional<std::vector<uint8_t>> FromBase64(std::string_view text, size_t* bad_offset = nullptr);

}  // namespace imawatch
