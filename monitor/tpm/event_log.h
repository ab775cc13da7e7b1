// The firmware's TCG event log, as the kernel exports it in
// securityfs tpm0/binary_bios_measurements: the TCG PC Client crypto-agile format (a SHA1-format
// "Spec ID Event03" header, then TCG_PCR_EVENT2 records with one digest per bank) or the
// older SHA1-only TCG 1.2 format. Replay gives the PCRs the firmware extended (PCR 0-9: the
// boot_aggregate input). See doc/tcg-event-log-format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/env.h"
#include "monitor/base/result.h"
#include "monitor/ima/digest.h"
#include "monitor/ima/pcr_values.h"

namespace imawatch::tpm {

inline constexpr std::string_view kDefaultEventLogPath = "/sys/kernel/security/tpm0/binary_bios_measurements";
inline constexpr uint64_t kMaxEventLogSize = 16 << 20;
inline constexpr uint32_t kEvNoAction = 0x00000003;

enum class EventLogFormat : uint8_t {
  kTcg12Sha1,    // TCG_PCClientPCREvent records only, SHA1 digests
  kCryptoAgile,  // Spec ID Event03 header + TCG_PCR_EVENT2 records
};

// One algorithm of the Spec ID event; algo is unset for algorithms imawatch does not know
// (their digests are skipped by size and not replayed).
struct EventLogAlgorithm {
  uint16_t tpm_alg_id = 0;
  uint16_t digest_size = 0;
  std::optional<ima::HashAlgo> algo;
};

struct TcgEvent {
  uint64_t offset = 0;  // where the record starts in the log
  uint32_t pcr = 0;
  uint32_t type = 0;
  std::vector<ima::Digest> digests;  // one per known algorithm, in log order
  std::vector<uint8_t> data;
};

struct EventLog {
  EventLogFormat format = EventLogFormat::kTcg12Sha1;
  // Spec ID Event03 fields (crypto-agile only).
  uint32_t platform_class = 0;
  uint8_t spec_version_major = 0;
  uint8_t spec_version_minor = 0;
  uint8_t spec_errata = 0;
  uint8_t uintn_size = 0;
  std::vector<EventLogAlgorithm> algorithms;  // {sha1, 20} for TCG 1.2
  // From a StartupLocality EV_NO_ACTION event: PCR 0 starts as 0...0<locality>.
  std::optional<uint8_t> startup_locality;
  std::vector<TcgEvent> events;  // every record, the header event first
};

// Errors carry the byte offset of the field at fault and the event index.
Result<EventLog> ParseEventLog(std::span<const uint8_t> bytes, const std::string& source);
Result<EventLog> LoadEventLog(Env& env, const std::string& path);

// Every known bank, every PCR an event extends: PCRs start at zero (PCR 0 at the startup
// locality), EV_NO_ACTION events are not extended.
ima::PcrValues ReplayEventLog(const EventLog& log);

// "EV_SEPARATOR", "EV_EFI_BOOT_SERVICES_APPLICATION", ...; "0x%08x" for unknown types.
std::string EventTypeName(uint32_t type);

}  // namespace imawatch::tpm
