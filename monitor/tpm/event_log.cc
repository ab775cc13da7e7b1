#include "monitor/tpm/event_log.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

namespace imawatch::tpm {
namespace {

constexpr size_t kSha1Size = 20;
constexpr uint32_t kMaxAlgorithms = 16;                 // TPM2_NUM_PCR_BANKS
constexpr char kSpecIdSignature[] = "Spec ID Event03";  // 16 bytes with the NUL
constexpr char kStartupLocalitySignature[] = "StartupLocality";

// Bounds-checked little-endian reads; every failure names the field and its offset.
class Reader {
 public:
  Reader(std::span<const uint8_t> bytes, const std::string& source) : bytes_(bytes), source_(source) {}

  size_t offset() const { return offset_; }
  size_t remaining() const { return bytes_.size() - offset_; }
  void set_event(uint64_t index) { event_ = index; }

  Error Fail(std::string message, size_t at) const {
    return InvalidInput(std::move(message), {.source = source_, .byte_offset = at, .entry_index = event_});
  }
  Result<std::span<const uint8_t>> Take(size_t size, std::string_view what) {
    if (size > remaining()) {
      return Fail(std::string(what) + " needs " + std::to_string(size) + " bytes, the log has " +
                      std::to_string(remaining()) + " left",
                  offset_);
    }
    auto out = bytes_.subspan(offset_, size);
    offset_ += size;
    return out;
  }
  Result<uint32_t> U32(std::string_view what) {
    auto b = Take(4, what);
    if (!b) return b.error();
    return uint32_t{(*b)[0]} | (uint32_t{(*b)[1]} << 8) | (uint32_t{(*b)[2]} << 16) |
           (uint32_t{(*b)[3]} << 24);
  }
  Result<uint16_t> U16(std::string_view what) {
    auto b = Take(2, what);
    if (!b) return b.error();
    return static_cast<uint16_t>((*b)[0] | ((*b)[1] << 8));
  }
  Result<uint8_t> U8(std::string_view what) {
    auto b = Take(1, what);
    if (!b) return b.error();
    return (*b)[0];
  }

