#include "monitor/appraise/path_pattern.h"

#include <gtest/gtest.h>

#include <random>
#include <regex>

namespace imawatch::appraise {
namespace {

// Reference glob semantics, by plain recursion (exponential, fine for short strings).
bool SlowGlob(std::string_view p, std::string_view s) {
  if (p.empty()) return s.empty();
  if (p.starts_with("**")) {
    size_t rest = 2;
    while (rest < p.size() && p[rest] == '*') ++rest;
    for (size_t k = 0; k <= s.size(); ++k) {
      if (SlowGlob(p.substr(rest), s.substr(k))) return true;
    }
    return false;
  }
  if (p[0] == '*') {
    for (size_t k = 0; k <= s.size(); ++k) {
      if (SlowGlob(p.substr(1), s.substr(k))) return true;
      if (k < s.size() && s[k] == '/') break;
    }
    return false;
  }
  if (s.empty()) return false;
  if (p[0] == '?') return s[0] != '/' && SlowGlob(p.substr(1), s.substr(1));
  if (p[0] == '\\' && p.size() > 1) return s[0] == p[1] && SlowGlob(p.substr(2), s.substr(1));
  return p[0] == s[0] && SlowGlob(p.substr(1), s.substr(1));
}

TEST(GlobMatch, StarStaysInOneComponent) {
  EXPECT_TRUE(GlobMatch("/usr/bin/*", "/usr/bin/ls"));
  EXPECT_FALSE(GlobMatch("/usr/bin/*", "/usr/bin/x/ls"));
  EXPECT_TRUE(GlobMatch("/usr/*/ls", "/usr/bin/ls"));
  EXPECT_TRUE(GlobMatch("/var/log/*.log", "/var/log/syslog.log"));
  EXPECT_FALSE(GlobMatch("/var/log/*.log", "/var/log/syslog.log.1"));
}

TEST(GlobMatch, DoubleStarCrossesComponents) {
  EXPECT_TRUE(GlobMatch("/var/log/**", "/var/log/a/b/c"));
  EXPECT_TRUE(GlobMatch("/**/__pycache__/*.pyc", "/usr/lib/python3/x/__pycache__/m.pyc"));
  EXPECT_FALSE(GlobMatch("/**/__pycache__/*.pyc", "/usr/lib/python3/x/__pycache__/d/m.pyc"));
  EXPECT_TRUE(GlobMatch("**", "/anything/at/all"));
}

TEST(GlobMatch, QuestionClassesAndEscapes) {
  EXPECT_TRUE(GlobMatch("/tmp/?", "/tmp/a"));
  EXPECT_FALSE(GlobMatch("/tmp?a", "/tmp/a"));
  EXPECT_TRUE(GlobMatch("/dev/tty[0-9]", "/dev/tty7"));
  EXPECT_FALSE(GlobMatch("/dev/tty[0-9]", "/dev/ttyS"));
  EXPECT_TRUE(GlobMatch("/dev/tty[!0-9]", "/dev/ttyS"));
  EXPECT_TRUE(GlobMatch("/dev/tty[^0-9]", "/dev/ttyS"));
  EXPECT_FALSE(GlobMatch("/a[!x]b", "/a/b"));
  EXPECT_TRUE(GlobMatch("/odd\\*name", "/odd*name"));
  EXPECT_FALSE(GlobMatch("/odd\\*name", "/oddXname"));
  EXPECT_TRUE(GlobMatch("/unclosed[", "/unclosed["));
}

TEST(GlobMatch, AgreesWithReferenceOnRandomInputs) {
  std::mt19937 rng(7);
  const std::string pattern_chars = "ab/*?\\";
  const std::string path_chars = "ab/*";
  for (int i = 0; i < 20000; ++i) {
    std::string p, s;
    for (int n = rng() % 8; n > 0; --n) p += pattern_chars[rng() % pattern_chars.size()];
    for (int n = rng() % 9; n > 0; --n) s += path_chars[rng() % path_chars.size()];
    ASSERT_EQ(GlobMatch(p, s), SlowGlob(p, s)) << "pattern '" << p << "' path '" << s << "'";
  }
}

TEST(PathPattern, GlobExcludesWhatIsBelowAMatchedDirectory) {
  auto p = PathPattern::Compile(PatternKind::kGlob, "/tmp/*");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->Matches("/tmp/a"));
  EXPECT_TRUE(p->Matches("/tmp/a/b/c"));
  EXPECT_FALSE(p->Matches("/tmp"));
  EXPECT_FALSE(p->Matches("/tmpx/a"));
  auto proc = PathPattern::Compile(PatternKind::kGlob, "/proc");
  EXPECT_TRUE(proc->Matches("/proc/1/status"));
  EXPECT_FALSE(proc->Matches("/process"));
}

TEST(PathPattern, GlobToRegexAcceptsTheSamePaths) {
  std::mt19937 rng(11);
  const std::string pattern_chars = "ab/*?[]!-\\.";
  const std::string path_chars = "ab/.-[]!";
  int compared = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string p, s;
    for (int n = 1 + rng() % 8; n > 0; --n) p += pattern_chars[rng() % pattern_chars.size()];
    for (int n = rng() % 9; n > 0; --n) s += path_chars[rng() % path_chars.size()];
    auto glob = PathPattern::Compile(PatternKind::kGlob, p);
    if (!glob.ok()) continue;
    auto regex = PathPattern::Compile(PatternKind::kRegex, GlobToRegex(p));
    ASSERT_TRUE(regex.ok()) << GlobToRegex(p);
    ASSERT_EQ(glob->Matches(s), regex->Matches(s))
        << "glob '" << p << "' regex '" << GlobToRegex(p) << "' path '" << s << "'";
    ++compared;
  }
  EXPECT_GT(compared, 3000);
}

