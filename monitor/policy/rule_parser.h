// ima_parse_rule() and ima_validate_rule() of a chosen kernel, re-implemented: the same
// tokenizer, the same per-token checks in the same order, the same first error. A rule this
// parser accepts is one the target kernel accepts, and the other way round.
#pragma once

#include <optional>
#include <string_view>

#include "monitor/policy/diagnostic.h"
#include "monitor/policy/kernel.h"
#include "monitor/policy/rule.h"

namespace imawatch::policy {

struct RuleParseResult {
  std::optional<Rule> rule;         // the rule as the kernel stores it, when accepted
  std::optional<Diagnostic> error;  // the first reason the kernel refuses it (line unset)
};

// text: one rule line without its newline, leading blanks allowed (comments and blank lines
// are the caller's business, as in ima_parse_add_rule()).
RuleParseResult ParseRule(std::string_view text, const Target& target);

// The kernel's hash_algo_name[] entries a kernel version knows (appraise_algos=).
bool IsKernelHashName(std::string_view name, KernelVersion kernel);

}  // namespace imawatch::policy
