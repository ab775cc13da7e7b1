// A setting as found in configuration: absent, a scalar, or a list, with where it came from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace imawatch::compliance {

struct SettingValue {
  bool present = false;
  std::string text;                // the scalar, or the list's items joined with ","
  std::vector<std::string> items;  // set for list values (YAML sequences)
  bool is_list = false;
  std::string origin;  // "path:line", or a description of how it was derived

  static SettingValue Scalar(std::string text, std::string origin) {
    return {.present = true, .text = std::move(text), .origin = std::move(origin)};
  }
  static SettingValue Unset() { return {}; }
};

inline std::string LineOrigin(const std::string& path, uint32_t line) {
  return path + ":" + std::to_string(line);
}

}  // namespace imawatch::compliance
