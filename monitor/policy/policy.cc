#include "monitor/policy/policy.h"

#include "monitor/policy/rule_parser.h"

namespace imawatch::policy {
namespace {

std::string_view StripBlanks(std::string_view s) {
  size_t start = s.find_first_not_of(" \t");
  return start == std::string_view::npos ? std::string_view() : s.substr(start);
}

// "# imawatch-lint: allow a, b" -> {"a", "b"}; nothing for other comments.
std::vector<std::string> AllowedCodes(std::string_view comment) {
  std::string_view body = StripBlanks(comment.substr(1));
  if (!body.starts_with(kAllowDirective)) return {};
  body = StripBlanks(body.substr(kAllowDirective.size()));
  if (!body.starts_with("allow")) return {};
  body.remove_prefix(5);
  std::vector<std::string> codes;
  std::string current;
  for (char c : body) {
    if (c == ',' || c == ' ' || c == '\t' || c == '\r') {
      if (!current.empty()) codes.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) codes.push_back(std::move(current));
  return codes;
}

}  // namespace

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool IsSkippedLine(std::string_view line) {
  std::string_view rest = StripBlanks(line);
  return rest.empty() || rest.front() == '#';
}

PolicyParse ParsePolicy(std::string_view text, const Target& target) {
  PolicyParse out;
  std::vector<std::string> pending_allow;
  auto lines = SplitLines(text);
  for (size_t n = 0; n < lines.size(); ++n) {
    std::string_view line = lines[n];
    uint32_t number = static_cast<uint32_t>(n + 1);
    if (size_t nul = line.find('\0'); nul != std::string_view::npos) {
      ++out.rule_lines;
      out.errors.push_back({.code = "nul-byte",
                            .message =
                                "the line contains a NUL byte: the kernel stops reading the write there and "
                                "parses the rest as another rule",
                            .line = number,
                            .column = static_cast<uint32_t>(nul + 1)});
      continue;
    }
    if (line.size() > kMaxLineBytes) {
      ++out.rule_lines;
      out.errors.push_back(
          {.code = "line-too-long",
           .message = "the line is " + std::to_string(line.size()) +
                      " bytes; a write to the policy file takes at most " + std::to_string(kMaxLineBytes) +
                      " bytes, so the kernel would cut it and parse the rest as another rule",
           .line = number,
           .column = static_cast<uint32_t>(kMaxLineBytes + 1)});
      continue;
    }
    std::string_view rest = StripBlanks(line);
    if (rest.empty()) continue;
    if (rest.front() == '#') {
      auto codes = AllowedCodes(rest);
      pending_allow.insert(pending_allow.end(), codes.begin(), codes.end());
      continue;
    }
    ++out.rule_lines;
    RuleParseResult parsed = ParseRule(line, target);
    if (parsed.error) {
      parsed.error->line = number;
      out.errors.push_back(std::move(*parsed.error));
    } else {
      out.policy.rules.push_back(
          {number, std::string(line), std::move(*parsed.rule), std::move(pending_allow)});
    }
    pending_allow.clear();
  }
  if (out.rule_lines == 0) {
    out.errors.push_back({.code = "empty-policy",
                          .message = "the policy has no rules; the kernel refuses to load an empty policy"});
  }
  return out;
}

}  // namespace imawatch::policy
