// sshd_config as sshd reads it: keywords in any case, "Keyword value" or "Keyword=value", the
// first value of a keyword wins (Allow/Deny Users/Groups and AcceptEnv accumulate), Include
// pulls files in at its position (relative paths under /etc/ssh, globs sorted), and a Match
// line starts a block whose settings apply only to matching connections until the next Match.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/compliance/setting_value.h"

namespace imawatch::compliance {

struct SshdMatchSetting {
  std::string criteria;  // "User backup", "all"
  SettingValue value;
};

struct SshdConfig {
  std::map<std::string, SettingValue> global;                       // lower-case keyword
  std::map<std::string, std::vector<SshdMatchSetting>> in_matches;  // first value per Match block
};

struct IncludedText {
  std::string path;
  std::string text;
};
// Expands an Include argument (absolute, already joined with /etc/ssh) to the files' contents.
using SshdIncludeResolver = std::function<std::vector<IncludedText>(const std::string& pattern)>;

void ParseSshdConfig(std::string_view text, const std::string& path, const SshdIncludeResolver& include,
                     SshdConfig& config);

}  // namespace imawatch::compliance
