// TCG firmware event log parser and replay on arbitrary bytes: errors, never crashes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "monitor/tpm/event_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto log = imawatch::tpm::ParseEventLog(std::span<const uint8_t>(data, size), "fuzz");
  if (!log.ok()) {
    (void)log.error().ToString();
    return 0;
  }
  (void)imawatch::tpm::ReplayEventLog(*log);
  for (const auto& event : log->events) (void)imawatch::tpm::EventTypeName(event.type);
  return 0;
}
