// imawatch check: proves a measurement list, appraises the proved entries against allow lists
// and certificates, and prints the verdicts of a CIS benchmark with the evidence they rest on.
#include <iostream>

#include "monitor/cli/check_run.h"
#include "monitor/cli/command.h"
#include "monitor/cli/json_output.h"
#include "reporters/report/report_document.h"

namespace imawatch::cli {
namespace {

int Run(const CheckArgs& args, bool json) {
  auto run = RunCheckCommand(args);
  if (!run) return ReportInputError("check", run.error());
  const report::ReportDocument& doc = (*run)->doc;
  if (json) {
    std::cout << JsonText(report::ReportJson(doc)) << "\n";
  } else {
    report::WriteTextReport(std::cout, doc);
  }
  return report::IsCompliant((*run)->outcome.report) ? kExitOk : kExitFailed;
}

const CommandRegistration kCheck("check", [](CLI::App& root, int& exit_code) {
  auto args = std::make_shared<CheckArgs>();
  auto json = std::make_shared<bool>(false);
  auto* cmd = root.add_subcommand(
      "check",
      "Prove a measurement list, appraise it, and print the verdicts of a CIS benchmark with their evidence");
  cmd->footer(
      "Exit status: 0 every recommendation is pass, manual or not-applicable; 1 any recommendation is fail "
      "or "
      "error (its evidence is missing, drifted, or the list is not verified: not proved compliant is not "
      "compliant); 2 usage or input error.\nOnly entries inside the prefix the PCR reading proves are "
      "evidence.");
  cmd->add_option("--benchmark", args->benchmark, "Benchmark id (e.g. cis-kubernetes-v1.7.1) or YAML file")
      ->required();
  AddCheckOptions(cmd, *args);
  cmd->add_flag("--json", *json, "Machine-readable output");
  cmd->callback([args, json, &exit_code] { exit_code = Run(*args, *json); });
});

}  // namespace
}  // namespace imawatch::cli
