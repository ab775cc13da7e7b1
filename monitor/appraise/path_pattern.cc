#include "monitor/appraise/path_pattern.h"

#include <cstring>
#include <optional>

namespace imawatch::appraise {
namespace {

// One bracket expression at pattern[at] == '['. Sets end to the index after ']'; nullopt when
// the bracket is not closed (the '[' is then an ordinary character).
std::optional<bool> MatchClass(std::string_view p, size_t at, char c, size_t& end) {
  size_t i = at + 1;
  bool negate = i < p.size() && (p[i] == '!' || p[i] == '^');
  if (negate) ++i;
  bool found = false;
  bool first = true;
  while (i < p.size() && (p[i] != ']' || first)) {
    first = false;
    char lo = p[i];
    if (lo == '\\' && i + 1 < p.size()) lo = p[++i];
    char hi = lo;
    if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
      hi = p[i + 2];
      i += 2;
      if (hi == '\\' && i + 1 < p.size()) hi = p[++i];
    }
    if (static_cast<unsigned char>(c) >= static_cast<unsigned char>(lo) &&
        static_cast<unsigned char>(c) <= static_cast<unsigned char>(hi)) {
      found = true;
    }
    ++i;
  }
  if (i >= p.size()) return std::nullopt;
  end = i + 1;
  if (negate) return !found && c != '/';
  return found;
}

constexpr std::string_view kRegexSpecial = "\\^$.|?*+()[]{}";

void AppendRegexLiteral(std::string& out, char c) {
  if (kRegexSpecial.find(c) != std::string_view::npos) out += '\\';
  out += c;
}

void AppendClassMember(std::string& out, char c) {
  if (c == '\\' || c == ']' || c == '[' || c == '^' || c == '-') out += '\\';
  out += c;
}

// Deepest nesting of groups, ignoring escaped characters and bracket expressions.
int GroupDepth(std::string_view re) {
  int depth = 0, max_depth = 0;
  bool in_class = false;
  for (size_t i = 0; i < re.size(); ++i) {
    char c = re[i];
    if (c == '\\') {
      ++i;
    } else if (in_class) {
      if (c == ']') in_class = false;
    } else if (c == '[') {
      in_class = true;
    } else if (c == '(') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ')') {
      --depth;
    }
  }
  return max_depth;
}

// The literal characters every match of an anchored-at-start regex begins with.
std::string RegexLiteralPrefix(std::string_view re) {
  std::string out;
  if (re.find('|') != std::string_view::npos) return out;  // alternatives: no common prefix known
  size_t i = 0;
  if (i < re.size() && re[i] == '^') ++i;
  while (i < re.size()) {
    char c = re[i];
    size_t next = i + 1;
    if (c == '\\') {
      if (next >= re.size() || std::isalnum(static_cast<unsigned char>(re[next]))) break;  // \d, \w, \1 ...
      c = re[next];
      next = i + 2;
    } else if (std::strchr(".[]()*+?{}^$", c) != nullptr) {
      break;
    }
    if (next < re.size() && std::strchr("*?{", re[next]) != nullptr) break;  // the character is optional
    out += c;
    if (next < re.size() && re[next] == '+') break;
    i = next;
  }
  return out;
}

}  // namespace

std::string_view PatternKindName(PatternKind kind) { return kind == PatternKind::kGlob ? "glob" : "regex"; }

