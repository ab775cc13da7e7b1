// Durations in the daemon's config: a whole number with a unit ("500ms", "1s", "5m", "2h",
// "30d"), or a plain whole number meaning seconds.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace imawatch::daemon {

// nullopt for anything else: signs, fractions, spaces, unknown units, values past ~290 million years.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace imawatch::daemon
