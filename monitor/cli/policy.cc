// imawatch policy check|load|show: lint an IMA policy exactly as a chosen kernel parses it,
// load it safely into securityfs, print the active policy.
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "monitor/base/env.h"
#include "monitor/cli/command.h"
#include "monitor/cli/json_output.h"
#include "monitor/cli/policy_coverage.h"
#include "monitor/compliance/benchmark_catalog.h"
#include "monitor/policy/kernel.h"
#include "monitor/policy/kernel_log.h"
#include "monitor/policy/lint.h"
#include "monitor/policy/loader.h"
#include "monitor/policy/trial.h"
#include "monitor/store/store.h"

namespace imawatch::cli {
namespace {

using nlohmann::json;
namespace pol = imawatch::policy;

constexpr uint64_t kMaxPolicyBytes = 16 << 20;

struct TargetArgs {
  std::string kernel;
  std::string kernel_config;
  std::vector<std::string> settings;
};

// The build options the linter models, as a kernel .config sets them (absent or "is not set": n).
Status ApplyKernelConfig(pol::KernelConfig& config, const std::string& path) {
  auto text = Env::Default().ReadFile(path, kMaxPolicyBytes);
  if (!text) return text.error().WithSource(path);
  for (const char* option :
       {"IMA_APPRAISE_MODSIG", "IMA_MEASURE_ASYMMETRIC_KEYS", "IMA_LSM_RULES", "IMA_APPRAISE"}) {
    const std::string line = "CONFIG_" + std::string(option) + "=y\n";
    const bool enabled = text->starts_with(line) || text->find("\n" + line) != std::string::npos;
    if (Status s = pol::ApplyKernelSetting(config, std::string(option) + (enabled ? "=y" : "=n")); !s)
      return s;
  }
  return Status::Ok();
}

struct ResolvedTarget {
  pol::Target target;
  std::string from;  // where the kernel version came from
  std::string note;  // when the version is outside the modeled range
};

void AddTargetOptions(CLI::App* cmd, TargetArgs& args) {
  cmd->add_option("--kernel", args.kernel,
                  "Kernel version to check for (e.g. 6.1 or 5.15.0-91-generic); default: the running kernel "
                  "(uname -r), else the newest modeled (" +
                      pol::NewestReferenceKernel().ToString() + ")");
  cmd->add_option(
      "--kernel-config", args.kernel_config,
      "The kernel's build configuration (e.g. /boot/config-$(uname -r)): sets IMA_APPRAISE_MODSIG, "
      "IMA_MEASURE_ASYMMETRIC_KEYS, IMA_LSM_RULES and IMA_APPRAISE from it (--kernel-setting overrides)");
  cmd->add_option(
      "--kernel-setting", args.settings,
      "Kernel build option or LSM: IMA_APPRAISE_MODSIG=n, IMA_MEASURE_ASYMMETRIC_KEYS=n, "
      "IMA_LSM_RULES=n, IMA_APPRAISE=n, lsm=selinux|apparmor|smack|none, hash_algos=sha1|sha256 (what the "
      "crypto API provides), apparmor_profiles=a|b (loaded profiles) (repeatable)");
}

Result<ResolvedTarget> Resolve(const TargetArgs& args) {
  ResolvedTarget out;
  if (!args.kernel.empty()) {
    auto version = pol::ParseKernelVersion(args.kernel);
    if (!version) return InvalidInput("--kernel '" + args.kernel + "' is not a kernel version such as 6.1");
    out.target.kernel = *version;
    out.from = "--kernel " + args.kernel;
  } else {
    std::string release = pol::RunningKernelRelease();
    out.target.kernel = pol::KernelForRelease(release);
    out.from = pol::ParseKernelVersion(release) ? "uname -r " + release : "default (newest modeled)";
  }
  if (!args.kernel_config.empty()) {
    if (Status s = ApplyKernelConfig(out.target.config, args.kernel_config); !s) return s.error();
  }
  for (const auto& setting : args.settings) {
    if (Status s = pol::ApplyKernelSetting(out.target.config, setting); !s) return s.error();
  }
  if (out.target.kernel < pol::OldestReferenceKernel()) {
    out.note = "kernel " + out.target.kernel.ToString() + " is older than the oldest modeled kernel (" +
               pol::OldestReferenceKernel().ToString() + "); checked with that kernel's parser";
  } else if (out.target.kernel > pol::NewestReferenceKernel()) {
    out.note = "kernel " + out.target.kernel.ToString() + " is newer than the newest modeled kernel (" +
               pol::NewestReferenceKernel().ToString() + "); checked with that kernel's parser";
  }
  return out;
}

json KernelsJson(const std::vector<pol::KernelVersion>& kernels) {
  json out = json::array();
  for (const auto& k : kernels) out.push_back(k.ToString());
  return out;
}

json LintJson(const pol::LintReport& report, const ResolvedTarget& target) {
  json diagnostics = json::array();
  for (const auto& d : report.diagnostics) {
    json item = {{"severity", pol::SeverityName(d.severity)},
                 {"code", d.code},
                 {"line", d.line},
                 {"column", d.column},
                 {"token", d.token},
                 {"message", d.message}};
    if (d.severity == pol::Severity::kError) item["rejected_by"] = KernelsJson(d.rejected_by);
    diagnostics.push_back(std::move(item));
  }
  const auto& config = report.target.config;
  return {
      {"file", report.source},
      {"kernel", report.target.kernel.ToString()},
      {"kernel_from", target.from},
      {"kernel_note", target.note},
      {"kernel_settings",
       {{"IMA_APPRAISE_MODSIG", config.appraise_modsig},
        {"IMA_MEASURE_ASYMMETRIC_KEYS", config.measure_asymmetric_keys},
        {"IMA_LSM_RULES", config.lsm_rules},
        {"IMA_APPRAISE", config.appraise},
        {"lsm", pol::LsmName(config.lsm)},
        {"hash_algos", config.hash_algos ? json(*config.hash_algos) : json(nullptr)},
        {"apparmor_profiles", config.apparmor_profiles ? json(*config.apparmor_profiles) : json(nullptr)}}},
      {"rules", report.policy.rules.size()},
      {"rule_lines", report.rule_lines},
      {"errors", report.errors},
      {"warnings", report.warnings},
      {"acknowledged", report.acknowledged},
      {"ok", report.ok()},
      {"diagnostics", std::move(diagnostics)}};
}

void PrintLint(const pol::LintReport& report, const ResolvedTarget& target) {
  for (const auto& d : report.diagnostics) {
    std::cout << d.ToString(report.source) << "\n";
  }
  if (!target.note.empty()) std::cerr << "note: " << target.note << "\n";
  std::cout << report.source << ": " << report.policy.rules.size() << " of " << report.rule_lines
            << " rules accepted, " << report.errors << " error" << (report.errors == 1 ? "" : "s") << ", "
            << report.warnings << " warning" << (report.warnings == 1 ? "" : "s");
  if (report.acknowledged) std::cout << " (" << report.acknowledged << " acknowledged)";
  std::cout << " for kernel " << report.target.kernel.ToString() << " (" << target.from << ")\n";
}

Result<std::string> ReadPolicyFile(const std::string& path) {
  auto text = Env::Default().ReadFile(path, kMaxPolicyBytes);
  if (!text) return text.error().WithSource(path);
  return text;
}

int InputError(std::string_view what, const Error& error) {
  std::cerr << "imawatch policy " << what << ": " << error.ToString() << "\n";
  return kExitUsage;
}

// ---- check ----

struct CheckArgs {
  std::string file;
  TargetArgs target;
  bool json = false;
};

int Check(const CheckArgs& args) {
  auto target = Resolve(args.target);
  if (!target) return InputError("check", target.error());
  auto text = ReadPolicyFile(args.file);
  if (!text) return InputError("check", text.error());
  pol::LintReport report = pol::LintPolicy(*text, args.file, target->target);
  if (args.json) {
    json out = LintJson(report, *target);
    out["digest"] = pol::Sha256Digest(*text);
    std::cout << JsonText(out) << "\n";
  } else {
    PrintLint(report, *target);
  }
  return report.ok() ? kExitOk : kExitFailed;
}

// ---- load ----

struct LoadArgs {
  std::string file;
  std::string securityfs = "/sys/kernel/security";
  TargetArgs target;
  bool signed_path = false;
  bool json = false;
  std::string store;
};

// The load, its digest and the kernel's answer in the store, for the daemon's metrics.
Status RecordLoad(const std::string& path, const pol::LoadReport& report, const std::string& policy_text,
                  const std::vector<std::string>& kernel_log) {
  auto store = store::Store::Open(path);
  if (!store) return store.error();
  std::string message = report.kernel_message;
  for (const auto& line : kernel_log) message += (message.empty() ? "" : "\n") + line;
  return store->RecordPolicyLoad(
      {.loaded_at = static_cast<int64_t>(std::time(nullptr)),
       .outcome = std::string(pol::LoadOutcomeName(report.outcome)),
       .source = report.lint.source,
       .digest = report.digest.empty() ? pol::Sha256Digest(policy_text) : report.digest,
       .rules = static_cast<int64_t>(report.rules),
       .kernel = report.lint.target.kernel.ToString(),
       .policy = report.written.empty() ? policy_text : report.written,
       .kernel_message = message});
}

size_t CountRules(const std::string& text) {
  size_t n = 0;
  for (auto line : pol::SplitLines(text)) {
    if (!pol::IsSkippedLine(line)) ++n;
  }
  return n;
}

int Load(const LoadArgs& args) {
  auto target = Resolve(args.target);
  if (!target) return InputError("load", target.error());
  std::string path = args.file;
  if (args.signed_path) {
    std::error_code ec;
    path = std::filesystem::absolute(args.file, ec).lexically_normal().string();
    if (ec)
      return InputError("load",
                        InvalidInput("cannot make an absolute path: " + ec.message(), {.source = args.file}));
  }
  auto text = ReadPolicyFile(path);
  if (!text) return InputError("load", text.error());
  pol::LoadOptions options{
      .securityfs = args.securityfs, .target = target->target, .as_path = args.signed_path};
  std::vector<std::string> log_before = pol::KernelLogLines();
  pol::LoadReport report = pol::LoadPolicy(Env::Default(), *text, path, options);
  std::vector<std::string> kernel_log = report.outcome == pol::LoadOutcome::kRefused
                                            ? std::vector<std::string>{}
                                            : pol::NewImaLogLines(log_before, pol::KernelLogLines());
  // Without CONFIG_IMA_READ_POLICY the file is gone after a load: the kernel applied and sealed it.
  const bool file_removed = report.outcome == pol::LoadOutcome::kLoaded && !report.active_after &&
                            !Env::Default().Exists(report.policy_file);
  int store_rc = kExitOk;
  if (!args.store.empty()) {
    if (Status s = RecordLoad(args.store, report, *text, kernel_log); !s.ok()) {
      std::cerr << "imawatch policy load: recording in the store: " << s.error().ToString() << "\n";
      store_rc = kExitFailed;
    }
  }

  if (args.json) {
    json kernel_error = nullptr;
    if (report.outcome == pol::LoadOutcome::kRejected || report.outcome == pol::LoadOutcome::kUnavailable) {
      kernel_error = {{"errno", report.kernel_errno},
                      {"message", report.kernel_message},
                      {"line", report.rejected_line},
                      {"rule", report.rejected_text}};
    }
    json active = {
        {"readable", report.active_after.has_value()},
        {"error", report.readback_error},
        {"rules_before", report.active_before ? json(CountRules(*report.active_before)) : json(nullptr)},
        {"rules_after", report.active_after ? json(CountRules(*report.active_after)) : json(nullptr)},
        {"confirms_load", report.readback_confirms ? json(*report.readback_confirms) : json(nullptr)}};
    json out = {{"file", path},
                {"policy_file", report.policy_file},
                {"mode", report.as_path ? "path" : "rules"},
                {"kernel", report.lint.target.kernel.ToString()},
                {"outcome", pol::LoadOutcomeName(report.outcome)},
                {"rules", report.rules},
                {"writes_accepted", report.writes_accepted},
                {"digest", report.digest},
                {"kernel_error", std::move(kernel_error)},
                {"explanation", report.explanation},
                {"active_policy", std::move(active)},
                {"policy_file_removed", file_removed},
                {"kernel_log", kernel_log},
                {"store", args.store.empty() ? json(nullptr) : json(args.store)},
                {"lint", LintJson(report.lint, *target)}};
    std::cout << JsonText(out) << "\n";
  } else {
    if (!report.lint.diagnostics.empty() || !report.lint.ok()) PrintLint(report.lint, *target);
    switch (report.outcome) {
      case pol::LoadOutcome::kLoaded:
        std::cout << "loaded " << report.rules << " rule" << (report.rules == 1 ? "" : "s") << " into "
                  << report.policy_file << (report.as_path ? " (by path)" : "") << ", " << report.digest
                  << "\n";
        break;
      case pol::LoadOutcome::kRefused:
        std::cout << "refused: " << report.explanation << "\n";
        break;
      case pol::LoadOutcome::kUnavailable:
        std::cout << "cannot load: " << report.policy_file << ": " << report.kernel_message << ": "
                  << report.explanation << "\n";
        break;
      case pol::LoadOutcome::kRejected:
        std::cout << "rejected by the kernel";
        if (report.rejected_line) std::cout << " at " << path << ":" << report.rejected_line;
        std::cout << " ('" << report.rejected_text << "'): " << report.kernel_message << ". "
                  << report.explanation << "\n";
        break;
    }
    if (report.outcome == pol::LoadOutcome::kLoaded || report.outcome == pol::LoadOutcome::kRejected) {
      if (report.active_after) {
        std::cout << "active policy: " << CountRules(*report.active_after) << " rules";
        if (report.readback_confirms) {
          std::cout << (*report.readback_confirms ? ", ending with the rules just loaded"
                                                  : ", NOT ending with the rules just loaded");
        }
        std::cout << "\n";
      } else if (file_removed) {
        std::cout << "the kernel applied the policy and removed " << report.policy_file
                  << " (no CONFIG_IMA_WRITE_POLICY/CONFIG_IMA_READ_POLICY): it stays until reboot\n";
      } else {
        std::cout << "active policy not readable: " << report.readback_error << "\n";
      }
    }
    for (const auto& line : kernel_log) std::cout << "kernel: " << line << "\n";
  }
  switch (report.outcome) {
    case pol::LoadOutcome::kLoaded:
      return store_rc;
    case pol::LoadOutcome::kUnavailable:
      return kExitUsage;
    default:
      return kExitFailed;
  }
}

// ---- show ----

struct ShowArgs {
  std::string securityfs = "/sys/kernel/security";
  bool json = false;
};

int Show(const ShowArgs& args) {
  auto active = pol::ReadActivePolicy(Env::Default(), args.securityfs);
  if (!active) {
    std::cerr << "imawatch policy show: " << active.error().ToString()
              << " (the kernel shows its policy only with CONFIG_IMA_READ_POLICY, to root)\n";
    return kExitUsage;
  }
  if (args.json) {
    json rules = json::array();
    for (auto line : pol::SplitLines(*active)) {
      if (!pol::IsSkippedLine(line)) {
        std::string rule(line);
        while (!rule.empty() && rule.back() == ' ') rule.pop_back();
        rules.push_back(rule);
      }
    }
    json out = {{"policy_file", args.securityfs + "/ima/policy"},
                {"rules", std::move(rules)},
                {"digest", pol::Sha256Digest(*active)}};
    std::cout << JsonText(out) << "\n";
  } else {
    std::cout << *active;
    if (!active->empty() && active->back() != '\n') std::cout << "\n";
  }
  return kExitOk;
}

// ---- coverage ----

struct CoverageArgs {
  std::string file;
  std::string benchmark;
  std::string benchmarks_dir = compliance::DefaultBenchmarksDir();
  std::string default_template = "ima-ng";
  TargetArgs target;
  bool json = false;
};

int Coverage(const CoverageArgs& args) {
  auto target = Resolve(args.target);
  if (!target) return InputError("coverage", target.error());
  auto text = ReadPolicyFile(args.file);
  if (!text) return InputError("coverage", text.error());
  auto benchmark = compliance::FindBenchmark(Env::Default(), args.benchmark, args.benchmarks_dir);
  if (!benchmark) return InputError("coverage", benchmark.error());
  pol::LintReport lint = pol::LintPolicy(*text, args.file, target->target);
  if (!lint.ok()) {
    PrintLint(lint, *target);
    std::cerr << "imawatch policy coverage: the kernel would refuse this policy: fix its errors first\n";
    return kExitFailed;
  }
  compliance::Coverage c =
      PolicyCoverage(*benchmark, lint.policy, target->target.kernel, args.default_template);
  if (args.json) {
    json levels = json::array(), undecidable = json::array();
    for (const auto& row : c.by_level) {
      levels.push_back({{"level", row.title}, {"total", row.total}, {"decidable", row.decidable}});
    }
    for (const auto& u : c.undecidable)
      undecidable.push_back({{"id", u.id}, {"title", u.title}, {"reason", u.reason}});
    json out = {{"file", args.file},
                {"benchmark", benchmark->id},
                {"kernel", target->target.kernel.ToString()},
                {"default_template", args.default_template},
                {"total", c.total},
                {"decidable", c.decidable},
                {"by_level", std::move(levels)},
                {"undecidable", std::move(undecidable)}};
    std::cout << JsonText(out) << "\n";
    return kExitOk;
  }
  std::cout << benchmark->title << " v" << benchmark->version << " under " << args.file << " (kernel "
            << target->target.kernel.ToString() << ")\n";
  for (const auto& row : c.by_level) {
    std::cout << "  " << row.title << ": " << row.decidable << " of " << row.total << " decidable\n";
  }
  std::cout << "overall: " << c.decidable << " of " << c.total << "\n";
  for (const auto& u : c.undecidable)
    std::cout << "  " << u.id << "  " << u.title << "\n      " << u.reason << "\n";
  return kExitOk;
}

// ---- try ----

struct TryArgs {
  std::string file;
  std::string securityfs = "/sys/kernel/security";
  bool json = false;
};

int Try(const TryArgs& args) {
  auto text = ReadPolicyFile(args.file);
  if (!text) return InputError("try", text.error());
  pol::TrialReport report = pol::TryRules(Env::Default(), *text, args.securityfs);
  if (!report.opened) {
    std::cerr << "imawatch policy try: " << report.policy_file << ": " << report.open_error
              << " (the kernel offers the policy file to root, one writer at a time, and without "
                 "CONFIG_IMA_WRITE_POLICY only until a policy is loaded)\n";
    return kExitUsage;
  }
  if (args.json) {
    json verdicts = json::array();
    for (const auto& v : report.verdicts) {
      verdicts.push_back({{"line", v.line},
                          {"rule", v.rule},
                          {"accepted", v.accepted},
                          {"errno", v.kernel_errno},
                          {"error", v.kernel_message}});
    }
    json out = {{"file", args.file},
                {"policy_file", report.policy_file},
                {"rules", report.verdicts.size()},
                {"accepted", report.accepted()},
                {"rejected", report.rejected()},
                {"discarded", report.discarded},
                {"close_error", report.close_error},
                {"verdicts", std::move(verdicts)}};
    std::cout << JsonText(out) << "\n";
  } else {
    for (const auto& v : report.verdicts) {
      if (!v.accepted)
        std::cout << args.file << ":" << v.line << ": rejected by the kernel: " << v.kernel_message << ": "
                  << v.rule << "\n";
    }
    std::cout << args.file << ": the kernel accepted " << report.accepted() << " of "
              << report.verdicts.size() << " rules; "
              << (report.discarded ? "nothing was applied, the active policy is unchanged"
                                   : report.close_error)
              << "\n";
  }
  if (!report.discarded) return kExitFailed;
  return report.rejected() == 0 ? kExitOk : kExitFailed;
}

const CommandRegistration kPolicy("policy", [](CLI::App& root, int& exit_code) {
  auto* policy = root.add_subcommand("policy", "Check, load and show IMA policies");
  policy->require_subcommand(1);

  auto check_args = std::make_shared<CheckArgs>();
  auto* check = policy->add_subcommand(
      "check",
      "Lint a policy exactly as the kernel parses it (exit 0 clean, 1 errors, 2 usage or input error)");
  check->add_option("file", check_args->file, "Policy file")->required();
  AddTargetOptions(check, check_args->target);
  check->add_flag("--json", check_args->json, "Machine-readable report");
  check->callback([check_args, &exit_code] { exit_code = Check(*check_args); });

  auto load_args = std::make_shared<LoadArgs>();
  auto* load = policy->add_subcommand(
      "load",
      "Lint, then load a policy into the kernel one rule per write, and read the result back "
      "(exit 0 loaded, 1 refused or rejected, 2 usage or no policy file)");
  load->add_option("file", load_args->file, "Policy file")->required();
  load->add_option("--securityfs", load_args->securityfs, "securityfs root (default /sys/kernel/security)");
  AddTargetOptions(load, load_args->target);
  load->add_option("--store", load_args->store,
                   "Record the load (policy, digest, the kernel's answer) in this imawatch store; the daemon "
                   "exports the latest as metrics");
  load->add_flag(
      "--signed-path", load_args->signed_path,
      "Write the file's absolute path instead of its rules: the kernel reads and appraises the signed "
      "file itself (needed once an appraise func=POLICY_CHECK rule is active)");
  load->add_flag("--json", load_args->json, "Machine-readable report, with the digest of what was loaded");
  load->callback([load_args, &exit_code] { exit_code = Load(*load_args); });

  auto try_args = std::make_shared<TryArgs>();
  auto* try_cmd = policy->add_subcommand(
      "try",
      "Ask the running kernel which rules it accepts, one write per rule, then make it discard them all: "
      "the active policy is unchanged (exit 0 all accepted, 1 some rejected, 2 no policy file)");
  try_cmd->add_option("file", try_args->file, "Policy file")->required();
  try_cmd->add_option("--securityfs", try_args->securityfs, "securityfs root (default /sys/kernel/security)");
  try_cmd->add_flag("--json", try_args->json, "Machine-readable verdict per rule");
  try_cmd->callback([try_args, &exit_code] { exit_code = Try(*try_args); });

  auto coverage_args = std::make_shared<CoverageArgs>();
  auto* coverage = policy->add_subcommand(
      "coverage",
      "Which recommendations of a CIS benchmark the monitor can decide under this policy: the files each "
      "reads measured, on the right hook, with a template carrying what it checks (exit 0, 1 policy errors, "
      "2 "
      "usage)");
  coverage->add_option("file", coverage_args->file, "Policy file")->required();
  coverage
      ->add_option("--benchmark", coverage_args->benchmark,
                   "Benchmark id (e.g. cis-kubernetes-v1.7.1) or YAML")
      ->required();
  coverage->add_option("--benchmarks-dir", coverage_args->benchmarks_dir, "Where benchmarks are found by id")
      ->capture_default_str();
  coverage
      ->add_option("--default-template", coverage_args->default_template,
                   "The kernel's ima_template= for rules without template=")
      ->capture_default_str();
  AddTargetOptions(coverage, coverage_args->target);
  coverage->add_flag("--json", coverage_args->json, "Machine-readable output");
  coverage->callback([coverage_args, &exit_code] { exit_code = Coverage(*coverage_args); });

  auto show_args = std::make_shared<ShowArgs>();
  auto* show =
      policy->add_subcommand("show", "Print the active policy (kernels with CONFIG_IMA_READ_POLICY)");
  show->add_option("--securityfs", show_args->securityfs, "securityfs root (default /sys/kernel/security)");
  show->add_flag("--json", show_args->json, "Machine-readable output");
  show->callback([show_args, &exit_code] { exit_code = Show(*show_args); });
});

}  // namespace
}  // namespace imawatch::cli
