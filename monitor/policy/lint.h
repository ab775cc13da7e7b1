// The policy linter: parse a policy for a target kernel exactly as that kernel would, say for
// every refused rule which modeled kernels refuse it, and warn about legal but risky rules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "monitor/policy/diagnostic.h"
#include "monitor/policy/kernel.h"
#include "monitor/policy/policy.h"

namespace imawatch::policy {

struct LintReport {
  std::string source;
  Target target;
  Policy policy;                        // the rules the target kernel accepts
  std::vector<Diagnostic> diagnostics;  // errors and warnings, by line and column
  size_t rule_lines = 0;                // lines parsed as rules
  size_t errors = 0;
  size_t warnings = 0;
  size_t acknowledged = 0;  // warnings silenced by "# imawatch-lint: allow"

  bool ok() const { return errors == 0; }
};

LintReport LintPolicy(std::string_view text, std::string source, const Target& target);

}  // namespace imawatch::policy
