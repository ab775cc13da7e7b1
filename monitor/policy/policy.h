// A policy file as the kernel reads it: one rule per line, blank lines and lines starting
// with '#' ignored (ima_parse_add_rule()), every rule parsed for one target kernel.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/policy/diagnostic.h"
#include "monitor/policy/kernel.h"
#include "monitor/policy/rule.h"

namespace imawatch::policy {

// A write(2) to securityfs takes at most PAGE_SIZE - 1 bytes (4095 on 4 KiB pages); the rest
// of a longer line would be parsed as a separate rule.
inline constexpr size_t kMaxLineBytes = 4095;

// "# imawatch-lint: allow code[,code]" acknowledges warnings for the rule on the next rule line.
inline constexpr std::string_view kAllowDirective = "imawatch-lint:";

struct PolicyRule {
  uint32_t line = 0;                 // 1-based line in the file
  std::string text;                  // the line as written, without its newline
  Rule rule;                         // as the target kernel parsed it
  std::vector<std::string> allowed;  // warning codes acknowledged for this rule
};

struct Policy {
  std::vector<PolicyRule> rules;  // the accepted rules, in file order
};

struct PolicyParse {
  Policy policy;
  std::vector<Diagnostic> errors;  // what the target kernel refuses, with line and column
  size_t rule_lines = 0;           // lines the kernel would parse as rules (accepted or not)
};

PolicyParse ParsePolicy(std::string_view text, const Target& target);

// Splits a policy into its lines as the kernel does (on '\n'; a final newline ends the last line).
std::vector<std::string_view> SplitLines(std::string_view text);
// True for lines the kernel skips: empty after leading blanks, or starting with '#'.
bool IsSkippedLine(std::string_view line);

}  // namespace imawatch::policy
