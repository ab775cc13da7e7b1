// JSON for stdout. Strings from user files (policy tokens, paths) may not be UTF-8; JSON
// cannot hold such bytes, so they print as U+FFFD instead of aborting the command.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace imawatch::cli {

inline std::string JsonText(const nlohmann::json& value, int indent = 2) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace imawatch::cli
