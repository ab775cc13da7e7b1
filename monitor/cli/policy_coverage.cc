#include "monitor/cli/policy_coverage.h"

#include <optional>
#include <vector>

namespace imawatch::cli {
namespace {

namespace comp = imawatch::compliance;
namespace pol = imawatch::policy;

// The access through which the monitor learns about a check's files.
pol::Access AccessFor(const comp::Check& check) {
  switch (check.kind) {
    case comp::CheckKind::kModuleLoaded:
    case comp::CheckKind::kModuleNotLoaded:
      return pol::Access::KernelRead(pol::Func::kModuleCheck);
    case comp::CheckKind::kMeasured:
      return pol::Access::Exec();
    default:
      return pol::Access::RootRead();
  }
}

// The files whose measurements decide the check; a module or a file named by a setting lives
// somewhere on the root filesystem ("/" stands for it).
std::vector<std::string> FilesOf(const comp::Check& check) {
  std::vector<std::string> files = check.files;
  if (check.path_from)
    files.insert(files.end(), check.path_from->files.begin(), check.path_from->files.end());
  if (files.empty() || check.path_from) files.push_back("/");
  return files;
}

std::optional<std::string> WhyUndecidable(const comp::Recommendation& rec, const pol::Policy& policy,
                                          pol::KernelVersion kernel, const pol::CoverageOptions& options) {
  for (const comp::Check& check : rec.checks) {
    if (check.kind == comp::CheckKind::kManual) return "needs " + check.source + ": " + check.reason;
    const pol::Access access = AccessFor(check);
    // A check lists every place its files may be (the kubelet's unit drop-ins under /etc, /usr/lib
    // and /run, ...): it is decidable when the policy measures at least one of them, and every
    // measured one with a template that carries what the check reads.
    std::optional<std::string> unmeasured;
    bool measured = false;
    for (const std::string& file : FilesOf(check)) {
      pol::MeasurementVerdict v =
          pol::EvaluateMeasurement(policy, kernel, pol::InferFileFacts(file), access, options);
      const std::string what = file == "/" ? std::string("files on the root filesystem") : file;
      if (v.measured == pol::Tristate::kNo) {
        if (!unmeasured)
          unmeasured =
              "the policy does not measure " + what + " (" + std::string(pol::FuncName(access.hook)) + ")";
        continue;
      }
      if (v.measured == pol::Tristate::kUnknown) {
        if (!unmeasured)
          unmeasured = "whether the policy measures " + what +
                       " depends on facts a path does not give (rule at line " +
                       std::to_string(v.undecided.empty() ? 0 : v.undecided.front().line) + ")";
        continue;
      }
      if (check.kind == comp::CheckKind::kMetadata && v.template_name != "evm-sig") {
        return "the policy measures " + what + " with " + v.template_name + " (line " +
               std::to_string(v.line) + "): owner/group/mode need evm-sig";
      }
      if (v.template_name == "ima-buf") {
        return "the policy measures " + what + " with ima-buf, which carries no file digest";
      }
      measured = true;
    }
    if (!measured && unmeasured) return unmeasured;
  }
  return std::nullopt;
}

}  // namespace

comp::Coverage PolicyCoverage(const comp::Benchmark& benchmark, const pol::Policy& policy,
                              pol::KernelVersion kernel, const std::string& default_template) {
  pol::CoverageOptions options{.default_template = default_template};
  return comp::ComputeCoverage(benchmark, "policy", [&](const comp::Recommendation& rec) {
    return WhyUndecidable(rec, policy, kernel, options);
  });
}

}  // namespace imawatch::cli
