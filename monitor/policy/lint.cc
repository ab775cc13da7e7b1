#include "monitor/policy/lint.h"

#include <algorithm>

#include "monitor/policy/risks.h"
#include "monitor/policy/rule_parser.h"

namespace imawatch::policy {
namespace {

// Reference kernels (same build options) that refuse one rule line.
std::vector<KernelVersion> RejectingKernels(std::string_view line, const KernelConfig& config) {
  std::vector<KernelVersion> out;
  for (KernelVersion kernel : ReferenceKernels()) {
    if (ParseRule(line, Target{kernel, config}).error) out.push_back(kernel);
  }
  return out;
}

}  // namespace

LintReport LintPolicy(std::string_view text, std::string source, const Target& target) {
  LintReport report;
  report.source = std::move(source);
  report.target = target;
  PolicyParse parsed = ParsePolicy(text, target);
  report.rule_lines = parsed.rule_lines;
  auto lines = SplitLines(text);
  for (auto& error : parsed.errors) {
    bool rule_level = error.line > 0 && error.code != "nul-byte" && error.code != "line-too-long";
    if (rule_level) {
      error.rejected_by = RejectingKernels(lines[error.line - 1], target.config);
    } else {
      auto all = ReferenceKernels();
      error.rejected_by.assign(all.begin(), all.end());
    }
    report.diagnostics.push_back(std::move(error));
  }
  for (auto& warning : FindRisks(parsed.policy, target)) {
    auto rule = std::find_if(parsed.policy.rules.begin(), parsed.policy.rules.end(),
                             [&](const PolicyRule& r) { return r.line == warning.line; });
    if (rule != parsed.policy.rules.end() &&
        std::find(rule->allowed.begin(), rule->allowed.end(), warning.code) != rule->allowed.end()) {
      ++report.acknowledged;
      continue;
    }
    report.diagnostics.push_back(std::move(warning));
  }
  std::stable_sort(report.diagnostics.begin(), report.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return a.line != b.line ? a.line < b.line : a.column < b.column;
                   });
  for (const auto& d : report.diagnostics) {
    if (d.severity == Severity::kError) {
      ++report.errors;
    } else {
      ++report.warnings;
    }
  }
  report.policy = std::move(parsed.policy);
  return report;
}

}  // namespace imawatch::policy
