// sysctl.d / sysctl.conf as systemd-sysctl and procps read them: "key = value" lines, '#' and
// ';' comments, a leading '-' (ignore errors) dropped, keys written with '/' normalized to '.'.
// Later assignments override earlier ones, so callers feed files in read order.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "monitor/compliance/setting_value.h"

namespace imawatch::compliance {

std::string NormalizeSysctlKey(std::string_view key);
void ParseSysctlConf(std::string_view text, const std::string& path,
                     std::map<std::string, SettingValue>& settings);

}  // namespace imawatch::compliance
