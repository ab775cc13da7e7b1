#include "monitor/compliance/path_glob.h"

#include <array>

namespace imawatch::compliance {

bool IsGlob(std::string_view pattern) { return pattern.find_first_of("*?") != std::string_view::npos; }

bool GlobMatch(std::string_view pattern, std::string_view path) {
  // Iterative, no recursion (patterns come from data files): the last "*" and the last "**" are
  // the only backtrack points. A "*" may not swallow '/'; when it cannot grow, the enclosing "**"
  // grows instead and the "*" is matched again from there.
  constexpr size_t kNone = std::string_view::npos;
  size_t p = 0, s = 0;
  size_t star_p = kNone, star_s = 0;    // after the last "*"
  size_t dstar_p = kNone, dstar_s = 0;  // after the last "**"
  while (s < path.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      if (p + 1 < pattern.size() && pattern[p + 1] == '*') {
        while (p < pattern.size() && pattern[p] == '*') ++p;
        dstar_p = p;
        dstar_s = s;
        star_p = kNone;
      } else {
        ++p;
        star_p = p;
        star_s = s;
      }
      continue;
    }
    if (p < pattern.size() && (pattern[p] == path[s] || (pattern[p] == '?' && path[s] != '/'))) {
      ++p;
      ++s;
      continue;
    }
    if (star_p != kNone && path[star_s] != '/') {
      s = ++star_s;
      p = star_p;
      continue;
    }
    if (dstar_p != kNone) {
      s = ++dstar_s;
      p = dstar_p;
      star_p = kNone;
      continue;
    }
    return false;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<std::string> CanonicalSpellings(std::string_view path) {
  std::vector<std::string> out{std::string(path)};
  static constexpr std::array<std::string_view, 4> kMerged = {"/lib/", "/lib64/", "/bin/", "/sbin/"};
  for (std::string_view prefix : kMerged) {
    if (path.starts_with(prefix)) {
      out.push_back("/usr" + std::string(path));
      break;
    }
    std::string usr = "/usr" + std::string(prefix);
    if (path.starts_with(usr)) {
      out.push_back(std::string(path.substr(4)));
      break;
    }
  }
  return out;
}

}  // namespace imawatch::compliance
