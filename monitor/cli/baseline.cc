// imawatch baseline: hash a golden root file system (or an unpacked container image) into an
// allow list, on all cores, recording paths the way IMA logs them.
#include "monitor/appraise/baseline.h"

#include <unistd.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "monitor/appraise/allow_list_io.h"
#include "monitor/base/env.h"
#include "monitor/cli/command.h"
#include "monitor/cli/json_output.h"

namespace imawatch::cli {
namespace {

namespace ap = imawatch::appraise;

struct BaselineArgs {
  std::string root;
  std::string out;
  std::vector<std::string> paths;
  std::vector<std::string> excludes;
  std::vector<std::string> tags;
  std::string algo = "sha256";
  std::string format;
  unsigned threads = 0;
  bool one_file_system = false;
  bool json = false;
};

ap::AllowListFormat FormatForPath(const std::string& path) {
  if (path.ends_with(".json")) return ap::AllowListFormat::kKeylime;
  if (path.ends_with(".bin")) return ap::AllowListFormat::kBinary;
  return ap::AllowListFormat::kNative;
}

void DrawProgress(const ap::BaselineProgress& p) {
  constexpr int kWidth = 30;
  double fraction = p.bytes_total ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total)
                                  : (p.files_total ? static_cast<double>(p.files_done) / p.files_total : 1.0);
  int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::cerr << "\r[" << bar << "] " << static_cast<int>(fraction * 100) << "% " << p.files_done << "/"
            << p.files_total << " files, " << (p.bytes_done >> 20) << "/" << (p.bytes_total >> 20) << " MiB"
            << std::flush;
}

int Run(const BaselineArgs& args) {
  auto fail = [](const std::string& message) {
    std::cerr << "imawatch baseline: " << message << "\n";
    return kExitUsage;
  };
  ap::BaselineOptions options;
  options.root = args.root;
  options.subtrees = args.paths;
  options.exclude_globs = args.excludes;
  options.threads = args.threads;
  options.one_file_system = args.one_file_system;
  auto algo = ima::HashAlgoFromName(args.algo);
  if (!algo) return fail("unknown hash algorithm '" + args.algo + "'");
  options.algo = *algo;
  for (const auto& rule : args.tags) {
    size_t eq = rule.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == rule.size()) {
      return fail("--tag wants GLOB=TAG, got '" + rule + "'");
    }
    options.tag_rules.emplace_back(rule.substr(0, eq), rule.substr(eq + 1));
  }
  ap::AllowListFormat format = FormatForPath(args.out);
  if (!args.format.empty()) {
    auto named = ap::FormatFromName(args.format);
    if (!named || *named == ap::AllowListFormat::kChecksum)
      return fail("--format is native, binary or keylime");
    format = *named;
  }
  const bool tty = isatty(STDERR_FILENO) == 1;
  if (tty) options.progress = DrawProgress;

  auto baseline = ap::BuildBaseline(Env::Default(), options);
  if (tty) std::cerr << "\n";
  if (!baseline) return fail(baseline.error().ToString());
  if (Status st = ap::SaveAllowList(Env::Default(), args.out, baseline->list, format); !st) {
    return fail(st.error().ToString());
  }

  const ap::BaselineReport& r = baseline->report;
  for (size_t i = 0; i < r.errors.size() && i < 20; ++i)
    std::cerr << "warning: " << r.errors[i].ToString() << "\n";
  if (r.errors.size() > 20) std::cerr << "warning: ... and " << r.errors.size() - 20 << " more\n";
  if (args.json) {
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& e : r.errors) errors.push_back(e.ToString());
    nlohmann::json out = {{"root", args.root},
                          {"out", args.out},
                          {"format", ap::FormatName(format)},
                          {"algorithm", args.algo},
                          {"files", r.files},
                          {"bytes", r.bytes},
                          {"symlinks_skipped", r.symlinks},
                          {"special_skipped", r.special},
                          {"excluded", r.excluded},
                          {"other_file_systems", r.other_file_systems},
                          {"threads", r.threads},
                          {"files_per_thread", r.files_per_thread},
                          {"wall_seconds", r.wall_seconds},
                          {"cpu_seconds", r.cpu_seconds},
                          {"errors", errors}};
    std::cout << JsonText(out) << "\n";
  } else {
    std::cerr << "baseline: " << r.files << " files (" << (r.bytes >> 20) << " MiB) -> " << args.out << " ("
              << ap::FormatName(format) << "); " << r.wall_seconds << " s wall, " << r.cpu_seconds
              << " s CPU on " << r.threads << " threads; skipped " << r.symlinks << " symlinks, " << r.special
              << " special files, " << r.excluded << " excluded; " << r.errors.size() << " unreadable\n";
  }
  return kExitOk;
}

const CommandRegistration kBaseline("baseline", [](CLI::App& root, int& exit_code) {
  auto args = std::make_shared<BaselineArgs>();
  auto* cmd = root.add_subcommand(
      "baseline",
      "Hash a golden root file system into an allow list, paths as IMA logs them (exit 0 written, 2 usage or "
      "input error)");
  cmd->add_option("--root", args->root, "Root directory of the golden image")->required();
  cmd->add_option("--out", args->out, "Allow list to write")->required();
  cmd->add_option("--path", args->paths,
                  "Only this directory inside the root, resolved inside it (/lib -> /usr/lib); repeatable");
  cmd->add_option("--exclude", args->excludes,
                  "Glob of paths to skip and to record as never judged (/var/log/**); repeatable");
  cmd->add_option("--tag", args->tags,
                  "GLOB=TAG: tag matching files (/etc/kubernetes/**=cis-k8s:4.1); repeatable");
  cmd->add_option("--algo", args->algo, "File hash algorithm, as the kernel's ima_hash (default sha256)");
  cmd->add_option("--format", args->format,
                  "native, binary or keylime (default: keylime for *.json, binary for *.bin, else native)");
  cmd->add_option("--threads", args->threads, "Hashing threads (default: one per CPU)");
  cmd->add_flag("--one-file-system", args->one_file_system, "Do not cross into other mounted file systems");
  cmd->add_flag("--json", args->json, "Machine-readable report on stdout");
  cmd->callback([args, &exit_code] { exit_code = Run(*args); });
});

}  // namespace
}  // namespace imawatch::cli
