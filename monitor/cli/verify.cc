// imawatch verify: replays a measurement list and proves it against PCR values.
#include "monitor/ima/verify.h"

#include <csignal>
#include <iostream>
#include <thread>

#include "monitor/cli/command.h"
#include "monitor/cli/follow.h"
#include "monitor/cli/list_options.h"
#include "monitor/ima/json.h"
#include "monitor/ima/log_tail.h"
#include "monitor/tpm/event_log.h"

namespace imawatch::cli {
namespace {

struct VerifyArgs {
  std::string log;
  std::string pcrs;
  std::string event_log;
  std::vector<std::string> banks;
  std::vector<uint32_t> ima_pcrs = {10};
  bool json = false;
  unsigned threads = 0;
  ListOptions list;
  std::string securityfs;
  std::string tcti;
  bool follow = false;
  unsigned interval_ms = 1000;
};

// never_extended: entries the TPM never received (verify --securityfs), which overrule a proof.
void PrintText(const ima::VerifyReport& r, const std::string& never_extended = "") {
  std::cout << "list: " << r.source << " (" << (r.ascii_input ? "ascii" : "binary") << ", " << r.entries
            << " entries, " << r.violations << " violations; templates:";
  for (const auto& [name, count] : r.templates) std::cout << " " << name << "=" << count;
  std::cout << ")\n";
  if (r.boot_aggregate) {
    const auto& ba = *r.boot_aggregate;
    std::cout << "boot_aggregate: " << ima::Name(ba.status);
    if (ba.bank)
      std::cout << " (" << ima::Name(*ba.bank)
                << (*ba.bank == ima::HashAlgo::kSha1 ? " PCRs 0-7" : " PCRs 0-9") << ")";
    if (ba.status == ima::BootAggregateCheck::Status::kMismatch) {
      std::cout << "\n  logged   " << ba.logged << "\n  computed " << ba.computed;
    }
    std::cout << "\n";
  }
  if (r.template_digest_mismatches > 0) {
    std::cout << "template digests not matching their data: " << r.template_digest_mismatches << " (entries";
    for (uint64_t i : r.template_digest_mismatch_examples) std::cout << " " << i;
    std::cout << ")\n";
  }
  std::printf("%-8s %-4s %-11s %-19s %-9s %s\n", "bank", "pcr", "result", "variant", "proved",
              "not yet covered");
  for (const auto& p : r.proofs) {
    std::string result = !p.expected ? "no-reading" : p.matched ? "verified" : "MISMATCH";
    std::string variant = p.variant ? std::string(ima::Name(*p.variant)) : "-";
    std::printf("%-8s %-4u %-11s %-19s %-9s %llu\n", std::string(ima::Name(p.bank)).c_str(), p.pcr,
                result.c_str(), variant.c_str(),
                (std::to_string(p.proved) + "/" + std::to_string(p.entries)).c_str(),
                static_cast<unsigned long long>(p.entries - p.proved));
    if (p.expected && !p.matched) {
      std::cout << "  expected " << p.expected->hex() << "\n";
      for (uint8_t i = 0; i < p.variants; ++i) {
        std::printf("  computed %s (%s)\n", p.computed[i].hex().c_str(),
                    std::string(ima::Name(static_cast<ima::ExtendVariant>(i))).c_str());
      }
    }
  }
  if (!never_extended.empty()) std::cout << "MISMATCH: " << never_extended << "\n";
  if (r.verified() && never_extended.empty()) {
    std::cout << "result: VERIFIED (" << r.proved_entries() << " of " << r.entries << " entries proved";
    if (r.proved_entries() < r.entries) std::cout << "; the rest were appended after the PCRs were read";
    std::cout << ")\n";
  } else {
    std::cout << "result: NOT VERIFIED\n";
  }
}

// One shot against the TPM. The PCRs are read before the list, so the list covers them (the
// kernel appends before it extends). Entries they do not cover get new readings for up to a
// second (the kernel may have been extending one of them); entries that were in the list
// before a later reading and stay uncovered were never extended.
int RunSecurityfs(const VerifyArgs& args, const std::vector<ima::HashAlgo>& banks) {
  ima::VerifyOptions options{
      .banks = banks, .ima_pcrs = args.ima_pcrs, .threads = args.threads, .reader = args.list.reader()};
  const std::string path = ima::LogTail::ListPath(args.securityfs);
  std::optional<ima::VerifyReport> report;
  std::string never_extended;
  uint64_t listed_first = 0;  // entries in the list before the second reading was taken
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (int attempt = 0;; ++attempt) {
    auto reading = ReadTpmPcrs(args.tcti, args.ima_pcrs);
    if (!reading) return ReportInputError("verify", reading.error());
    auto verified = ima::VerifyMeasurementList(Env::Default(), path, *reading, options);
    if (!verified) return ReportInputError("verify", verified.error());
    report = std::move(*verified);
    if (attempt == 0) listed_first = report->entries;
    if (!report->verified() || report->proved_entries() >= report->entries) break;
    if (attempt > 0 && report->proved_entries() >= listed_first) break;
    if (std::chrono::steady_clock::now() >= give_up) {
      never_extended = "entries " + std::to_string(report->proved_entries()) + ".." +
                       std::to_string(listed_first - 1) +
                       " were in the list before the PCRs were read again, and readings for 1 s do not cover "
                       "them: appended without extending the TPM";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (args.json) {
    auto j = ima::VerifyReportToJson(*report);
    if (!never_extended.empty()) {
      j["verified"] = false;
      j["never_extended"] = never_extended;
    }
    std::cout << j.dump(2) << "\n";
  } else {
    PrintText(*report, never_extended);
  }
  return report->verified() && never_extended.empty() ? kExitOk : kExitFailed;
}

int Run(const VerifyArgs& args) {
  auto banks = ParseBanks(args.banks);
  if (!banks) return ReportInputError("verify", banks.error());
  const bool live = !args.securityfs.empty() || !args.tcti.empty();
  if (live) {
    if (args.securityfs.empty() || args.tcti.empty() || !args.log.empty() || !args.pcrs.empty()) {
      return ReportInputError("verify", InvalidInput("give --securityfs with --tcti, or --log with --pcrs"));
    }
    if (args.follow) {
      return Follow({.securityfs = args.securityfs,
                     .tcti = args.tcti,
                     .banks = *banks,
                     .ima_pcrs = args.ima_pcrs,
                     .interval = std::chrono::milliseconds(args.interval_ms),
                     .json = args.json,
                     .reader = args.list.reader()});
    }
    return RunSecurityfs(args, *banks);
  }
  if (args.log.empty() || args.pcrs.empty() || args.follow) {
    return ReportInputError(
        "verify", InvalidInput("give --log with --pcrs, or --securityfs with --tcti (and --follow)"));
  }
  auto reading = ima::LoadPcrValues(Env::Default(), args.pcrs);
  if (!reading) return ReportInputError("verify", reading.error());
  if (!args.event_log.empty()) {
    auto log = tpm::LoadEventLog(Env::Default(), args.event_log);
    if (!log) return ReportInputError("verify", log.error());
    reading->AddMissing(tpm::ReplayEventLog(*log));
  }
  ima::VerifyOptions options{
      .banks = *banks, .ima_pcrs = args.ima_pcrs, .threads = args.threads, .reader = args.list.reader()};
  auto report = ima::VerifyMeasurementList(Env::Default(), args.log, *reading, options);
  if (!report) return ReportInputError("verify", report.error());
  if (args.json) {
    std::cout << ima::VerifyReportToJson(*report).dump(2) << "\n";
  } else {
    PrintText(*report);
  }
  return report->verified() ? kExitOk : kExitFailed;
}

const CommandRegistration kVerify("verify", [](CLI::App& root, int& exit_code) {
  auto args = std::make_shared<VerifyArgs>();
  auto* cmd = root.add_subcommand("verify", "Replay an IMA measurement list and prove it against PCR values");
  cmd->footer(
      "Exit status: 0 verified, 1 mismatch (or a forged template digest / boot_aggregate), 2 usage or input "
      "error.\nPCRs read while the kernel still appends prove a prefix of the list: the entries after it are "
      "reported as not yet covered.");
  cmd->add_option("--log", args->log,
                  "binary_runtime_measurements[_<bank>] or ascii_runtime_measurements (format detected)");
  cmd->add_option(
      "--pcrs", args->pcrs,
      "PCR values: bank:pcr:hex lines, tpm2_pcrread output, tsspcrread output, or a directory laid "
      "out like /sys/class/tpm/tpm0 (pcr-<bank>/<n>)");
  cmd->add_option(
      "--event-log", args->event_log,
      "Firmware event log (binary_bios_measurements): PCRs it replays fill in values --pcrs lacks, "
      "e.g. PCRs 0-9 for the boot_aggregate check");
  cmd->add_option("--bank", args->banks, "Banks to verify, e.g. sha1,sha256 (default: every bank in --pcrs)");
  cmd->add_option(
         "--ima-pcrs", args->ima_pcrs,
         "PCRs the IMA policy extends (10 and any pcr= values); a non-zero one without entries in the "
         "list is a mismatch")
      ->delimiter(',')
      ->check(CLI::Range(0, 23));
  cmd->add_option("--threads", args->threads, "Hashing threads (default: one per CPU)");
  cmd->add_flag("--json", args->json, "Print the report as JSON (with --follow: one JSON object per line)");
  cmd->add_option("--securityfs", args->securityfs,
                  "Instead of --log/--pcrs: a securityfs root (/sys/kernel/security or a directory laid out "
                  "like it), proved against the TPM at --tcti");
  cmd->add_option("--tcti", args->tcti, "The TPM, e.g. device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321");
  cmd->add_flag("--follow", args->follow,
                "With --securityfs: keep proving the list as it grows; print each newly proved range, every "
                "mismatch and boot epoch; stop on SIGINT/SIGTERM (exit 1 if a mismatch was seen)");
  cmd->add_option("--interval", args->interval_ms, "--follow: milliseconds between polls")
      ->check(CLI::Range(1u, 3600000u));
  AddListOptions(cmd, args->list);
  cmd->callback([args, &exit_code] { exit_code = Run(*args); });
});

}  // namespace
}  // namespace imawatch::cli
