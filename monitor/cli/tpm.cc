// imawatch tpm: read PCRs and banks, create attestation keys, quote, verify quotes (OpenSSL
// only, no TPM needed), replay the firmware event log.
#include "monitor/tpm/tpm.h"

#include <cstdio>
#include <iostream>
#include <memory>

#include "monitor/base/env.h"
#include "monitor/base/hex.h"
#include "monitor/cli/command.h"
#include "monitor/cli/list_options.h"
#include "monitor/tpm/event_log.h"
#include "monitor/tpm/quote_file.h"
#include "monitor/tpm/quote_verify.h"

namespace imawatch::cli {
namespace {

using json = nlohmann::ordered_json;

constexpr uint64_t kMaxInputFile = 4 << 20;

void AddTcti(CLI::App* cmd, std::string& tcti) {
  tcti = std::string(tpm::kDefaultTcti);
  cmd->add_option("--tcti", tcti, "TPM to use, tpm2-tools syntax (swtpm:host=127.0.0.1,port=2321 for swtpm)")
      ->capture_default_str();
}

std::string Hex32(uint64_t value, int width) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%0*llx", width, static_cast<unsigned long long>(value));
  return text;
}

// "0x81010002" -> persistent handle; anything else names a context file.
Result<tpm::AkLocation> AkFromArgument(const std::string& ak) {
  if (ak.starts_with("0x") || ak.starts_with("0X")) {
    auto handle = tpm::ParsePersistentHandle(ak);
    if (!handle) return handle.error();
    return tpm::AkLocation::Persistent(*handle);
  }
  auto bytes = Env::Default().ReadFile(ak, kMaxInputFile);
  if (!bytes) return bytes.error();
  return tpm::AkLocation::Context(std::vector<uint8_t>(bytes->begin(), bytes->end()));
}

// --pcrs "sha256:0-7+sha1:10" is a whole selection; plain "0-7,10" takes the banks given.
Result<tpm::PcrSelection> SelectionFromArguments(const std::string& pcrs,
                                                 const std::vector<ima::HashAlgo>& banks) {
  if (pcrs.find(':') != std::string::npos) return tpm::ParsePcrSelection(pcrs);
  auto indexes = tpm::ParsePcrIndexes(pcrs);
  if (!indexes) return indexes.error();
  return tpm::PcrSelection::Of(banks, *indexes);
}

Status WriteOutput(const std::string& path, std::string_view bytes) {
  if (path == "-") {
    std::cout << bytes << std::flush;
    return {};
  }
  return Env::Default().WriteFileAtomically(path, bytes);
}

void PrintPcrs(const ima::PcrValues& pcrs, bool as_json) {
  if (as_json) {
    std::cout << tpm::PcrValuesToJson(pcrs).dump(2) << "\n";
    return;
  }
  std::string out;
  for (ima::HashAlgo bank : pcrs.Banks()) {
    for (uint32_t index : pcrs.Indexes(bank)) {
      out += std::string(ima::Name(bank)) + ":" + std::to_string(index) + ":" + pcrs.Get(bank, index)->hex() +
             "\n";
    }
  }
  std::cout << out;
}

struct PcrReadArgs {
  std::string tcti;
  std::vector<std::string> banks;
  std::string pcrs = "0-23";
  bool json = false;
};

int PcrRead(const PcrReadArgs& args) {
  auto opened = tpm::Tpm::Open(args.tcti);
  if (!opened) return ReportInputError("tpm pcrread", opened.error());
  std::vector<ima::HashAlgo> banks;
  if (args.banks.empty()) {
    auto active = (*opened)->ActiveBanks();
    if (!active) return ReportInputError("tpm pcrread", active.error());
    banks = *active;
  } else {
    auto parsed = ParseBanks(args.banks);
    if (!parsed) return ReportInputError("tpm pcrread", parsed.error());
    banks = *parsed;
  }
  auto selection = SelectionFromArguments(args.pcrs, banks);
  if (!selection) return ReportInputError("tpm pcrread", selection.error());
  auto pcrs = (*opened)->ReadPcrs(*selection);
  if (!pcrs) return ReportInputError("tpm pcrread", pcrs.error());
  PrintPcrs(*pcrs, args.json);
  return kExitOk;
}

struct BanksArgs {
  std::string tcti;
  bool json = false;
};

int Banks(const BanksArgs& args) {
  auto opened = tpm::Tpm::Open(args.tcti);
  if (!opened) return ReportInputError("tpm banks", opened.error());
  auto banks = (*opened)->ActiveBanks();
  if (!banks) return ReportInputError("tpm banks", banks.error());
  json names = json::array();
  for (ima::HashAlgo bank : *banks) names.push_back(ima::Name(bank));
  if (args.json) {
    std::cout << names.dump() << "\n";
  } else {
    for (const auto& name : names) std::cout << name.get<std::string>() << "\n";
  }
  return kExitOk;
}

json AkToJson(const tpm::AttestationKey& ak, const std::string& context_file, const std::string& pem_file) {
  json out = {{"type", tpm::AkTypeName(ak.type)}, {"name", ToHex(ak.name)}, {"hierarchy", "endorsement"}};
  if (ak.location.persistent_handle) out["persistent_handle"] = Hex32(*ak.location.persistent_handle, 8);
  if (!context_file.empty()) out["context_file"] = context_file;
  if (!pem_file.empty()) out["pub_pem"] = pem_file;
  return out;
}

struct AkCreateArgs {
  std::string tcti;
  std::string type;
  std::string persist;
  std::string context;
  std::string pub_pem;
  bool replace = false;
  bool json = false;
};

int AkCreate(const AkCreateArgs& args) {
  const std::string command = "tpm ak create";
  auto type = tpm::AkTypeFromName(args.type);
  if (!type) return ReportInputError(command, InvalidInput("--type is ecc or rsa"));
  std::optional<uint32_t> handle;
  if (!args.persist.empty()) {
    auto parsed = tpm::ParsePersistentHandle(args.persist);
    if (!parsed) return ReportInputError(command, parsed.error());
    handle = *parsed;
  } else if (args.context.empty()) {
    return ReportInputError(command, InvalidInput("give --persist HANDLE or --context FILE"));
  }
  auto opened = tpm::Tpm::Open(args.tcti);
  if (!opened) return ReportInputError(command, opened.error());
  auto ak = (*opened)->CreateAk(*type, handle, args.replace);
  if (!ak) return ReportInputError(command, ak.error());
  if (!handle) {
    const auto& blob = ak->location.saved_context;
    std::string_view bytes(reinterpret_cast<const char*>(blob.data()), blob.size());
    if (Status s = Env::Default().WriteFileAtomically(args.context, bytes); !s) {
      return ReportInputError(command, s.error());
    }
  }
  if (Status s = WriteOutput(args.pub_pem, ak->pem); !s) return ReportInputError(command, s.error());
  json info = AkToJson(*ak, args.context, args.pub_pem == "-" ? "" : args.pub_pem);
  if (args.json) {
    std::cout << info.dump(2) << "\n";
  } else if (args.pub_pem != "-") {
    std::cout << "created " << tpm::AkTypeName(ak->type) << " AK (endorsement hierarchy), name "
              << ToHex(ak->name) << "\n";
    if (handle) std::cout << "persistent at " << Hex32(*handle, 8) << "\n";
    if (!handle) std::cout << "context saved in " << args.context << " (valid until the TPM resets)\n";
    std::cout << "public key in " << args.pub_pem << "\n";
  }
  return kExitOk;
}

struct AkShowArgs {
  std::string tcti;
  std::string ak;
  std::string pub_pem;
  bool json = false;
};

int AkShow(const AkShowArgs& args) {
  const std::string command = "tpm ak show";
  auto location = AkFromArgument(args.ak);
  if (!location) return ReportInputError(command, location.error());
  auto opened = tpm::Tpm::Open(args.tcti);
  if (!opened) return ReportInputError(command, opened.error());
  auto ak = (*opened)->LoadAk(*location);
  if (!ak) return ReportInputError(command, ak.error());
  if (!args.pub_pem.empty()) {
    if (Status s = WriteOutput(args.pub_pem, ak->pem); !s) return ReportInputError(command, s.error());
  }
  if (args.json) {
    json info = AkToJson(*ak, location->persistent_handle ? "" : args.ak, args.pub_pem);
    info["pem"] = ak->pem;
    std::cout << info.dump(2) << "\n";
  } else if (args.pub_pem != "-") {
    std::cout << "type " << tpm::AkTypeName(ak->type) << "\nname " << ToHex(ak->name) << "\n" << ak->pem;
  }
  return kExitOk;
}

struct QuoteArgs {
  std::string tcti;
  std::string ak;
  std::string pcrs = "0-10";
  std::vector<std::string> banks = {"sha256"};
  std::string nonce;
  std::string out = "-";
};

int QuoteCommand(const QuoteArgs& args) {
  const std::string command = "tpm quote";
  auto location = AkFromArgument(args.ak);
  if (!location) return ReportInputError(command, location.error());
  auto banks = ParseBanks(args.banks);
  if (!banks) return ReportInputError(command, banks.error());
  auto selection = SelectionFromArguments(args.pcrs, *banks);
  if (!selection) return ReportInputError(command, selection.error());
  auto nonce = FromHex(args.nonce);
  if (!nonce) return ReportInputError(command, InvalidInput("--nonce is not hex"));
  auto opened = tpm::Tpm::Open(args.tcti);
  if (!opened) return ReportInputError(command, opened.error());
  tpm::Tpm& t = **opened;
  auto ak = t.LoadAk(*location);
  if (!ak) return ReportInputError(command, ak.error());
  auto quote = t.QuotePcrs(*location, *selection, *nonce);
  if (!quote) return ReportInputError(command, quote.error());
  auto pcrs = t.ReadPcrs(*selection);
  if (!pcrs) return ReportInputError(command, pcrs.error());
  tpm::QuoteFile file{*quote, *nonce, *selection, *pcrs, ak->type, ak->name};
  if (Status s = WriteOutput(args.out, tpm::QuoteFileToJson(file)); !s)
    return ReportInputError(command, s.error());
  return kExitOk;
}

struct VerifyArgs {
  std::string file;
  std::string ak_pem;
  std::string nonce;
  std::string pcrs_file;
  std::string pcrs;
  bool json = false;
};

int VerifyQuoteCommand(const VerifyArgs& args) {
  const std::string command = "tpm verify-quote";
  Env& env = Env::Default();
  auto text = env.ReadFile(args.file, kMaxInputFile);
  if (!text) return ReportInputError(command, text.error());
  auto file = tpm::ParseQuoteFile(*text, args.file);
  if (!file) return ReportInputError(command, file.error());
  auto pem = env.ReadFile(args.ak_pem, kMaxInputFile);
  if (!pem) return ReportInputError(command, pem.error());
  auto nonce = FromHex(args.nonce);
  if (!nonce) return ReportInputError(command, InvalidInput("--nonce is not hex"));
  tpm::QuoteExpectation expect{*nonce, file->pcrs, std::nullopt};
  if (!args.pcrs_file.empty()) {
    auto claimed = ima::LoadPcrValues(env, args.pcrs_file);
    if (!claimed) return ReportInputError(command, claimed.error());
    expect.pcrs = *claimed;
  }
  if (!args.pcrs.empty()) {
    auto selection = tpm::ParsePcrSelection(args.pcrs);
    if (!selection) return ReportInputError(command, selection.error());
    expect.selection = *selection;
  }
  auto result = tpm::VerifyQuote(file->quote, *pem, expect);
  if (!result) return ReportInputError(command, result.error().WithSource(args.ak_pem));
  const tpm::QuoteVerification& v = *result;
  if (args.json) {
    json failures = json::array();
    for (const auto& f : v.failures) failures.push_back({{"check", f.check}, {"detail", f.detail}});
    json out = {{"verified", v.ok()}, {"failures", failures}};
    if (v.decoded) {
      out["selection"] = v.selection.ToString();
      out["pcr_digest"] = ToHex(v.pcr_digest);
      out["qualified_signer"] = ToHex(v.qualified_signer);
      out["clock"] = {{"clock_ms", v.clock.clock},
                      {"reset_count", v.clock.reset_count},
                      {"restart_count", v.clock.restart_count},
                      {"safe", v.clock.safe}};
      out["firmware_version"] = Hex32(v.firmware_version, 16);
    }
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << (v.ok() ? "quote verified" : "quote NOT verified") << "\n";
    for (const auto& f : v.failures) std::cout << "FAILED " << f.check << ": " << f.detail << "\n";
    if (v.decoded) {
      std::cout << "pcrs " << v.selection.ToString() << "\n"
                << "reset_count " << v.clock.reset_count << " restart_count " << v.clock.restart_count
                << " clock_ms " << v.clock.clock << " safe " << (v.clock.safe ? "yes" : "no") << "\n"
                << "firmware_version " << Hex32(v.firmware_version, 16) << "\n";
    }
  }
  return v.ok() ? kExitOk : kExitFailed;
}

struct EventLogArgs {
  std::string path = std::string(tpm::kDefaultEventLogPath);
  bool json = false;
  bool events = false;
};

int EventLogCommand(const EventLogArgs& args) {
  auto log = tpm::LoadEventLog(Env::Default(), args.path);
  if (!log) return ReportInputError("tpm eventlog", log.error());
  ima::PcrValues pcrs = tpm::ReplayEventLog(*log);
  if (!args.events) {
    PrintPcrs(pcrs, args.json);
    return kExitOk;
  }
  json events = json::array();
  std::string text;
  for (const auto& e : log->events) {
    json digests = json::object();
    for (const auto& d : e.digests) digests[std::string(ima::Name(d.algo))] = d.hex();
    events.push_back({{"offset", e.offset},
                      {"pcr", e.pcr},
                      {"type", tpm::EventTypeName(e.type)},
                      {"digests", digests},
                      {"data_size", e.data.size()}});
    text += std::to_string(e.offset) + " " + std::to_string(e.pcr) + " " + tpm::EventTypeName(e.type) + " " +
            (e.digests.empty() ? std::string("-") : e.digests.back().hex()) + "\n";
  }
  if (args.json) {
    json out = {
        {"format", log->format == tpm::EventLogFormat::kCryptoAgile ? "crypto-agile" : "tcg-1.2-sha1"},
        {"events", events},
        {"pcrs", tpm::PcrValuesToJson(pcrs)}};
    if (log->startup_locality) out["startup_locality"] = *log->startup_locality;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << text;
  }
  return kExitOk;
}

const CommandRegistration kTpm("tpm", [](CLI::App& root, int& exit_code) {
  auto* tpm_cmd = root.add_subcommand("tpm", "Read PCRs, create attestation keys, quote and verify quotes");
  tpm_cmd->require_subcommand(1);

  auto pcrread = std::make_shared<PcrReadArgs>();
  auto* pr =
      tpm_cmd->add_subcommand("pcrread", "Print PCR values as bank:pcr:HEX lines (what PCR files hold)");
  AddTcti(pr, pcrread->tcti);
  pr->add_option("--banks", pcrread->banks, "Banks, e.g. sha1,sha256 (default: every active bank)");
  pr->add_option("--pcrs", pcrread->pcrs, "PCR indexes (0-7,10 or all), or a selection sha256:0-7+sha1:10")
      ->capture_default_str();
  pr->add_flag("--json", pcrread->json, "{\"bank\": {\"pcr\": \"hex\"}} instead of lines");
  pr->callback([pcrread, &exit_code] { exit_code = PcrRead(*pcrread); });

  auto banks = std::make_shared<BanksArgs>();
  auto* bk = tpm_cmd->add_subcommand("banks", "List the TPM's active PCR banks");
  AddTcti(bk, banks->tcti);
  bk->add_flag("--json", banks->json, "A JSON array");
  bk->callback([banks, &exit_code] { exit_code = Banks(*banks); });

  auto* ak_cmd =
      tpm_cmd->add_subcommand("ak", "Attestation keys (restricted signing keys, endorsement hierarchy)");
  ak_cmd->require_subcommand(1);
  auto create = std::make_shared<AkCreateArgs>();
  auto* cr = ak_cmd->add_subcommand("create", "Create an AK, keep it persistent or in a context file");
  AddTcti(cr, create->tcti);
  cr->add_option("--type", create->type, "ecc (P-256, ECDSA-SHA256) or rsa (2048, RSASSA-SHA256)")
      ->required()
      ->check(CLI::IsMember({"ecc", "rsa"}));
  auto* persist =
      cr->add_option("--persist", create->persist, "Persistent handle, e.g. 0x81010002 (survives reboots)");
  auto* context = cr->add_option("--context", create->context,
                                 "File for the AK's saved context (valid until the TPM resets: one boot)");
  persist->excludes(context);
  cr->add_option("--pub-pem", create->pub_pem, "File for the AK public key (PEM), - for stdout")->required();
  cr->add_flag("--replace", create->replace, "Evict an object already at the --persist handle");
  cr->add_flag("--json", create->json, "Describe the AK as JSON");
  cr->callback([create, &exit_code] { exit_code = AkCreate(*create); });

  auto show = std::make_shared<AkShowArgs>();
  auto* sh = ak_cmd->add_subcommand("show", "Print an AK's type, TPM name and public key");
  AddTcti(sh, show->tcti);
  sh->add_option("--ak", show->ak, "Persistent handle (0x81...) or context file")->required();
  sh->add_option("--pub-pem", show->pub_pem, "Also write the public key (PEM) to this file, - for stdout");
  sh->add_flag("--json", show->json, "JSON instead of text");
  sh->callback([show, &exit_code] { exit_code = AkShow(*show); });

  auto quote = std::make_shared<QuoteArgs>();
  auto* qt = tpm_cmd->add_subcommand("quote", "Quote PCRs with an AK; writes the quote file (JSON)");
  AddTcti(qt, quote->tcti);
  qt->add_option("--ak", quote->ak, "Persistent handle (0x81...) or context file")->required();
  qt->add_option("--pcrs", quote->pcrs, "PCR indexes (with --banks) or a selection sha256:0-10+sha1:10")
      ->capture_default_str();
  qt->add_option("--banks", quote->banks, "Banks for plain --pcrs indexes")->capture_default_str();
  qt->add_option("--nonce", quote->nonce, "Verifier's nonce, hex, at most 64 bytes")->required();
  qt->add_option("--out", quote->out, "Quote file, - for stdout")->capture_default_str();
  qt->callback([quote, &exit_code] { exit_code = QuoteCommand(*quote); });

  auto verify = std::make_shared<VerifyArgs>();
  auto* vq = tpm_cmd->add_subcommand(
      "verify-quote", "Verify a quote file with OpenSSL (no TPM): exit 0 verified, 1 failed, 2 input error");
  vq->add_option("file", verify->file, "Quote file from imawatch tpm quote")->required();
  vq->add_option("--ak-pem", verify->ak_pem, "The AK's public key (PEM)")->required();
  vq->add_option("--nonce", verify->nonce, "The nonce the quote must carry, hex")->required();
  vq->add_option("--pcrs-file", verify->pcrs_file,
                 "Claimed PCR values (bank:pcr:hex, tpm2_pcrread, tsspcrread...) instead of the file's own");
  vq->add_option("--pcrs", verify->pcrs, "Selection the quote must cover exactly, e.g. sha256:0-10");
  vq->add_flag("--json", verify->json, "JSON report");
  vq->callback([verify, &exit_code] { exit_code = VerifyQuoteCommand(*verify); });

  auto eventlog = std::make_shared<EventLogArgs>();
  auto* ev = tpm_cmd->add_subcommand("eventlog", "Replay the firmware's TCG event log to PCR values");
  ev->add_option("path", eventlog->path, "binary_bios_measurements")->capture_default_str();
  ev->add_flag("--events", eventlog->events, "List the events instead of the replayed PCRs");
  ev->add_flag("--json", eventlog->json, "JSON instead of text");
  ev->callback([eventlog, &exit_code] { exit_code = EventLogCommand(*eventlog); });
});

}  // namespace
}  // namespace imawatch::cli
