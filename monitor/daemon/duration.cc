#include "monitor/daemon/duration.h"

#include <charconv>
#include <cstdint>
#include <limits>

namespace imawatch::daemon {

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  int64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits, number);
  if (ec != std::errc() || end != text.data() + digits) return std::nullopt;

  std::string_view unit = text.substr(digits);
  int64_t ms_per_unit = 0;
  if (unit == "ms") {
    ms_per_unit = 1;
  } else if (unit.empty() || unit == "s") {
    ms_per_unit = 1000;
  } else if (unit == "m") {
    ms_per_unit = 60 * 1000;
  } else if (unit == "h") {
    ms_per_unit = 3600 * 1000;
  } else if (unit == "d") {
    ms_per_unit = 86400 * 1000;
  } else {
    return std::nullopt;
  }
  if (number > std::numeric_limits<int64_t>::max() / ms_per_unit) return std::nullopt;
  return std::chrono::milliseconds(number * ms_per_unit);
}

}  // namespace imawatch::daemon
