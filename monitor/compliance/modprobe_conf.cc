#include "monitor/compliance/modprobe_conf.h"

#include <vector>

#include "monitor/compliance/evidence.h"
#include "monitor/compliance/value_parse.h"

namespace imawatch::compliance {
namespace {

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace

std::string NormalizeModprobeKey(std::string_view key) {
  std::vector<std::string> w = Words(Trim(key));
  if (w.size() != 2) return std::string(Trim(key));
  return w[0] + " " + NormalizeModuleName(w[1]);
}

void ParseModprobeConf(std::string_view text, const std::string& path,
                       std::map<std::string, SettingValue>& settings) {
  uint32_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    // Join continuation lines; the setting is attributed to the first physical line.
    std::string logical;
    uint32_t first_line = line_no + 1;
    for (;;) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view part = text.substr(pos, end - pos);
      ++line_no;
      pos = end + 1;
      if (!part.empty() && part.back() == '\\' && pos < text.size()) {
        logical.append(part.substr(0, part.size() - 1)).push_back(' ');
        continue;
      }
      logical.append(part);
      break;
    }
    std::string_view line = Trim(logical);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> w = Words(line);
    if (w.size() < 2) continue;
    std::string key = w[0] + " " + NormalizeModuleName(w[1]);
    if (w[0] == "install") {
      size_t cmd = line.find(w[1], w[0].size()) + w[1].size();
      settings.emplace(
          key, SettingValue::Scalar(std::string(Trim(line.substr(cmd))), LineOrigin(path, first_line)));
    } else if (w[0] == "blacklist") {
      settings.emplace(key, SettingValue::Scalar("true", LineOrigin(path, first_line)));
    }
  }
}

}  // namespace imawatch::compliance
