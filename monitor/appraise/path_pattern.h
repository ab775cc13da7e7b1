// Exclude patterns: paths an allow list never judges. Globs are imawatch's own (`*` stays in
// one path component, `**` crosses them) and exclude what they match and everything below a
// directory they match, as .gitignore does (the root counts as the empty path: `*` excludes
// all); regexes are Keylime's excludes, matched like
// Python's re.match (anchored at the start only).
#pragma once

#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"

namespace imawatch::appraise {

enum class PatternKind : uint8_t { kGlob = 0, kRegex = 1 };

std::string_view PatternKindName(PatternKind kind);

// Whole-path glob match: `*` any run of characters without '/', `**` any run, `?` one
// character but '/', `[abc]`/`[a-z]`/`[!a]`/`[^a]` one character of (not of) a set, `\x` x.
// Iterative, no allocation.
bool GlobMatch(std::string_view pattern, std::string_view path);

// A regex that, matched at the start like Keylime does, accepts exactly the paths the glob
// excludes (the path or one of its directories): "^<glob>(?:/|$)".
std::string GlobToRegex(std::string_view glob);

class PathPattern {
 public:
  // Regexes longer than kMaxRegexSize or nested deeper than kMaxRegexDepth are refused: the
  // standard library's regex compiler recurses on them.
  static constexpr size_t kMaxRegexSize = 4096;
  static constexpr int kMaxRegexDepth = 32;

  static Result<PathPattern> Compile(PatternKind kind, std::string_view pattern);

  bool Matches(std::string_view path) const;
  PatternKind kind() const { return kind_; }
  const std::string& text() const { return text_; }

 private:
  PatternKind kind_ = PatternKind::kGlob;
  std::string text_;
  // Literal text every match starts with: most excludes have one, so the regex engine runs
  // only on paths that share it.
  std::string literal_prefix_;
  std::shared_ptr<const std::regex> regex_;
};

class ExcludeSet {
 public:
  void Add(PathPattern pattern) { patterns_.push_back(std::move(pattern)); }
  bool Matches(std::string_view path) const;
  const std::vector<PathPattern>& patterns() const { return patterns_; }
  bool empty() const { return patterns_.empty(); }

 private:
  std::vector<PathPattern> patterns_;
};

}  // namespace imawatch::appraise
