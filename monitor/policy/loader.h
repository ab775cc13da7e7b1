// Loading a policy into the kernel the way the kernel reads it: lint first and refuse on any
// error, then one rule per write(2) to <securityfs>/ima/policy (or the policy file's absolute
// path when the kernel requires a signed policy), close, and read the active policy back.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "monitor/base/env.h"
#include "monitor/policy/lint.h"

namespace imawatch::policy {

struct LoadOptions {
  std::string securityfs = "/sys/kernel/security";
  Target target;
  // Write the policy file's absolute path instead of its rules: the kernel then reads and
  // appraises the file itself (required once an appraise func=POLICY_CHECK rule is active).
  bool as_path = false;
};

enum class LoadOutcome : uint8_t {
  kLoaded,       // every write accepted and the file closed
  kRefused,      // the linter found errors: nothing was written
  kUnavailable,  // the policy file could not be opened for writing
  kRejected,     // the kernel refused a write; it discards the whole load on close
};
std::string_view LoadOutcomeName(LoadOutcome outcome);

struct LoadReport {
  LintReport lint;
  LoadOutcome outcome = LoadOutcome::kRefused;
  std::string policy_file;  // <securityfs>/ima/policy
  bool as_path = false;
  size_t rules = 0;            // rules in the policy
  size_t writes_accepted = 0;  // writes the kernel took
  std::string digest;          // "sha256:<hex>" of the bytes handed to the kernel (the file, in path mode)
  std::string written;         // those bytes: the rules, one per line (the file, in path mode)

  // When the kernel refused: what it said and about which line.
  int kernel_errno = 0;
  std::string kernel_message;  // strerror(kernel_errno), or the open error
  uint32_t rejected_line = 0;  // 0: the open, or the whole file in path mode
  std::string rejected_text;
  std::string explanation;

  // The active policy read back (kernels with CONFIG_IMA_READ_POLICY), before and after.
  std::optional<std::string> active_before;
  std::optional<std::string> active_after;
  std::string readback_error;             // why it could not be read
  std::optional<bool> readback_confirms;  // the active policy ends with the loaded rules

  bool ok() const { return outcome == LoadOutcome::kLoaded; }
};

// source: the policy file's path (absolute in path mode); text: its content.
LoadReport LoadPolicy(Env& env, std::string_view text, const std::string& source, const LoadOptions& options);

// <securityfs>/ima/policy as the kernel prints it.
Result<std::string> ReadActivePolicy(Env& env, const std::string& securityfs);

// "sha256:<hex>"
std::string Sha256Digest(std::string_view bytes);

}  // namespace imawatch::policy