bool GlobMatch(std::string_view p, std::string_view s) {
  constexpr size_t kNone = std::string_view::npos;
  size_t pi = 0, si = 0;
  size_t star_p = kNone, star_s = 0;    // resume points of the last '*'
  size_t dstar_p = kNone, dstar_s = 0;  // and of the last '**'
  while (si < s.size()) {
    if (pi < p.size()) {
      char c = p[pi];
      if (c == '*') {
        if (pi + 1 < p.size() && p[pi + 1] == '*') {
          while (pi < p.size() && p[pi] == '*') ++pi;
          dstar_p = pi;
          dstar_s = si;
          star_p = kNone;
        } else {
          star_p = ++pi;
          star_s = si;
        }
        continue;
      }
      if (c == '?') {
        if (s[si] != '/') {
          ++pi;
          ++si;
          continue;
        }
      } else if (c == '[') {
        size_t end = 0;
        auto m = MatchClass(p, pi, s[si], end);
        if (m.has_value()) {
          if (*m) {
            pi = end;
            ++si;
            continue;
          }
        } else if (s[si] == '[') {
          ++pi;
          ++si;
          continue;
        }
      } else {
        size_t width = 1;
        if (c == '\\' && pi + 1 < p.size()) {
          c = p[pi + 1];
          width = 2;
        }
        if (s[si] == c) {
          pi += width;
          ++si;
          continue;
        }
      }
    }
    // Mismatch: let the last '*' take one more character (never a '/'), else the last '**'.
    if (star_p != kNone && s[star_s] != '/') {
      si = ++star_s;
      pi = star_p;
      continue;
    }
    if (dstar_p != kNone) {
      si = ++dstar_s;
      pi = dstar_p;
      star_p = kNone;
      continue;
    }
    return false;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::string GlobToRegex(std::string_view p) {
  std::string out = "^";
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '*') {
      if (i + 1 < p.size() && p[i + 1] == '*') {
        while (i + 1 < p.size() && p[i + 1] == '*') ++i;
        out += ".*";
      } else {
        out += "[^/]*";
      }
    } else if (c == '?') {
      out += "[^/]";
    } else if (c == '[') {
      size_t end = 0;
      if (!MatchClass(p, i, 'x', end).has_value()) {
        out += "\\[";
        continue;
      }
      size_t j = i + 1;
      bool negate = p[j] == '!' || p[j] == '^';
      if (negate) ++j;
      out += negate ? "[^/" : "[";
      bool first = true;
      for (; j < end - 1; ++j) {
        char m = p[j];
        if (m == '\\' && j + 1 < end - 1) {
          AppendClassMember(out, p[++j]);
        } else if (m == '-' && !first && j + 1 < end - 1) {
          out += '-';
        } else {
          AppendClassMember(out, m);
        }
        first = false;
      }
      out += ']';
      i = end - 1;
    } else if (c == '\\' && i + 1 < p.size()) {
      AppendRegexLiteral(out, p[++i]);
    } else {
      AppendRegexLiteral(out, c);
    }
  }
  out += "(?:/|$)";
  return out;
}

Result<PathPattern> PathPattern::Compile(PatternKind kind, std::string_view pattern) {
  if (pattern.empty()) return InvalidInput("empty " + std::string(PatternKindName(kind)) + " pattern");
  PathPattern out;
  out.kind_ = kind;
  out.text_ = std::string(pattern);
  if (kind == PatternKind::kGlob) {
    // Every glob must also be expressible as a regex (Keylime export): this refuses what the
    // regex compiler refuses, such as reversed ranges.
    auto as_regex = Compile(PatternKind::kRegex, GlobToRegex(pattern));
    if (!as_regex) return InvalidInput("invalid glob '" + out.text_ + "'");
    return out;
  }
  if (pattern.size() > kMaxRegexSize) {
    return InvalidInput("regex is longer than " + std::to_string(kMaxRegexSize) + " characters");
  }
  if (GroupDepth(pattern) > kMaxRegexDepth) {
    return InvalidInput("regex nests groups deeper than " + std::to_string(kMaxRegexDepth));
  }
  try {
    out.regex_ = std::make_shared<const std::regex>(out.text_, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::exception& e) {
    return InvalidInput("invalid regex '" + out.text_ + "': " + e.what());
  }
  out.literal_prefix_ = RegexLiteralPrefix(pattern);
  return out;
}

bool PathPattern::Matches(std::string_view path) const {
  if (kind_ == PatternKind::kGlob) {
    if (GlobMatch(text_, path)) return true;
    for (size_t i = 0; i < path.size(); ++i) {
      if (path[i] == '/' && GlobMatch(text_, path.substr(0, i))) return true;
    }
    return false;
  }
  if (!path.starts_with(literal_prefix_)) return false;
  try {
    return std::regex_search(path.begin(), path.end(), *regex_, std::regex_constants::match_continuous);
  } catch (const std::exception&) {
    return false;  // too complex to decide: the path is judged rather than silently skipped
  }
}

bool ExcludeSet::Matches(std::string_view path) const {
  for (const auto& pattern : patterns_) {
    if (pattern.Matches(path)) return true;
  }
  return false;
}

}  // namespace imawatch::appraise
