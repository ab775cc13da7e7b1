// modprobe.d as kmod reads it. Settings are keyed "install <module>" (value: the command; the
// first one read wins, as in kmod and module-init-tools) and "blacklist <module>" (value
// "true"). Module names treat '-' and '_' alike; lines continue with a trailing '\'.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "monitor/compliance/setting_value.h"

namespace imawatch::compliance {

// "install cramfs" / "blacklist usb-storage" in a benchmark -> the key ParseModprobeConf uses.
std::string NormalizeModprobeKey(std::string_view key);
void ParseModprobeConf(std::string_view text, const std::string& path,
                       std::map<std::string, SettingValue>& settings);

}  // namespace imawatch::compliance
