#include "monitor/cli/check_run.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "monitor/appraise/allow_list_io.h"
#include "monitor/base/hostname.h"
#include "monitor/cli/json_output.h"
#include "monitor/ima/log_tail.h"

namespace imawatch::cli {

namespace comp = imawatch::compliance;

void AddCheckOptions(CLI::App* cmd, CheckArgs& args) {
  cmd->add_option("--benchmarks-dir", args.benchmarks_dir, "Where benchmarks are found by id")
      ->capture_default_str();
  cmd->add_option("--log", args.log, "Measurement list (binary or ascii), proved against --pcrs");
  cmd->add_option("--pcrs", args.pcrs, "PCR values (same forms as imawatch verify --pcrs)");
  cmd->add_option("--securityfs", args.securityfs,
                  "Instead of --log/--pcrs: a securityfs root, proved against the TPM at --tcti");
  cmd->add_option("--tcti", args.tcti, "The TPM, e.g. device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321");
  cmd->add_option("--allowlist", args.allowlists,
                  "Allow list (native, binary, Keylime policy or sha256sum output); repeatable");
  cmd->add_option("--cert", args.certs,
                  "X.509 certificate (DER or PEM) trusted for IMA signatures; repeatable");
  cmd->add_option("--root", args.root, "Where the node's files are read (attested content)")
      ->capture_default_str();
  cmd->add_option("--level", args.level, "Only recommendations of this level and below (1 or 2)")
      ->check(CLI::Range(1, 2));
  cmd->add_option("--profile", args.profile, "Only recommendations of this profile (benchmark profile id)");
  cmd->add_option("--ima-pcrs", args.ima_pcrs, "PCRs the IMA policy extends")
      ->delimiter(',')
      ->check(CLI::Range(0, 23));
  cmd->add_flag("--measures-module-loads", args.measures_module_loads,
                "The IMA policy in effect measures MODULE_CHECK: a module without an entry was not loaded "
                "(otherwise module-not-loaded checks are errors)");
  cmd->add_option("--threads", args.threads, "Hashing threads for the replay (default: one per CPU)");
  AddListOptions(cmd, args.list);
}

Result<std::unique_ptr<CheckRun>> RunCheckCommand(const CheckArgs& args) {
  const bool live = !args.securityfs.empty() || !args.tcti.empty();
  if (live ? (args.securityfs.empty() || args.tcti.empty() || !args.log.empty() || !args.pcrs.empty())
           : (args.log.empty() || args.pcrs.empty())) {
    return InvalidInput("give --log with --pcrs, or --securityfs with --tcti");
  }
  auto benchmark = comp::FindBenchmark(Env::Default(), args.benchmark, args.benchmarks_dir);
  if (!benchmark) return benchmark.error();
  if (!args.profile.empty() && std::none_of(benchmark->profiles.begin(), benchmark->profiles.end(),
                                            [&](const comp::Profile& p) { return p.id == args.profile; })) {
    return InvalidInput("benchmark " + benchmark->id + " has no profile '" + args.profile + "'");
  }

  comp::CheckInputs in;
  in.reader = args.list.reader();
  in.ima_pcrs = args.ima_pcrs;
  in.root = args.root;
  in.measures_module_loads = args.measures_module_loads;
  in.max_level = args.level;
  if (!args.profile.empty()) in.profile = args.profile;
  in.threads = args.threads;
  auto lists = appraise::LoadAllowLists(Env::Default(), args.allowlists);
  if (!lists) return lists.error();
  in.allow_lists = std::move(*lists);
  auto keys = appraise::LoadTrustedKeys(Env::Default(), args.certs);
  if (!keys) return keys.error();
  in.keys = std::move(*keys);
  std::optional<comp::CheckOutcome> outcome;
  if (live) {
    in.reading_source = "TPM " + args.tcti;
    in.list_path = ima::LogTail::ListPath(args.securityfs);
    // As verify --securityfs does: the PCRs are read before the list (the kernel appends before
    // it extends), entries they do not cover get new readings for up to a second, and entries
    // that were in the list before a later reading and stay uncovered were never extended.
    uint64_t listed_first = 0;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (int attempt = 0;; ++attempt) {
      auto reading = ReadTpmPcrs(args.tcti, args.ima_pcrs);
      if (!reading) return reading.error();
      in.reading = std::move(*reading);
      auto checked = comp::RunCheck(Env::Default(), *benchmark, in);
      if (!checked) return checked.error();
      outcome = std::move(*checked);
      const uint64_t proved = outcome->verify.proved_entries();
      if (attempt == 0) listed_first = outcome->verify.entries;
      if (!outcome->verified || proved >= outcome->verify.entries) break;
      if (attempt > 0 && proved >= listed_first) break;
      if (std::chrono::steady_clock::now() >= give_up) {
        comp::MarkListNotVerified(
            comp::FilterBenchmark(*benchmark, in.max_level, in.profile),
            "entries " + std::to_string(proved) + ".." + std::to_string(listed_first - 1) +
                " were in the list before the PCRs were read again, and readings for 1 s do not cover them: "
                "appended without extending the TPM",
            *outcome);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  } else {
    auto reading = ima::LoadPcrValues(Env::Default(), args.pcrs);
    if (!reading) return reading.error();
    in.reading = std::move(*reading);
    in.reading_source = args.pcrs;
    in.list_path = args.log;
    auto checked = comp::RunCheck(Env::Default(), *benchmark, in);
    if (!checked) return checked.error();
    outcome = std::move(*checked);
  }

  auto run = std::make_unique<CheckRun>();
  run->evaluated = comp::FilterBenchmark(*benchmark, in.max_level, in.profile);
  run->outcome = std::move(*outcome);
  run->doc = report::ReportDocument{.benchmark = &run->evaluated,
                                    .outcome = &run->outcome,
                                    .hostname = HostName(),
                                    .root = args.root,
                                    .list = args.securityfs.empty() ? args.log : args.securityfs,
                                    .pcr_source = args.tcti.empty() ? args.pcrs : "TPM " + args.tcti};
  return run;
}

}  // namespace imawatch::cli
