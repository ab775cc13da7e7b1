// "key = value" and "key value" files: auditd.conf, login.defs, journald.conf, /etc/default/*.
// '#' starts a comment line, "[Section]" headers are skipped, surrounding quotes are dropped,
// and a later assignment overrides an earlier one.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "monitor/compliance/setting_value.h"

namespace imawatch::compliance {

void ParseKeyValueConf(std::string_view text, const std::string& path,
                       std::map<std::string, SettingValue>& settings);

}  // namespace imawatch::compliance
