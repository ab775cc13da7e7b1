// File names in a measurement list are bytes, not text: JSON (and so every report) can only
// carry valid UTF-8, so names that are not get their invalid bytes escaped.
#pragma once

#include <string>
#include <string_view>

namespace imawatch {

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(std::string_view s);
// `s` itself when valid UTF-8; otherwise every byte that is not part of a valid sequence
// becomes "\xNN" (as the kernel's audit records print such names), and '\' becomes "\\".
std::string Utf8OrEscaped(std::string_view s);

}  // namespace imawatch