 private:
  std::span<const uint8_t> bytes_;
  const std::string& source_;
  size_t offset_ = 0;
  std::optional<uint64_t> event_;
};

// TCG_PCClientPCREvent: PCRIndex, EventType, SHA1 digest, EventSize, Event.
Result<TcgEvent> ReadSha1Event(Reader& r) {
  TcgEvent event;
  event.offset = r.offset();
  auto pcr = r.U32("PCR index");
  if (!pcr) return pcr.error();
  auto type = r.U32("event type");
  if (!type) return type.error();
  auto digest = r.Take(kSha1Size, "SHA1 digest");
  if (!digest) return digest.error();
  size_t size_at = r.offset();
  auto size = r.U32("event size");
  if (!size) return size.error();
  auto data = r.Take(*size, "event data");
  if (!data)
    return r.Fail("event data of " + std::to_string(*size) + " bytes runs past the end of the log", size_at);
  event.pcr = *pcr;
  event.type = *type;
  event.digests.emplace_back(ima::HashAlgo::kSha1, *digest);
  event.data.assign(data->begin(), data->end());
  return event;
}

bool IsSpecIdEvent(const TcgEvent& event) {
  return event.type == kEvNoAction && event.pcr == 0 && event.data.size() >= sizeof(kSpecIdSignature) &&
         std::memcmp(event.data.data(), kSpecIdSignature, sizeof(kSpecIdSignature)) == 0;
}

// TCG_EfiSpecIDEvent, inside the header event's data (starting at data_offset in the log).
Status ParseSpecId(const TcgEvent& header, uint64_t data_offset, const std::string& source, EventLog& log) {
  Reader r(header.data, source);
  r.set_event(0);
  auto fail = [&](std::string message, size_t at) {
    return InvalidInput("Spec ID event: " + std::move(message),
                        {.source = source, .byte_offset = data_offset + at, .entry_index = 0});
  };
  auto rebase = [&](const Error& e) {
    return InvalidInput(
        "Spec ID event: " + e.message(),
        {.source = source, .byte_offset = data_offset + *e.where().byte_offset, .entry_index = 0});
  };
  if (auto sig = r.Take(sizeof(kSpecIdSignature), "signature"); !sig) return rebase(sig.error());
  auto platform_class = r.U32("platformClass");
  auto minor = r.U8("specVersionMinor");
  auto major = r.U8("specVersionMajor");
  auto errata = r.U8("specErrata");
  auto uintn = r.U8("uintnSize");
  if (!platform_class) return rebase(platform_class.error());
  if (!minor) return rebase(minor.error());
  if (!major) return rebase(major.error());
  if (!errata) return rebase(errata.error());
  if (!uintn) return rebase(uintn.error());
  log.platform_class = *platform_class;
  log.spec_version_minor = *minor;
  log.spec_version_major = *major;
  log.spec_errata = *errata;
  log.uintn_size = *uintn;
  size_t count_at = r.offset();
  auto count = r.U32("numberOfAlgorithms");
  if (!count) return rebase(count.error());
  if (*count == 0 || *count > kMaxAlgorithms) {
    return fail(
        "numberOfAlgorithms is " + std::to_string(*count) + ", expected 1.." + std::to_string(kMaxAlgorithms),
        count_at);
  }
  for (uint32_t i = 0; i < *count; ++i) {
    size_t at = r.offset();
    auto id = r.U16("algorithmId");
    if (!id) return rebase(id.error());
    auto size = r.U16("digestSize");
    if (!size) return rebase(size.error());
    EventLogAlgorithm alg{*id, *size, ima::HashAlgoFromTpmId(*id)};
    if (alg.algo && ima::DigestSize(*alg.algo) != *size) {
      return fail(std::string(ima::Name(*alg.algo)) + " digest size given as " + std::to_string(*size), at);
    }
    if (*size == 0 || *size > ima::kMaxDigestSize) {
      return fail(
          "digest size " + std::to_string(*size) + " of algorithm " + std::to_string(*id) + " is not 1..64",
          at);
    }
    for (const auto& seen : log.algorithms) {
      if (seen.tpm_alg_id == *id) return fail("algorithm " + std::to_string(*id) + " listed twice", at);
    }
    log.algorithms.push_back(alg);
  }
  auto vendor_size = r.U8("vendorInfoSize");
  if (!vendor_size) return rebase(vendor_size.error());
  if (auto vendor = r.Take(*vendor_size, "vendorInfo"); !vendor) return rebase(vendor.error());
  return {};
}

// TCG_PCR_EVENT2: PCRIndex, EventType, TPML_DIGEST_VALUES (count, {algId, digest}...),
// EventSize, Event.
Result<TcgEvent> ReadEvent2(Reader& r, const EventLog& log) {
  TcgEvent event;
  event.offset = r.offset();
  auto pcr = r.U32("PCR index");
  if (!pcr) return pcr.error();
  auto type = r.U32("event type");
  if (!type) return type.error();
  size_t count_at = r.offset();
  auto count = r.U32("digest count");
  if (!count) return count.error();
  if (*count != log.algorithms.size()) {
    return r.Fail("event has " + std::to_string(*count) + " digests, the Spec ID event lists " +
                      std::to_string(log.algorithms.size()) + " algorithms",
                  count_at);
  }
  std::vector<uint16_t> seen;
  for (uint32_t i = 0; i < *count; ++i) {
    size_t at = r.offset();
    auto id = r.U16("digest algorithm");
    if (!id) return id.error();
    auto alg = std::find_if(log.algorithms.begin(), log.algorithms.end(),
                            [&](const EventLogAlgorithm& a) { return a.tpm_alg_id == *id; });
    if (alg == log.algorithms.end()) {
      return r.Fail("digest algorithm " + std::to_string(*id) + " is not in the Spec ID event", at);
    }
    if (std::find(seen.begin(), seen.end(), *id) != seen.end()) {
      return r.Fail("two digests of algorithm " + std::to_string(*id), at);
    }
    seen.push_back(*id);
    auto digest = r.Take(alg->digest_size, "digest");
    if (!digest) return digest.error();
    if (alg->algo) event.digests.emplace_back(*alg->algo, *digest);
  }
  size_t size_at = r.offset();
  auto size = r.U32("event size");
  if (!size) return size.error();
  auto data = r.Take(*size, "event data");
  if (!data)
    return r.Fail("event data of " + std::to_string(*size) + " bytes runs past the end of the log", size_at);
  event.pcr = *pcr;
  event.type = *type;
  event.data.assign(data->begin(), data->end());
  return event;
}

Status CheckEvent(const TcgEvent& event, Reader& r, EventLog& log) {
  if (event.type == kEvNoAction) {
    constexpr size_t kSigSize = sizeof(kStartupLocalitySignature);
    if (event.data.size() == kSigSize + 1 &&
        std::memcmp(event.data.data(), kStartupLocalitySignature, kSigSize) == 0) {
      if (event.pcr != 0)
        return r.Fail("StartupLocality event for PCR " + std::to_string(event.pcr), event.offset);
      log.startup_locality = event.data[kSigSize];
    }
    return {};
  }
  if (event.pcr > ima::kMaxPcrIndex) {
    return r.Fail("event extends PCR " + std::to_string(event.pcr) + ", not 0..23", event.offset);
  }
  return {};
}

}  // namespace

Result<EventLog> ParseEventLog(std::span<const uint8_t> bytes, const std::string& source) {
  if (bytes.size() > kMaxEventLogSize) {
    return InvalidInput("event log is larger than " + std::to_string(kMaxEventLogSize) + " bytes",
                        {.source = source});
  }
  if (bytes.empty())
    return InvalidInput("event log is empty", {.source = source, .byte_offset = 0, .entry_index = 0});
  EventLog log;
  Reader r(bytes, source);
  r.set_event(0);
  auto header = ReadSha1Event(r);
  if (!header) return header.error();
  if (IsSpecIdEvent(*header)) {
    log.format = EventLogFormat::kCryptoAgile;
    uint64_t data_offset = header->offset + 32;  // pcr, type, digest[20], size
    if (Status s = ParseSpecId(*header, data_offset, source, log); !s) return s.error();
  } else {
    log.format = EventLogFormat::kTcg12Sha1;
    log.algorithms.push_back({ima::Info(ima::HashAlgo::kSha1).tpm_alg_id, kSha1Size, ima::HashAlgo::kSha1});
    if (Status s = CheckEvent(*header, r, log); !s) return s.error();
  }
  log.events.push_back(std::move(*header));
  // Strict to the last byte: the kernel's export ends with the last event, so any leftover
  // (even zero padding) means a cut or damaged log.
  while (r.remaining() > 0) {
    r.set_event(log.events.size());
    auto event = log.format == EventLogFormat::kCryptoAgile ? ReadEvent2(r, log) : ReadSha1Event(r);
    if (!event) return event.error();
    if (Status s = CheckEvent(*event, r, log); !s) return s.error();
    log.events.push_back(std::move(*event));
  }
  return log;
}

Result<EventLog> LoadEventLog(Env& env, const std::string& path) {
  auto bytes = env.ReadFile(path, kMaxEventLogSize);
  if (!bytes) return bytes.error();
  const auto* data = reinterpret_cast<const uint8_t*>(bytes->data());
  return ParseEventLog(std::span<const uint8_t>(data, bytes->size()), path);
}

ima::PcrValues ReplayEventLog(const EventLog& log) {
  std::set<uint32_t> pcrs;
  for (const auto& event : log.events) {
    if (event.type != kEvNoAction) pcrs.insert(event.pcr);
  }
  ima::PcrValues values;
  for (const auto& alg : log.algorithms) {
    if (!alg.algo) continue;
    const ima::HashAlgo bank = *alg.algo;
    const EVP_MD* md = EVP_get_digestbyname(std::string(ima::Name(bank)).c_str());
    if (!md) continue;  // an OpenSSL without this hash (sm3): that bank cannot be replayed
    std::map<uint32_t, ima::Digest> state;
    for (uint32_t pcr : pcrs) {
      ima::Digest initial = ima::Digest::Zero(bank);
      if (pcr == 0 && log.startup_locality) initial.bytes[initial.size - 1] = *log.startup_locality;
      state[pcr] = initial;
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    for (const auto& event : log.events) {
      if (event.type == kEvNoAction) continue;
      auto digest = std::find_if(event.digests.begin(), event.digests.end(),
                                 [&](const ima::Digest& d) { return d.algo == bank; });
      if (digest == event.digests.end()) continue;
      ima::Digest& pcr = state[event.pcr];
      unsigned int size = 0;
      EVP_DigestInit_ex(ctx, md, nullptr);
      EVP_DigestUpdate(ctx, pcr.bytes.data(), pcr.size);
      EVP_DigestUpdate(ctx, digest->bytes.data(), digest->size);
      EVP_DigestFinal_ex(ctx, pcr.bytes.data(), &size);
    }
    EVP_MD_CTX_free(ctx);
    for (const auto& [index, value] : state) values.Set(bank, index, value);
  }
  return values;
}

std::string EventTypeName(uint32_t type) {
  static const std::map<uint32_t, std::string_view> kNames = {
      {0x00000000, "EV_PREBOOT_CERT"},
      {0x00000001, "EV_POST_CODE"},
      {0x00000002, "EV_UNUSED"},
      {0x00000003, "EV_NO_ACTION"},
      {0x00000004, "EV_SEPARATOR"},
      {0x00000005, "EV_ACTION"},
      {0x00000006, "EV_EVENT_TAG"},
      {0x00000007, "EV_S_CRTM_CONTENTS"},
      {0x00000008, "EV_S_CRTM_VERSION"},
      {0x00000009, "EV_CPU_MICROCODE"},
      {0x0000000a, "EV_PLATFORM_CONFIG_FLAGS"},
      {0x0000000b, "EV_TABLE_OF_DEVICES"},
      {0x0000000c, "EV_COMPACT_HASH"},
      {0x0000000d, "EV_IPL"},
      {0x0000000e, "EV_IPL_PARTITION_DATA"},
      {0x0000000f, "EV_NONHOST_CODE"},
      {0x00000010, "EV_NONHOST_CONFIG"},
      {0x00000011, "EV_NONHOST_INFO"},
      {0x00000012, "EV_OMIT_BOOT_DEVICE_EVENTS"},
      {0x80000000, "EV_EFI_EVENT_BASE"},
      {0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG"},
      {0x80000002, "EV_EFI_VARIABLE_BOOT"},
      {0x80000003, "EV_EFI_BOOT_SERVICES_APPLICATION"},
      {0x80000004, "EV_EFI_BOOT_SERVICES_DRIVER"},
      {0x80000005, "EV_EFI_RUNTIME_SERVICES_DRIVER"},
      {0x80000006, "EV_EFI_GPT_EVENT"},
      {0x80000007, "EV_EFI_ACTION"},
      {0x80000008, "EV_EFI_PLATFORM_FIRMWARE_BLOB"},
      {0x80000009, "EV_EFI_HANDOFF_TABLES"},
      {0x8000000a, "EV_EFI_PLATFORM_FIRMWARE_BLOB2"},
      {0x8000000b, "EV_EFI_HANDOFF_TABLES2"},
      {0x8000000c, "EV_EFI_VARIABLE_BOOT2"},
      {0x80000010, "EV_EFI_HCRTM_EVENT"},
      {0x800000e0, "EV_EFI_VARIABLE_AUTHORITY"},
      {0x800000e1, "EV_EFI_SPDM_FIRMWARE_BLOB"},
      {0x800000e2, "EV_EFI_SPDM_FIRMWARE_CONFIG"},
  };
  if (auto it = kNames.find(type); it != kNames.end()) return std::string(it->second);
  char text[16];
  std::snprintf(text, sizeof(text), "0x%08x", type);
  return text;
}

}  // namespace imawatch::tpm
