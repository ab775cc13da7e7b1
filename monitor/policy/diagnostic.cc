#include "monitor/policy/diagnostic.h"

#include <algorithm>

namespace imawatch::policy {

std::string_view SeverityName(Severity severity) {
  return severity == Severity::kError ? "error" : "warning";
}

std::string DescribeKernels(const std::vector<KernelVersion>& kernels) {
  auto reference = ReferenceKernels();
  if (kernels.size() == reference.size() && std::equal(kernels.begin(), kernels.end(), reference.begin())) {
    return "all modeled kernels (" + reference.front().ToString() + " to " + reference.back().ToString() +
           ")";
  }
  std::string out;
  for (const auto& k : kernels) {
    if (!out.empty()) out += ", ";
    out += k.ToString();
  }
  return out;
}

std::string Diagnostic::ToString(std::string_view source) const {
  std::string out(source);
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  out += ": ";
  out += SeverityName(severity);
  out += ": " + code + ": ";
  if (!token.empty()) out += "'" + token + "': ";
  out += message;
  if (severity == Severity::kError && !rejected_by.empty()) {
    out += " [rejected by " + DescribeKernels(rejected_by) + "]";
  }
  return out;
}

}  // namespace imawatch::policy
