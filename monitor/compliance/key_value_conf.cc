#include "monitor/compliance/key_value_conf.h"

#include <cctype>

#include "monitor/compliance/value_parse.h"

namespace imawatch::compliance {

void ParseKeyValueConf(std::string_view text, const std::string& path,
                       std::map<std::string, SettingValue>& settings) {
  uint32_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = Trim(text.substr(pos, end - pos));
    ++line_no;
    pos = end + 1;
    if (line.empty() || line.front() == '#' || line.front() == ';' || line.front() == '[') continue;
    size_t eq = line.find('=');
    size_t ws = line.find_first_of(" \t");
    size_t split = eq != std::string_view::npos &&
                           (ws == std::string_view::npos || eq < ws || Trim(line.substr(ws, eq - ws)).empty())
                       ? eq
                       : ws;
    if (split == std::string_view::npos) continue;
    std::string_view key = Trim(line.substr(0, split));
    std::string_view value = Trim(line.substr(split + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    if (key.empty()) continue;
    settings[std::string(key)] = SettingValue::Scalar(std::string(value), LineOrigin(path, line_no));
  }
}

}  // namespace imawatch::compliance
