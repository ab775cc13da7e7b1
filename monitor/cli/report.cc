// imawatch report: one benchmark's report in any format (doc/report-format.md), from the daemon's
// store or from a one-shot check over the same inputs `imawatch check` takes.
#include <sys/stat.h>

#include <ctime>
#include <fstream>
#include <iostream>

#include "monitor/base/hostname.h"
#include "monitor/cli/check_run.h"
#include "monitor/cli/command.h"
#include "monitor/cli/report_binding.h"
#include "monitor/store/store.h"
#include "monitor/tpm/attest.h"
#include "reporters/report/render.h"
#include "reporters/report/stored_report.h"

namespace imawatch::cli {
namespace {

using nlohmann::json;

struct ReportArgs {
  CheckArgs check;
  std::string store;
  std::string format = "json";
  std::string ocsf_version = "1.6";
  std::string out;
  std::string aws_account_id = "000000000000", aws_region = "us-east-1";
  bool attest = false;
  std::string ak_handle, ak_context, evidence;
};

constexpr uint64_t kMaxContextFile = 1 << 20;

// Quotes PCRs 0-10 with the report's SHA-256 as the nonce and writes the evidence bundle (the
// list read after the quote) beside the report.
Status AttestReport(const ReportArgs& args, const std::string& report_bytes) {
  tpm::AttestOptions options;
  options.nonce = ReportNonce(report_bytes);
  if (!args.ak_handle.empty()) {
    auto handle = tpm::ParsePersistentHandle(args.ak_handle);
    if (!handle) return handle.error();
    options.ak = tpm::AkLocation::Persistent(*handle);
  } else {
    auto bytes = Env::Default().ReadFile(args.ak_context, kMaxContextFile);
    if (!bytes) return bytes.error();
    options.ak = tpm::AkLocation::Context(std::vector<uint8_t>(bytes->begin(), bytes->end()));
  }
  options.list_path = args.check.securityfs + "/" + std::string(tpm::kBinaryListPath);
  options.hostname = HostName();
  auto opened = tpm::Tpm::Open(args.check.tcti);
  if (!opened) return opened.error();
  auto evidence = tpm::Attest(**opened, Env::Default(), options);
  if (!evidence) return evidence.error();
  return Env::Default().WriteFileAtomically(args.evidence, tpm::EvidenceToJson(*evidence));
}

Result<report::StoredReport> LoadFromStore(const ReportArgs& args) {
  struct stat st {};
  if (::stat(args.store.c_str(), &st) != 0)
    return IoError("cannot open store " + args.store + ": no such file");
  auto store = store::Store::Open(args.store);
  if (!store) return store.error();
  return report::LoadStoredReport(*store, args.check.benchmark);
}

Status WriteOut(const std::string& path, const std::string& bytes) {
  if (path.empty() || path == "-") {
    std::cout << bytes;
    std::cout.flush();
    return std::cout ? Status() : IoError("cannot write to stdout");
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  out.close();
  if (!out) return IoError("cannot write " + path);
  return Status();
}

int Run(ReportArgs args) {
  if (args.attest) {
    if (args.check.securityfs.empty() || args.check.tcti.empty() || args.out.empty() || args.out == "-" ||
        args.ak_handle.empty() == args.ak_context.empty()) {
      return ReportInputError("report",
                              InvalidInput("--attest needs a live check (--securityfs, --tcti), --out "
                                           "FILE and the AK (--ak-handle or --ak-context)"));
    }
    if (args.evidence.empty()) args.evidence = args.out + ".evidence.json";
  }
  auto format = report::FormatFromName(args.format);
  if (!format) {
    return ReportInputError(
        "report", InvalidInput("unknown format '" + args.format + "' (" + report::FormatNames() + ")"));
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  json source;
  std::optional<json> previous;
  if (!args.store.empty()) {
    if (!args.check.log.empty() || !args.check.pcrs.empty() || !args.check.securityfs.empty()) {
      return ReportInputError("report",
                              InvalidInput("give --store, or the inputs of a one-shot check, not both"));
    }
    auto stored = LoadFromStore(args);
    if (!stored) return ReportInputError("report", stored.error());
    source = std::move(stored->latest);
    previous = std::move(stored->previous);
  } else {
    auto run = RunCheckCommand(args.check);
    if (!run) return ReportInputError("report", run.error());
    (*run)->doc.generated_at = now;
    source = report::ReportJson((*run)->doc);
  }
  auto model = report::ReadReportModel(source, now);
  if (!model) return ReportInputError("report", model.error());
  std::optional<report::ReportModel> before;
  if (previous) {
    auto prev = report::ReadReportModel(*previous, now);
    if (prev) before = std::move(*prev);
  }
  report::RenderOptions options{.ocsf_version = args.ocsf_version,
                                .previous = before ? &*before : nullptr,
                                .aws_account_id = args.aws_account_id,
                                .aws_region = args.aws_region};
  auto bytes = report::Render(*format, {.report = source, .model = *model}, options);
  if (!bytes) return ReportInputError("report", bytes.error());
  Status written = WriteOut(args.out, *bytes);
  if (!written.ok()) return ReportInputError("report", written.error());
  if (args.attest) {
    Status attested = AttestReport(args, *bytes);
    if (!attested.ok()) return ReportInputError("report", attested.error());
    std::cerr << "report " << args.out << " bound to a TPM quote: evidence in " << args.evidence << "\n";
  }
  return kExitOk;
}

const CommandRegistration kReport("report", [](CLI::App& root, int& exit_code) {
  auto args = std::make_shared<ReportArgs>();
  auto* cmd = root.add_subcommand(
      "report",
      "Render a benchmark report (json, text, oscal, ocsf, asff, csv, junit, html) from the daemon's store "
      "or a one-shot check");
  cmd->footer(
      "With --store: the latest report snapshot the daemon stored for --benchmark (OCSF activity compares it "
      "with the one before). Otherwise the check options run a one-shot check as `imawatch check` does.\n"
      "Exit status: 0 written; 2 usage or input error.");
  cmd->add_option("--benchmark", args->check.benchmark,
                  "Benchmark id (e.g. cis-kubernetes-v1.7.1); with a one-shot check also a YAML file")
      ->required();
  cmd->add_option("--format", args->format, "Output format: " + report::FormatNames())->capture_default_str();
  cmd->add_option("--ocsf-version", args->ocsf_version, "OCSF schema version")
      ->check(CLI::IsMember({"1.6", "1.1"}))
      ->capture_default_str();
  cmd->add_option("--out", args->out, "Write here instead of stdout");
  cmd->add_option("--store", args->store, "The daemon's SQLite store: render its latest snapshot");
  cmd->add_option("--aws-account-id", args->aws_account_id, "ASFF: AwsAccountId and product ARN account")
      ->capture_default_str();
  cmd->add_option("--aws-region", args->aws_region, "ASFF: region of the product ARN")->capture_default_str();
  cmd->add_flag("--attest", args->attest,
                "Quote PCRs 0-10 with the report's SHA-256 as nonce and write the evidence beside --out "
                "(live check only; verify with imawatch verify-report)");
  cmd->add_option("--ak-handle", args->ak_handle, "--attest: the AK's persistent handle");
  cmd->add_option("--ak-context", args->ak_context, "--attest: the AK's context file (tpm ak create)");
  cmd->add_option("--evidence", args->evidence, "--attest: evidence file (default: OUT.evidence.json)");
  AddCheckOptions(cmd, args->check);
  cmd->callback([args, &exit_code] { exit_code = Run(*args); });
});

}  // namespace
}  // namespace imawatch::cli
