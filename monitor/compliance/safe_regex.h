// Regular expressions from benchmark files (ECMAScript syntax, as std::regex). std::regex
// compiles and matches recursively, so a pattern is refused before compiling if it is long or
// deeply nested, and matching is only done on lines of bounded length.
#pragma once

#include <algorithm>
#include <regex>
#include <string>
#include <string_view>

#include "monitor/base/result.h"

namespace imawatch::compliance {

inline constexpr size_t kMaxRegexLength = 512;
inline constexpr int kMaxRegexNesting = 8;
inline constexpr size_t kMaxMatchedLineLength = 4096;

// The error message (no position) when the pattern is refused, else empty.
std::string CheckRegex(std::string_view pattern);
Result<std::regex> CompileRegex(std::string_view pattern);
// Lines longer than kMaxMatchedLineLength never match.
bool SearchLine(const std::regex& re, std::string_view line);

}  // namespace imawatch::compliance
