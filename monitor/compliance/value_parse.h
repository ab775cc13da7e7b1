// Scalar conversions shared by the loader (expectation bounds) and the evaluator (found values).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/compliance/benchmark.h"

namespace imawatch::compliance {

// Go durations ("4h0m0s", "300ms", "1.5h") and sshd time values ("1m", "90", "1h30M", "2w") in
// seconds; a bare number is seconds.
std::optional<double> ParseDurationSeconds(std::string_view text);
// true/false, yes/no, on/off, 1/0 in any case.
std::optional<bool> ParseBoolWord(std::string_view text);
std::optional<double> ParseInteger(std::string_view text);
// The number a bound or value means under type (int or duration); nullopt for other types.
std::optional<double> NumericValue(ValueType type, std::string_view text);
// "a, b,c" -> {"a","b","c"}; separators are commas and whitespace.
std::vector<std::string> SplitList(std::string_view text);
std::string_view Trim(std::string_view text);
std::string Lower(std::string_view text);

}  // namespace imawatch::compliance
