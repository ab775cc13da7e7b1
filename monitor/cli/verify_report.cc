// imawatch verify-report: checks offline that a report file is the one a TPM quote vouches for
// (the quote's nonce is the report's SHA-256) and that the evidence beside it holds.
#include <iostream>

#include "monitor/base/env.h"
#include "monitor/base/hex.h"
#include "monitor/cli/command.h"
#include "monitor/cli/list_options.h"
#include "monitor/cli/report_binding.h"
#include "monitor/cli/verify_evidence.h"

namespace imawatch::cli {
namespace {

constexpr uint64_t kMaxReport = 256ull << 20;

struct VerifyReportArgs {
  std::string report;
  VerifyEvidenceArgs evidence;
};

int Run(VerifyReportArgs args) {
  auto bytes = Env::Default().ReadFile(args.report, kMaxReport);
  if (!bytes) return ReportInputError("verify-report", bytes.error());
  args.evidence.nonce = ToHex(ReportNonce(*bytes));
  if (!args.evidence.json) {
    std::cout << "report " << args.report << ": SHA-256 " << args.evidence.nonce
              << " must be the quote's nonce\n";
  }
  return VerifyEvidenceFile("verify-report", args.evidence);
}

const CommandRegistration kVerifyReport("verify-report", [](CLI::App& root, int& exit_code) {
  auto args = std::make_shared<VerifyReportArgs>();
  auto* cmd = root.add_subcommand(
      "verify-report", "Check offline that a report (imawatch report --attest) is bound to its TPM quote");
  cmd->footer(
      "The quote's nonce must be the SHA-256 of the report file: a changed byte fails the 'nonce' check. "
      "Every check of verify-evidence applies to the evidence.\n"
      "Exit status: 0 bound and every check holds, 1 a check failed (each named), 2 usage or input error.");
  cmd->add_option("report", args->report, "The report file, any format")->required();
  cmd->add_option("--evidence", args->evidence.file, "The evidence bundle written beside it")->required();
  cmd->add_option("--ak", args->evidence.ak, "The AK's public key (PEM) the verifier trusts")->required();
  cmd->add_option(
      "--banks", args->evidence.banks,
      "Banks whose PCRs 0-10 the quote must cover, e.g. sha256 (default: any quoted bank proves)");
  cmd->add_flag("--json", args->evidence.json, "JSON result");
  cmd->callback([args, &exit_code] { exit_code = Run(*args); });
});

}  // namespace
}  // namespace imawatch::cli
