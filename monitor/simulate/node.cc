#include "monitor/simulate/node.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "monitor/ima/ascii_format.h"
#include "monitor/ima/binary_reader.h"
#include "monitor/ima/boot_aggregate.h"
#include "monitor/ima/fields.h"
#include "monitor/ima/hash.h"

namespace imawatch::simulate {
namespace {

constexpr uint32_t kImaPcr = 10;
constexpr uint32_t kFirmwarePcrs = 10;  // PCRs 0-9: firmware, boot loader, kernel command line
constexpr uint64_t kMaxList = 1ull << 30;

// The default policy of a measured Kubernetes node: executables, mapped code, modules,
// firmware and what root reads (ima_policy=tcb).
constexpr std::string_view kPolicy =
    "dont_measure fsmagic=0x9fa0\n"
    "dont_measure fsmagic=0x62656572\n"
    "dont_measure fsmagic=0x64626720\n"
    "dont_measure fsmagic=0x1021994\n"
    "dont_measure fsmagic=0x1cd1\n"
    "dont_measure fsmagic=0x42494e4d\n"
    "dont_measure fsmagic=0x73636673\n"
    "dont_measure fsmagic=0xf97cff8c\n"
    "dont_measure fsmagic=0x43415d53\n"
    "dont_measure fsmagic=0x27e0eb\n"
    "dont_measure fsmagic=0x63677270\n"
    "dont_measure fsmagic=0x6e736673\n"
    "dont_measure fsmagic=0xde5e81e4\n"
    "measure func=MMAP_CHECK mask=MAY_EXEC\n"
    "measure func=BPRM_CHECK mask=MAY_EXEC\n"
    "measure func=FILE_CHECK mask=^MAY_READ euid=0\n"
    "measure func=FILE_CHECK mask=^MAY_READ uid=0\n"
    "measure func=MODULE_CHECK\n"
    "measure func=FIRMWARE_CHECK\n"
    "measure func=POLICY_CHECK\n";

ima::Digest FirmwareEvent(ima::HashAlgo bank, uint32_t pcr) {
  const std::string event = "imawatch simulator firmware event for PCR " + std::to_string(pcr);
  ima::Digest d = ima::Digest::Zero(bank);
  ima::Hash(bank, {std::span(reinterpret_cast<const uint8_t*>(event.data()), event.size())}, d.bytes.data());
  return d;
}

bool AllZero(const ima::PcrValues& pcrs) {
  for (ima::HashAlgo b : pcrs.Banks()) {
    for (uint32_t i : pcrs.Indexes(b)) {
      if (*pcrs.Get(b, i) != ima::Digest::Zero(b)) return false;
    }
  }
  return true;
}

Status Check(const Status& s, const std::string& what) {
  if (s) return s;
  return Error(s.error().kind(), what + ": " + s.error().ToString());
}

}  // namespace

Result<std::string> AsciiLine(const ima::EncodedEntry& entry) {
  auto file = NewMemoryFile("entry", entry.bytes);
  ima::BinaryLogReader reader(
      *file, {.template_digest_size = 20, .byte_order = ima::ByteOrder::kLittle, .buffer_size = 4096});
  auto batch = reader.Next(1);
  if (!batch) return batch.error();
  if (batch->size() != 1) return Error(ErrorKind::kInternal, "an encoded entry did not parse back");
  std::string line;
  ima::AppendAsciiLine(line, (*batch)[0]);
  return line;
}

Result<std::unique_ptr<SimulatedNode>> SimulatedNode::Init(Env& env, std::string root, tpm::Tpm& tpm,
                                                           const SwtpmControl& control,
                                                           NodeSettings settings) {
  std::error_code ec;
  std::filesystem::create_directories(ImaDir(root), ec);
  if (ec) return IoError("cannot create " + ImaDir(root) + ": " + ec.message());
  settings.entries = 0;
  std::unique_ptr<SimulatedNode> node(new SimulatedNode(env, std::move(root), std::move(settings)));
  auto banks = tpm.ActiveBanks();
  if (!banks) return banks.error();
  const std::array<uint32_t, 1> ima_pcr = {kImaPcr};
  auto pcr10 = tpm.ReadPcrs(*banks, ima_pcr);
  if (!pcr10) return pcr10.error();
  if (!AllZero(*pcr10)) {
    // PCR 10 belongs to an earlier boot: power-cycle, as a fresh node would have been.
    if (Status s = SwtpmInit(control); !s) return s.error();
    if (Status s = tpm.Reconnect(); !s) return s.error();
  }
  if (Status s = node->StartList(tpm); !s) return s.error();
  const std::string policy = ImaDir(node->root_) + "/policy";
  if (!env.Exists(policy)) {
    if (Status s = env.WriteFileAtomically(policy, kPolicy); !s) return s.error();
  }
  return node;
}

Result<std::unique_ptr<SimulatedNode>> SimulatedNode::Load(Env& env, std::string root) {
  auto text = env.ReadFile(SettingsPath(root), 1 << 20);
  if (!text) {
    return Error(text.error().kind(), "no simulated node in " + root +
                                          " (run imawatch simulate init first): " + text.error().message());
  }
  NodeSettings s;
  try {
    auto j = nlohmann::json::parse(*text);
    auto t = ima::WritableTemplateFromName(j.at("template").get<std::string>());
    auto h = ima::HashAlgoFromName(j.at("ima_hash").get<std::string>());
    if (!t || !h) return InvalidInput("unknown template or hash", {.source = SettingsPath(root)});
    s.template_kind = *t;
    s.ima_hash = *h;
    for (const auto& b : j.at("hashed_banks")) {
      auto algo = ima::HashAlgoFromName(b.get<std::string>());
      if (!algo) return InvalidInput("unknown bank", {.source = SettingsPath(root)});
      s.hashed_banks.push_back(*algo);
    }
    s.boot = j.at("boot").get<uint64_t>();
    s.entries = j.at("entries").get<uint64_t>();
    s.serial = j.at("serial").get<uint64_t>();
    s.versions = j.at("versions").get<std::map<std::string, uint32_t>>();
    s.files_root = j.value("files_root", "");
  } catch (const nlohmann::json::exception& e) {
    return InvalidInput(std::string("bad simulator state: ") + e.what(), {.source = SettingsPath(root)});
  }
  return std::unique_ptr<SimulatedNode>(new SimulatedNode(env, std::move(root), std::move(s)));
}

Status SimulatedNode::Save() {
  nlohmann::json banks = nlohmann::json::array();
  for (ima::HashAlgo b : settings_.hashed_banks) banks.push_back(std::string(ima::Name(b)));
  nlohmann::json j = {{"template", std::string(ima::Name(settings_.template_kind))},
                      {"ima_hash", std::string(ima::Name(settings_.ima_hash))},
                      {"hashed_banks", banks},
                      {"boot", settings_.boot},
                      {"entries", settings_.entries},
                      {"serial", settings_.serial},
                      {"versions", settings_.versions},
                      {"files_root", settings_.files_root}};
  if (Status s = env_.WriteFileAtomically(ImaDir(root_) + "/runtime_measurements_count",
                                          std::to_string(settings_.entries) + "\n");
      !s)
    return s;
  return env_.WriteFileAtomically(SettingsPath(root_), j.dump(2) + "\n");
}

Status SimulatedNode::Write(const ima::EncodedEntry& entry) {
  auto line = AsciiLine(entry);
  if (!line) return line.error();
  for (auto [file, path] : {std::pair{&binary_, ListPath()}, std::pair{&ascii_, AsciiPath()}}) {
    if (*file) continue;
    auto opened = env_.OpenForWrite(path);
    if (!opened) return opened.error();
    *file = std::move(*opened);
  }
  auto written =
      binary_->Write(std::string_view(reinterpret_cast<const char*>(entry.bytes.data()), entry.bytes.size()));
  if (written.error != 0 || written.accepted != entry.bytes.size()) {
    return IoError("short write of an entry (" + std::to_string(written.accepted) + " of " +
                       std::to_string(entry.bytes.size()) + " bytes)",
                   {.source = ListPath()});
  }
  written = ascii_->Write(*line);
  if (written.error != 0 || written.accepted != line->size()) {
    return IoError("short write of an entry's line", {.source = AsciiPath()});
  }
  ++settings_.entries;
  return {};
}

Status SimulatedNode::Extend(tpm::Tpm& tpm, const ima::EncodedEntry& entry) {
  if (active_banks_.empty()) {
    auto banks = tpm.ActiveBanks();
    if (!banks) return banks.error();
    active_banks_ = *banks;
  }
  std::vector<ima::Digest> digests;
  for (ima::HashAlgo bank : active_banks_) {
    const auto& hashed = settings_.hashed_banks;
    const bool padded = !hashed.empty() && std::find(hashed.begin(), hashed.end(), bank) == hashed.end();
    digests.push_back(ima::ExtendDigest(entry, bank, padded));
  }
  return Check(tpm.ExtendPcr(entry.pcr, digests), "extending PCR " + std::to_string(entry.pcr));
}

Status SimulatedNode::Measure(tpm::Tpm& tpm, const ima::MeasurementRecord& record) {
  auto entry = ima::EncodeEntry(settings_.template_kind, record);
  if (!entry) return entry.error();
  if (Status s = Write(*entry); !s) return s;
  return Extend(tpm, *entry);
}

Status SimulatedNode::AppendWithoutExtend(const ima::MeasurementRecord& record) {
  auto entry = ima::EncodeEntry(settings_.template_kind, record);
  if (!entry) return entry.error();
  return Write(*entry);
}

Result<uint64_t> SimulatedNode::EditFileDigest(std::optional<uint64_t> index) {
  auto bytes = env_.ReadFile(ListPath(), kMaxList);
  if (!bytes) return bytes.error();
  std::vector<uint8_t> list(bytes->begin(), bytes->end());
  auto file = NewMemoryFile(ListPath(), list);
  ima::BinaryLogReader reader(*file, {.template_digest_size = 20, .byte_order = ima::ByteOrder::kLittle});
  std::optional<uint64_t> at;
  uint64_t last = 0;
  for (;;) {
    auto batch = reader.Next();
    if (!batch) return batch.error();
    if (batch->empty()) break;
    for (const ima::EntryView& e : *batch) {
      if (index && e.index != *index) continue;
      auto fd = ima::FileDigestOf(e);
      if (!fd || fd->digest.empty()) continue;
      at = e.offset + static_cast<uint64_t>(fd->digest.data() - (e.template_digest.data() - 4));
      last = e.index;
    }
  }
  if (!at)
    return InvalidInput("no entry " + (index ? std::to_string(*index) : std::string("at all")) + " to edit");
  list[*at] ^= 0x01;
  binary_.reset();  // the appender would keep writing to the replaced file
  if (Status s = env_.WriteFileAtomically(
          ListPath(), std::string_view(reinterpret_cast<const char*>(list.data()), list.size()));
      !s)
    return s.error();
  return last;
}

Status SimulatedNode::StartList(tpm::Tpm& tpm) {
  auto banks = tpm.ActiveBanks();
  if (!banks) return banks.error();
  active_banks_ = *banks;
  if (std::find(banks->begin(), banks->end(), settings_.ima_hash) == banks->end()) {
    return InvalidInput("the TPM has no " + std::string(ima::Name(settings_.ima_hash)) +
                        " bank for the boot_aggregate");
  }
  std::vector<uint32_t> firmware(kFirmwarePcrs);
  for (uint32_t i = 0; i < kFirmwarePcrs; ++i) firmware[i] = i;
  auto pcrs = tpm.ReadPcrs(*banks, firmware);
  if (!pcrs) return pcrs.error();
  if (AllZero(*pcrs)) {
    for (uint32_t i : firmware) {
      std::vector<ima::Digest> events;
      for (ima::HashAlgo b : *banks) events.push_back(FirmwareEvent(b, i));
      if (Status s = tpm.ExtendPcr(i, events); !s) return s;
    }
    pcrs = tpm.ReadPcrs(*banks, firmware);
    if (!pcrs) return pcrs.error();
  }
  auto aggregate = ima::ComputeBootAggregate(settings_.ima_hash, *pcrs);
  if (!aggregate) return aggregate.error();
  ima::MeasurementRecord record{.path = std::string(ima::kBootAggregateName),
                                .algo = settings_.ima_hash,
                                .digest = {aggregate->view().begin(), aggregate->view().end()},
                                .pcr = kImaPcr,
                                .no_inode = true};
  auto entry = ima::EncodeEntry(settings_.template_kind, record);
  if (!entry) return entry.error();
  auto line = AsciiLine(*entry);
  if (!line) return line.error();
  binary_.reset();
  ascii_.reset();
  // The new list replaces the old one whole, as a reboot does.
  if (Status s = env_.WriteFileAtomically(
          ListPath(),
          std::string_view(reinterpret_cast<const char*>(entry->bytes.data()), entry->bytes.size()));
      !s)
    return s;
  if (Status s = env_.WriteFileAtomically(AsciiPath(), *line); !s) return s;
  settings_.entries = 1;
  if (Status s = Extend(tpm, *entry); !s) return s;
  return Save();
}

Status SimulatedNode::Reboot(tpm::Tpm& tpm, const SwtpmControl& control) {
  binary_.reset();
  ascii_.reset();
  // The machine goes down: its list goes with it before the TPM is reset, so an observer never
  // sees the old list against a reset TPM (nobody could, on a real machine).
  if (Status s = env_.WriteFileAtomically(ListPath(), ""); !s) return s;
  if (Status s = env_.WriteFileAtomically(AsciiPath(), ""); !s) return s;
  settings_.entries = 0;
  if (Status s = SwtpmInit(control); !s) return s;
  if (Status s = tpm.Reconnect(); !s) return s;
  ++settings_.boot;
  return StartList(tpm);
}

}  // namespace imawatch::simulate
