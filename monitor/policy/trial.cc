#include "monitor/policy/trial.h"

#include <cstring>

#include "monitor/policy/policy.h"

namespace imawatch::policy {

size_t TrialReport::accepted() const {
  size_t n = 0;
  for (const auto& v : verdicts) n += v.accepted ? 1 : 0;
  return n;
}

TrialReport TryRules(Env& env, std::string_view text, const std::string& securityfs) {
  TrialReport report;
  report.policy_file = securityfs + "/ima/policy";
  auto file = env.OpenForWrite(report.policy_file);
  if (!file) {
    report.open_error = file.error().message();
    return report;
  }
  report.opened = true;
  auto lines = SplitLines(text);
  for (size_t n = 0; n < lines.size(); ++n) {
    if (IsSkippedLine(lines[n])) continue;
    RuleVerdict verdict{.line = static_cast<uint32_t>(n + 1), .rule = std::string(lines[n])};
    std::string record = verdict.rule + "\n";
    WritableFile::WriteOutcome written = (*file)->Write(record);
    if (written.error != 0) {
      verdict.kernel_errno = written.error;
      verdict.kernel_message = std::strerror(written.error);
    } else if (written.accepted != record.size()) {
      // The kernel parses one line per write and says how much it consumed: a short count means
      // it saw a line end inside the rule, which SplitLines rules out.
      verdict.kernel_message = "the kernel took " + std::to_string(written.accepted) + " of " +
                               std::to_string(record.size()) + " bytes";
    } else {
      verdict.accepted = true;
    }
    report.verdicts.push_back(std::move(verdict));
  }
  WritableFile::WriteOutcome discard = (*file)->Write(std::string(kDiscardRule) + "\n");
  report.discarded = discard.error != 0;
  if (!report.discarded) {
    report.close_error = "the kernel accepted the discard rule '" + std::string(kDiscardRule) +
                         "': the rules written may have become the active policy";
  }
  if (Status closed = (*file)->Close(); !closed.ok() && report.close_error.empty()) {
    report.close_error = closed.error().message();
  }
  return report;
}

}  // namespace imawatch::policy