TEST(PathPattern, RegexIsAnchoredAtTheStartOnlyLikeRePythonMatch) {
  auto p = PathPattern::Compile(PatternKind::kRegex, "/tmp");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->Matches("/tmp/x"));
  EXPECT_TRUE(p->Matches("/tmpfoo"));
  EXPECT_FALSE(p->Matches("/var/tmp"));
  auto q = PathPattern::Compile(PatternKind::kRegex, ".*\\.pyc$");
  EXPECT_TRUE(q->Matches("/usr/lib/a.pyc"));
  EXPECT_FALSE(q->Matches("/usr/lib/a.pyc.bak"));
  auto r = PathPattern::Compile(PatternKind::kRegex, "(?:/var/log|/run)/\\d+");
  EXPECT_TRUE(r->Matches("/run/42"));
  EXPECT_TRUE(r->Matches("/var/log/7/x"));
  EXPECT_FALSE(r->Matches("/run/x"));
}

TEST(PathPattern, LiteralPrefixShortcutNeverChangesTheAnswer) {
  const char* regexes[] = {"^/var/log/",  "/usr/lib/python3.*/__pycache__/",
                           "/a+b",        "/ab?c",
                           "/x\\.y",      "/a{2}",
                           "/opt/[a-c]d", "/srv/(x|y)",
                           "\\/etc\\/ssl"};
  const char* paths[] = {"/var/log/x", "/var/lo", "/usr/lib/python3.11/__pycache__/m",
                         "/ab",        "/aab",    "/ac",
                         "/abc",       "/x.y",    "/xzy",
                         "/aa",        "/a",      "/opt/bd",
                         "/srv/y",     "/srv/z",  "/etc/ssl/cert",
                         "/"};
  for (const char* re : regexes) {
    auto p = PathPattern::Compile(PatternKind::kRegex, re);
    ASSERT_TRUE(p.ok()) << re;
    std::regex plain(re, std::regex::ECMAScript);
    for (const char* path : paths) {
      std::string s(path);
      bool expected = std::regex_search(s, plain, std::regex_constants::match_continuous);
      EXPECT_EQ(p->Matches(path), expected) << re << " on " << path;
    }
  }
}

TEST(PathPattern, BadPatternsAreErrors) {
  auto bad = PathPattern::Compile(PatternKind::kRegex, "/a(b");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("invalid regex"), std::string::npos);
  EXPECT_FALSE(PathPattern::Compile(PatternKind::kRegex, "").ok());
  EXPECT_FALSE(PathPattern::Compile(PatternKind::kGlob, "/[z-a]").ok());
  EXPECT_FALSE(
      PathPattern::Compile(PatternKind::kRegex, std::string(40, '(') + "a" + std::string(40, ')')).ok());
  EXPECT_FALSE(PathPattern::Compile(PatternKind::kRegex, std::string(5000, 'a')).ok());
}

TEST(PathPattern, LongPathsDoNotOverflowTheRegexEngine) {
  auto p = PathPattern::Compile(PatternKind::kRegex, ".*x$");
  ASSERT_TRUE(p.ok());
  std::string path = "/" + std::string(4095, 'a');
  EXPECT_FALSE(p->Matches(path));
  path.back() = 'x';
  EXPECT_TRUE(p->Matches(path));
}

}  // namespace
}  // namespace imawatch::appraise
