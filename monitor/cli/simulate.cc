// imawatch simulate: a simulated IMA node (securityfs directory + swtpm) for the demo and the
// tests. doc/simulator.md.
#include <filesystem>
#include <iostream>

#include "monitor/cli/command.h"
#include "monitor/cli/list_options.h"
#include "monitor/simulate/node.h"
#include "monitor/simulate/node_files.h"
#include "monitor/simulate/scenario.h"
#include "monitor/tpm/tpm.h"

namespace imawatch::cli {
namespace {

struct SimulateArgs {
  std::string securityfs;
  std::string tcti;
  std::optional<uint16_t> ctrl_port;
  std::string ctrl_socket;
  // init
  std::string template_name = "ima-ng";
  std::string ima_hash = "sha256";
  std::vector<std::string> banks;
  std::string files_root;
  // run
  std::string scenario;
  std::optional<uint64_t> entries;
  uint64_t burst = 0;
  unsigned interval_ms = 0;
  double rate = 0;
  uint64_t seed = 1;
  std::optional<uint64_t> edit_index;
  std::string path;
};

struct AllowListArgs {
  std::string out;
  uint64_t count = 1000;
  std::string ima_hash = "sha256";
  uint32_t versions = 1;
  std::string files_root;
};

int RunAllowList(const AllowListArgs& a) {
  auto algo = ima::HashAlgoFromName(a.ima_hash);
  if (!algo) return ReportInputError("simulate", InvalidInput("unknown hash " + a.ima_hash));
  auto files = a.files_root.empty() ? simulate::NodeFiles::Synthetic()
                                    : simulate::NodeFiles::FromRoot(Env::Default(), a.files_root);
  if (!files) return ReportInputError("simulate allowlist", files.error());
  auto text = files->AllowList(a.count, *algo, a.versions);
  if (!text) return ReportInputError("simulate allowlist", text.error());
  Status written = Env::Default().WriteFileAtomically(a.out, *text);
  if (!written.ok()) return ReportInputError("simulate allowlist", written.error());
  return kExitOk;
}

int RunInit(const SimulateArgs& a) {
  simulate::NodeSettings settings;
  auto t = ima::WritableTemplateFromName(a.template_name);
  auto h = ima::HashAlgoFromName(a.ima_hash);
  if (!t || !h) return ReportInputError("simulate init", InvalidInput("unknown --template or --ima-hash"));
  auto banks = ParseBanks(a.banks);
  if (!banks) return ReportInputError("simulate init", banks.error());
  settings.template_kind = *t;
  settings.ima_hash = *h;
  settings.hashed_banks = *banks;
  if (!a.files_root.empty()) {
    auto files = simulate::NodeFiles::FromRoot(Env::Default(), a.files_root);
    if (!files) return ReportInputError("simulate init", files.error());
    settings.files_root = std::filesystem::absolute(a.files_root).lexically_normal().string();
  }
  auto control = simulate::ControlFor(a.tcti, a.ctrl_port, a.ctrl_socket);
  if (!control) return ReportInputError("simulate init", control.error());
  auto tpm = tpm::Tpm::Open(a.tcti);
  if (!tpm) return ReportInputError("simulate init", tpm.error());
  auto node = simulate::SimulatedNode::Init(Env::Default(), a.securityfs, **tpm, *control, settings);
  if (!node) return ReportInputError("simulate init", node.error());
  std::cout << "simulated node in " << a.securityfs << ": " << a.template_name
            << " list with boot_aggregate (" << a.ima_hash << "), TPM " << a.tcti << "\n";
  return kExitOk;
}

int RunScenario(const SimulateArgs& a) {
  simulate::ScenarioOptions o{.scenario = a.scenario,
                              .entries = a.entries,
                              .burst = a.burst,
                              .interval = std::chrono::milliseconds(a.interval_ms),
                              .rate = a.rate,
                              .seed = a.seed,
                              .edit_index = a.edit_index,
                              .path = a.path,
                              .tcti = a.tcti};
  if (a.scenario == "reboot") {
    auto control = simulate::ControlFor(a.tcti, a.ctrl_port, a.ctrl_socket);
    if (!control) return ReportInputError("simulate run", control.error());
    o.control = *control;
  }
  auto report = simulate::RunScenario(Env::Default(), a.securityfs, o);
  if (!report) return ReportInputError("simulate run", report.error());
  std::cout << a.scenario << ": appended " << report->appended << " entries (" << report->extended
            << " extended into the TPM)";
  if (report->edited) std::cout << ", edited entry " << *report->edited;
  std::cout << "; list has " << report->list_entries << " entries, boot " << report->boot << "\n";
  return kExitOk;
}

void AddCommon(CLI::App* cmd, SimulateArgs& a) {
  cmd->add_option("--securityfs", a.securityfs, "Directory laid out like /sys/kernel/security")->required();
  cmd->add_option("--tcti", a.tcti, "The node's TPM, e.g. swtpm:host=127.0.0.1,port=2321")->required();
  cmd->add_option("--ctrl-port", a.ctrl_port, "swtpm control port for resets (default: the TCTI port + 1)");
  cmd->add_option("--ctrl-socket", a.ctrl_socket,
                  "swtpm control Unix socket for resets (default with swtpm:path=S: S.ctrl)");
}

const CommandRegistration kSimulate("simulate", [](CLI::App& root, int& exit_code) {
  auto a = std::make_shared<SimulateArgs>();
  auto* cmd =
      root.add_subcommand("simulate", "Simulate an IMA node: a securityfs directory and a TPM (swtpm)");
  cmd->require_subcommand(1);
  cmd->footer("Scenarios and formats: doc/simulator.md. Exit status: 0 done, 2 usage or input error.");

  auto* init = cmd->add_subcommand("init", "Start a fresh list: firmware PCRs, boot_aggregate, policy");
  AddCommon(init, *a);
  init->add_option("--template", a->template_name, "Entry template")
      ->check(CLI::IsMember({"ima-ng", "ima-sig", "evm-sig"}));
  init->add_option("--ima-hash", a->ima_hash,
                   "File digest algorithm (ima_hash=), also the boot_aggregate bank")
      ->check(CLI::IsMember({"sha1", "sha256", "sha384", "sha512"}));
  init->add_option("--banks", a->banks,
                   "Banks the kernel hashes (others get the SHA1 template digest zero-padded; default: all)");
  init->add_option("--root", a->files_root,
                   "The node's file system (e.g. a copy of tests/fixtures/compliance/node): its files are "
                   "the configuration measured, hashed as they are on disk (default: synthetic contents)");
  init->callback([a, &exit_code] { exit_code = RunInit(*a); });

  auto* run = cmd->add_subcommand("run", "Append entries and extend the TPM as a scenario says");
  AddCommon(run, *a);
  run->add_option("--scenario", a->scenario, "What happens on the node")
      ->required()
      ->check(CLI::IsMember(simulate::ScenarioNames()));
  run->add_option("--entries", a->entries, "Entries to append (normal: 100; others: 1; after reboot: 0)");
  run->add_option("--burst", a->burst, "Entries per TPM connection (default: all at once)");
  run->add_option("--interval-ms", a->interval_ms, "Pause between bursts");
  run->add_option("--rate", a->rate,
                  "Entries per second within a burst (default: as fast as the TPM extends)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--seed", a->seed, "Varies names and digests of unknown executables and forged entries");
  run->add_option("--entry", a->edit_index, "tamper-edit: index of the entry to edit (default: the last)");
  run->add_option("--path", a->path, "drift, unknown-exec, violation, tamper-append: the file");
  run->callback([a, &exit_code] { exit_code = RunScenario(*a); });

  auto allow = std::make_shared<AllowListArgs>();
  auto* allowlist = cmd->add_subcommand(
      "allowlist", "Write an allow list of the normal scenario's files (the simulated node's golden image)");
  allowlist->add_option("--out", allow->out, "File to write (replaced atomically)")->required();
  allowlist->add_option("--count", allow->count, "Files of the normal scenario to list (default 1000)");
  allowlist->add_option("--ima-hash", allow->ima_hash, "Digest algorithm (default sha256)")
      ->check(CLI::IsMember({"sha1", "sha256", "sha384", "sha512"}));
  allowlist->add_option("--versions", allow->versions,
                        "Content versions of each node file to accept (2 also accepts one drift)");
  allowlist->add_option("--root", allow->files_root,
                        "The node's file system, as given to simulate init --root: its files listed as they "
                        "are now");
  allowlist->callback([allow, &exit_code] { exit_code = RunAllowList(*allow); });
});

}  // namespace
}  // namespace imawatch::cli
