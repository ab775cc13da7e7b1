// A finding of the policy linter: where (line, column, token), why, and for errors which
// kernels refuse the rule.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/policy/kernel.h"

namespace imawatch::policy {

enum class Severity : uint8_t { kError, kWarning };
std::string_view SeverityName(Severity severity);

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string code;     // stable identifier, e.g. "duplicate-func" (doc/ima-policy-lint.md lists them)
  std::string message;  // the reason, in words
  std::string token;    // the offending token as written; empty for line- and policy-level findings
  uint32_t line = 0;    // 1-based; 0 means the policy as a whole
  uint32_t column = 0;  // 1-based; 0 when not tied to a column
  std::vector<KernelVersion> rejected_by;  // errors: the reference kernels that refuse the rule

  // "file:3:17: error: duplicate-func: 'func=FILE_CHECK': ... [rejected by 5.4, 5.10]"
  std::string ToString(std::string_view source) const;
};

// "5.4, 5.10" or "all modeled kernels (5.4 to 6.12)".
std::string DescribeKernels(const std::vector<KernelVersion>& kernels);

}  // namespace imawatch::policy
