#include "monitor/compliance/safe_regex.h"

namespace imawatch::compliance {

std::string CheckRegex(std::string_view pattern) {
  if (pattern.size() > kMaxRegexLength) {
    return "regular expression longer than " + std::to_string(kMaxRegexLength) + " characters";
  }
  int depth = 0, max_depth = 0;
  bool escaped = false, in_class = false;
  for (char c : pattern) {
    if (escaped) {
      escaped = false;
      continue;
    }
    if (c == '\\') {
      escaped = true;
    } else if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
    } else if (c == '(') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ')') {
      --depth;
    }
  }
  if (max_depth > kMaxRegexNesting) {
    return "regular expression nests groups deeper than " + std::to_string(kMaxRegexNesting);
  }
  try {
    std::regex re(pattern.begin(), pattern.end(), std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return std::string("invalid regular expression: ") + e.what();
  }
  return {};
}

Result<std::regex> CompileRegex(std::string_view pattern) {
  std::string problem = CheckRegex(pattern);
  if (!problem.empty()) return InvalidInput(problem);
  return std::regex(pattern.begin(), pattern.end(), std::regex::ECMAScript);
}

bool SearchLine(const std::regex& re, std::string_view line) {
  if (line.size() > kMaxMatchedLineLength) return false;
  try {
    return std::regex_search(line.begin(), line.end(), re);
  } catch (const std::regex_error&) {
    return false;  // error_complexity / error_stack: treat as no match
  }
}

}  // namespace imawatch::compliance
