// Fuzzes the sinks' parsers, picked by the first byte: Retry-After / HTTP-date, CEF (a parsed
// record renders to text that parses back to the same record), syslog frames and messages,
// and outbox messages (their ids are well-formed UUIDs). Any input: an error or a value,
// never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "reporters/sinks/cef.h"
#include "reporters/sinks/finding_event.h"
#include "reporters/sinks/retry_policy.h"
#include "reporters/sinks/syslog_frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imawatch::sinks;
  if (size == 0) return 0;
  const uint8_t selector = data[0] % 5;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (selector) {
    case 0: {
      auto delay = ParseRetryAfter(text, 1700000000);
      if (delay && (delay->count() < 0 || *delay > kMaxRetryAfter)) std::abort();
      if (auto date = ParseHttpDate(text); date && (*date < -62167219200 || *date > 253402300799)) std::abort();
      break;
    }
    case 1: {
      auto record = ParseCef(text);
      if (!record.ok()) break;
      auto again = ParseCef(RenderCef(*record));
      if (!again.ok()) std::abort();
      if (again->name != record->name || again->vendor != record->vendor || again->severity != record->severity ||
          again->extension != record->extension)
        std::abort();
      break;
    }
    case 2: {
      std::string buffer(text);
      auto frames = TakeFrames(buffer, 4096);
      if (frames.ok()) {
        for (const std::string& f : *frames) {
          if (f.size() > 4096) std::abort();
          (void)ParseSyslog(f);
        }
      }
      break;
    }
    case 3: {
      auto m = ParseSyslog(text);
      if (m.ok() && (m->facility > 23 || m->severity > 7)) std::abort();
      break;
    }
    case 4: {
      auto e = ParseFindingEvent(text);
      if (e.ok()) {
        if (e->EventId().size() != 36 || e->FindingId().size() != 36) std::abort();
        (void)RenderCef(FindingCef(*e, "0"));
        (void)e->WireJson();
      }
      break;
    }
  }
  return 0;
}
