// imawatch verify-evidence: check an evidence bundle with OpenSSL alone (no TPM).
#include "monitor/cli/verify_evidence.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "monitor/base/env.h"
#include "monitor/base/hex.h"
#include "monitor/cli/command.h"
#include "monitor/cli/list_options.h"
#include "monitor/tpm/evidence_verify.h"

namespace imawatch::cli {
namespace {

using json = nlohmann::ordered_json;

constexpr uint64_t kMaxBundle = 2ull << 30;  // a base64 list of up to 1 GiB, and the rest
constexpr uint64_t kMaxList = 1ull << 30;
constexpr uint64_t kMaxPem = 1 << 20;

json ReportToJson(const tpm::Evidence& e, const tpm::EvidenceVerification& v) {
  json failures = json::array();
  for (const auto& f : v.failures) failures.push_back({{"check", f.check}, {"detail", f.detail}});
  json node = {{"hostname", e.hostname}};
  if (!e.node_name.empty()) node["name"] = e.node_name;
  json out = {{"verified", v.ok()},
              {"failures", failures},
              {"nonce_checked", v.nonce_from_verifier},
              {"node", node},
              {"time", e.time}};
  if (v.quote.decoded) {
    out["quote"] = {{"selection", v.quote.selection.ToString()},
                    {"clock_ms", v.quote.clock.clock},
                    {"reset_count", v.quote.clock.reset_count},
                    {"restart_count", v.quote.clock.restart_count},
                    {"safe", v.quote.clock.safe}};
  }
  if (v.list) {
    const ima::VerifyReport& r = *v.list;
    json banks = json::array();
    for (const auto& b : r.banks) {
      json bank = {{"bank", ima::Name(b.bank)}, {"status", ima::Name(b.status)}, {"proved", b.proved}};
      if (b.variant) bank["variant"] = ima::Name(*b.variant);
      banks.push_back(bank);
    }
    uint64_t proved = r.proved_entries();
    out["list"] = {{"entries", r.entries},
                   {"proved", proved},
                   {"not_covered", r.entries - std::min(proved, r.entries)},
                   {"violations", r.violations},
                   {"banks", banks}};
    if (r.boot_aggregate) out["list"]["boot_aggregate"] = ima::Name(r.boot_aggregate->status);
  }
  return out;
}

void PrintText(const tpm::Evidence& e, const tpm::EvidenceVerification& v) {
  std::cout << (v.ok() ? "evidence verified" : "evidence NOT verified") << "\n";
  for (const auto& f : v.failures) std::cout << "FAILED " << f.check << ": " << f.detail << "\n";
  std::cout << "node " << e.hostname << (e.node_name.empty() ? "" : " (" + e.node_name + ")") << " at "
            << e.time << " (as the node says; not attested)\n";
  if (v.quote.decoded) {
    std::cout << "quote over " << v.quote.selection.ToString() << ", reset_count "
              << v.quote.clock.reset_count << " restart_count " << v.quote.clock.restart_count << " clock_ms "
              << v.quote.clock.clock << "\n";
  }
  std::cout << (v.nonce_from_verifier
                    ? "nonce checked against --nonce\n"
                    : "nonce NOT checked against a challenge (no --nonce): freshness unknown\n");
  if (v.list) {
    const ima::VerifyReport& r = *v.list;
    uint64_t proved = r.proved_entries();
    std::cout << "list: " << r.entries << " entries, " << proved << " proved by the quote";
    if (proved < r.entries) {
      std::cout << ", " << r.entries - proved
                << (r.verified() ? " appended after it (not attested)" : " not proved");
    }
    std::cout << "\n";
    for (const auto& b : r.banks) {
      std::cout << "  " << ima::Name(b.bank) << ": " << ima::Name(b.status);
      if (b.variant) std::cout << " (" << ima::Name(*b.variant) << ")";
      std::cout << "\n";
    }
  }
}

}  // namespace

int VerifyEvidenceFile(const std::string& command, const VerifyEvidenceArgs& args) {
  Env& env = Env::Default();
  auto text = env.ReadFile(args.file, kMaxBundle);
  if (!text) return ReportInputError(command, text.error());
  auto evidence = tpm::ParseEvidence(*text, args.file);
  if (!evidence) return ReportInputError(command, evidence.error());
  text->clear();
  text->shrink_to_fit();
  auto pem = env.ReadFile(args.ak, kMaxPem);
  if (!pem) return ReportInputError(command, pem.error());
  tpm::EvidenceExpectation expect;
  expect.threads = args.threads;
  if (!args.nonce.empty()) {
    auto nonce = FromHex(args.nonce);
    if (!nonce) return ReportInputError(command, InvalidInput("--nonce is not hex"));
    expect.nonce = std::move(*nonce);
  }
  auto banks = ParseBanks(args.banks);
  if (!banks) return ReportInputError(command, banks.error());
  expect.banks = *banks;
  if (!args.list.empty()) {
    auto list = env.ReadFile(args.list, kMaxList);
    if (!list) return ReportInputError(command, list.error());
    expect.list = std::vector<uint8_t>(list->begin(), list->end());
  }
  auto result = tpm::VerifyEvidence(*evidence, *pem, expect);
  if (!result) return ReportInputError(command, result.error().WithSource(args.ak));
  if (args.json) {
    std::cout << ReportToJson(*evidence, *result).dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    PrintText(*evidence, *result);
  }
  return result->ok() ? kExitOk : kExitFailed;
}

namespace {

const CommandRegistration kVerifyEvidence("verify-evidence", [](CLI::App& root, int& exit_code) {
  auto args = std::make_shared<VerifyEvidenceArgs>();
  auto* cmd = root.add_subcommand(
      "verify-evidence", "Check an evidence bundle from imawatch attest with OpenSSL alone (no TPM)");
  cmd->footer(
      "Checks: ak, signature, attest, magic, type, nonce, selection, pcr-digest, clock, ak-name, "
      "list-missing, "
      "list-digest, list-format, list-count, template-digest, replay, boot-aggregate "
      "(doc/evidence-format.md).\n"
      "Exit status: 0 every check holds, 1 a check failed (each named), 2 usage or input error.");
  cmd->add_option("file", args->file, "Evidence bundle (JSON)")->required();
  cmd->add_option("--ak", args->ak, "The AK's public key (PEM) the verifier trusts")->required();
  cmd->add_option("--nonce", args->nonce,
                  "The challenge given to attest, hex (without it: freshness unknown)");
  cmd->add_option("--list", args->list, "The measurement list, for a --digest-only bundle");
  cmd->add_option(
      "--banks", args->banks,
      "Banks whose PCRs 0-10 the quote must cover, e.g. sha256 (default: any quoted bank proves)");
  cmd->add_option("--threads", args->threads, "Hashing threads for the replay (default: one per CPU)");
  cmd->add_flag("--json", args->json, "JSON report");
  cmd->callback([args, &exit_code] { exit_code = VerifyEvidenceFile("verify-evidence", *args); });
});

}  // namespace
}  // namespace imawatch::cli
