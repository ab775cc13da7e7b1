#include "monitor/compliance/sshd_config.h"

#include <set>

#include "monitor/compliance/value_parse.h"

namespace imawatch::compliance {
namespace {

constexpr int kMaxIncludeDepth = 16;  // sshd's own limit

bool Accumulates(const std::string& keyword) {
  static const std::set<std::string> kLists = {"allowusers", "allowgroups", "denyusers", "denygroups",
                                               "acceptenv"};
  return kLists.count(keyword) > 0;
}

struct ParseState {
  const SshdIncludeResolver& include;
  SshdConfig& config;
  bool in_match = false;
  std::string criteria;
  std::set<std::string> seen_in_block;  // keywords already set in the current Match block
};

void Assign(ParseState& st, const std::string& keyword, std::string value, std::string origin) {
  if (st.in_match) {
    if (!st.seen_in_block.insert(keyword).second) return;
    st.config.in_matches[keyword].push_back(
        {st.criteria, SettingValue::Scalar(std::move(value), std::move(origin))});
    return;
  }
  auto it = st.config.global.find(keyword);
  if (it == st.config.global.end()) {
    SettingValue v = SettingValue::Scalar(value, std::move(origin));
    if (Accumulates(keyword)) {
      v.is_list = true;
      v.items = SplitList(value);
    }
    st.config.global.emplace(keyword, std::move(v));
  } else if (Accumulates(keyword)) {
    for (std::string& item : SplitList(value)) it->second.items.push_back(std::move(item));
    it->second.text += " " + value;
  }
}

void ParseInto(std::string_view text, const std::string& path, ParseState& st, int depth) {
  uint32_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = Trim(text.substr(pos, end - pos));
    ++line_no;
    pos = end + 1;
    if (line.empty() || line.front() == '#') continue;
    size_t split = line.find_first_of(" \t=");
    std::string keyword = Lower(line.substr(0, split));
    std::string_view rest = split == std::string_view::npos ? std::string_view{} : line.substr(split);
    // "Keyword = value", "Keyword=value" and "Keyword value" are all accepted.
    rest = Trim(rest);
    if (!rest.empty() && rest.front() == '=') rest = Trim(rest.substr(1));
    if (rest.size() >= 2 && rest.front() == '"' && rest.back() == '"') rest = rest.substr(1, rest.size() - 2);
    std::string origin = LineOrigin(path, line_no);
    if (keyword == "match") {
      st.in_match = true;
      st.criteria = std::string(rest);
      st.seen_in_block.clear();
      continue;
    }
    if (keyword == "include") {
      if (depth >= kMaxIncludeDepth) continue;
      // A Match block opened inside an included file ends with that file: sshd restores its
      // match state after each file an Include reads.
      const bool was_in_match = st.in_match;
      const std::string was_criteria = st.criteria;
      const std::set<std::string> was_seen = st.seen_in_block;
      for (const std::string& arg : SplitList(rest)) {
        std::string pattern = arg.front() == '/' ? arg : "/etc/ssh/" + arg;
        for (const IncludedText& inc : st.include(pattern)) {
          ParseInto(inc.text, inc.path, st, depth + 1);
          st.in_match = was_in_match;
          st.criteria = was_criteria;
          st.seen_in_block = was_seen;
        }
      }
      continue;
    }
    Assign(st, keyword, std::string(rest), std::move(origin));
  }
}

}  // namespace

void ParseSshdConfig(std::string_view text, const std::string& path, const SshdIncludeResolver& include,
                     SshdConfig& config) {
  ParseState st{include, config};
  ParseInto(text, path, st, 0);
}

}  // namespace imawatch::compliance
