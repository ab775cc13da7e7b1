// imawatch verify: replays a measurement list and proves it against PCR values.
#include "monitor/ima/verify.h"

#include <iostream>

#include "monitor/cli/command.h"
#include "monitor/cli/list_options.h"
#include "monitor/ima/json.h"
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
};

void PrintText(const ima::VerifyReport& r) {
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
  if (r.verified()) {
    std::cout << "result: VERIFIED (" << r.proved_entries() << " of " << r.entries << " entries proved";
    if (r.proved_entries() < r.entries) std::cout << "; the rest were appended after the PCRs were read";
    std::cout << ")\n";
  } else {
    std::cout << "result: NOT VERIFIED\n";
  }
}

int Run(const VerifyArgs& args) {
  auto banks = ParseBanks(args.banks);
  if (!banks) return ReportInputError("verify", banks.error());
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
                  "binary_runtime_measurements[_<bank>] or ascii_runtime_measurements (format detected)")
      ->required();
  cmd->add_option(
         "--pcrs", args->pcrs,
         "PCR values: bank:pcr:hex lines, tpm2_pcrread output, tsspcrread output, or a directory laid "
         "out like /sys/class/tpm/tpm0 (pcr-<bank>/<n>)")
      ->required();
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
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  AddListOptions(cmd, args->list);
  cmd->callback([args, &exit_code] { exit_code = Run(*args); });
});

}  // namespace
}  // namespace imawatch::cli
