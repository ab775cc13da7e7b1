#include "monitor/compliance/sysctl_conf.h"

#include <algorithm>

#include "monitor/compliance/value_parse.h"

namespace imawatch::compliance {

std::string NormalizeSysctlKey(std::string_view key) {
  std::string out(Trim(key));
  // systemd's rule: if the first separator is '/', the key uses '/' for levels and '.' may
  // appear inside a level (an interface named eth0.100), so the two swap.
  size_t first = out.find_first_of("./");
  if (first != std::string::npos && out[first] == '/') {
    for (char& c : out) c = c == '/' ? '.' : (c == '.' ? '/' : c);
  }
  return out;
}

void ParseSysctlConf(std::string_view text, const std::string& path,
                     std::map<std::string, SettingValue>& settings) {
  uint32_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = Trim(text.substr(pos, end - pos));
    ++line_no;
    pos = end + 1;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;  // systemd-sysctl warns and skips
    std::string_view key = Trim(line.substr(0, eq));
    if (!key.empty() && key.front() == '-') key.remove_prefix(1);
    if (key.empty()) continue;
    settings[NormalizeSysctlKey(key)] =
        SettingValue::Scalar(std::string(Trim(line.substr(eq + 1))), LineOrigin(path, line_no));
  }
}

}  // namespace imawatch::compliance
