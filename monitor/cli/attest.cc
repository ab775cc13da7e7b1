// imawatch attest: quote PCRs 0-10 with the verifier's nonce, read the measurement list after
// the quote, and write the evidence bundle (doc/evidence-format.md).
#include "monitor/tpm/attest.h"

#include <climits>
#include <iostream>

#include "monitor/base/env.h"
#include "monitor/base/hex.h"
#include "monitor/base/hostname.h"
#include "monitor/cli/command.h"
#include "monitor/cli/list_options.h"

namespace imawatch::cli {
namespace {

constexpr uint64_t kMaxContextFile = 1 << 20;

struct AttestArgs {
  std::string nonce;
  std::string out = "-";
  std::string tcti = std::string(tpm::kDefaultTcti);
  std::string securityfs;
  std::string log;
  std::string ak_handle;
  std::string ak_context;
  std::vector<std::string> banks;
  std::string pcrs = "0-10";
  std::string node_name;
  bool digest_only = false;
};

int Run(const AttestArgs& args) {
  const std::string command = "attest";
  Env& env = Env::Default();
  tpm::AttestOptions options;
  auto nonce = FromHex(args.nonce);
  if (!nonce || nonce->empty() || nonce->size() > 64) {
    return ReportInputError(command, InvalidInput("--nonce is not 1 to 64 bytes of hex"));
  }
  options.nonce = std::move(*nonce);
  if (!args.ak_handle.empty()) {
    auto handle = tpm::ParsePersistentHandle(args.ak_handle);
    if (!handle) return ReportInputError(command, handle.error());
    options.ak = tpm::AkLocation::Persistent(*handle);
  } else {
    auto bytes = env.ReadFile(args.ak_context, kMaxContextFile);
    if (!bytes) return ReportInputError(command, bytes.error());
    options.ak = tpm::AkLocation::Context(std::vector<uint8_t>(bytes->begin(), bytes->end()));
  }
  auto banks = ParseBanks(args.banks);
  if (!banks) return ReportInputError(command, banks.error());
  options.banks = *banks;
  auto pcrs = tpm::ParsePcrIndexes(args.pcrs);
  if (!pcrs) return ReportInputError(command, pcrs.error());
  options.pcrs = *pcrs;
  if (!args.log.empty()) {
    options.list_path = args.log;
  } else {
    std::string root = args.securityfs.empty() ? std::string(tpm::kDefaultSecurityfs) : args.securityfs;
    options.list_path = root + "/" + std::string(tpm::kBinaryListPath);
  }
  options.include_list = !args.digest_only;
  options.hostname = HostName();
  options.node_name = args.node_name;

  auto opened = tpm::Tpm::Open(args.tcti);
  if (!opened) return ReportInputError(command, opened.error());
  auto evidence = tpm::Attest(**opened, env, options);
  if (!evidence) return ReportInputError(command, evidence.error());
  std::string json = tpm::EvidenceToJson(*evidence);
  if (args.out == "-") {
    std::cout << json << std::flush;
    return kExitOk;
  }
  if (Status s = env.WriteFileAtomically(args.out, json); !s) return ReportInputError(command, s.error());
  std::cout << "evidence in " << args.out << ": quote over " << evidence->selection.ToString() << ", "
            << evidence->list.entries << " list entries" << (args.digest_only ? " (digest only)" : "")
            << ", reset_count " << evidence->clock.reset_count << "\n";
  return kExitOk;
}

const CommandRegistration kAttest("attest", [](CLI::App& root, int& exit_code) {
  auto args = std::make_shared<AttestArgs>();
  auto* cmd = root.add_subcommand(
      "attest", "Quote PCRs 0-10 with a verifier's nonce and bundle the quote with the measurement list");
  cmd->footer(
      "The quote is taken first, then the list is read: the kernel only appends, so the list holds every "
      "entry the quoted PCR 10 covers (entries appended after the quote are included but not attested).\n"
      "Exit status: 0 written, 2 usage, input or TPM error.");
  cmd->add_option("--nonce", args->nonce, "The verifier's challenge, hex, 1 to 64 bytes")->required();
  cmd->add_option("--out", args->out, "Evidence file, - for stdout")->capture_default_str();
  cmd->add_option("--tcti", args->tcti, "TPM to use, tpm2-tools syntax")->capture_default_str();
  auto* sfs = cmd->add_option("--securityfs", args->securityfs,
                              "securityfs root holding ima/binary_runtime_measurements (default "
                              "/sys/kernel/security)");
  auto* log = cmd->add_option("--log", args->log, "A binary measurement list file instead of securityfs");
  sfs->excludes(log);
  auto* handle =
      cmd->add_option("--ak-handle", args->ak_handle, "The AK's persistent handle, e.g. 0x81010002");
  auto* context = cmd->add_option("--ak-context", args->ak_context, "The AK's context file (tpm ak create)");
  handle->excludes(context);
  cmd->add_option("--banks", args->banks,
                  "PCR banks to quote, e.g. sha1,sha256 (default: every active bank)");
  cmd->add_option("--pcrs", args->pcrs, "PCR indexes to quote (0-9 prove the boot_aggregate, 10 the list)")
      ->capture_default_str();
  cmd->add_option("--node-name", args->node_name, "A name for the node besides its hostname");
  cmd->add_flag("--digest-only", args->digest_only,
                "Leave the list out (its size, entry count and SHA-256 stay): the verifier needs it apart");
  cmd->callback([args, handle, context, &exit_code] {
    if (handle->count() + context->count() != 1) {
      exit_code = ReportInputError("attest", InvalidInput("give --ak-handle HANDLE or --ak-context FILE"));
      return;
    }
    exit_code = Run(*args);
  });
});

}  // namespace
}  // namespace imawatch::cli
