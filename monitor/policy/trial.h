// Asking the running kernel which rules it accepts without changing its policy: every rule in
// its own write(2) to <securityfs>/ima/policy (the kernel parses each write on its own and
// answers -EINVAL for a rule it refuses), then a rule no kernel accepts, so that on close the
// kernel discards the whole batch and the active policy stays as it was.
//
// Kernels without CONFIG_IMA_WRITE_POLICY offer the policy file only until the first policy
// is loaded, so a trial works there before that load (a failed batch keeps the file).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/env.h"

namespace imawatch::policy {

// The rule written last so that the kernel discards the batch: an unknown action.
inline constexpr std::string_view kDiscardRule = "imawatch-discard-this-batch";

struct RuleVerdict {
  uint32_t line = 0;  // 1-based line in the policy text
  std::string rule;   // the line as written, without its newline
  bool accepted = false;
  int kernel_errno = 0;  // of a refused write; 0 when accepted
  std::string kernel_message;
};

struct TrialReport {
  std::string policy_file;  // <securityfs>/ima/policy
  bool opened = false;
  std::string open_error;  // why the policy file could not be opened
  std::vector<RuleVerdict> verdicts;
  bool discarded = false;   // the closing rule was refused, so nothing was applied
  std::string close_error;  // when the discard rule or the close did not go as expected

  size_t accepted() const;
  size_t rejected() const { return verdicts.size() - accepted(); }
};

// Writes every line that is not blank or a comment (the lines the kernel would parse).
TrialReport TryRules(Env& env, std::string_view text, const std::string& securityfs);

}  // namespace imawatch::policy
