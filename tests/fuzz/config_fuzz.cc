// Fuzzes the daemon config parser: any bytes give a config that keeps the documented ranges,
// or an Error with a position and a printable message; never a crash or an escaping exception.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>

#include "monitor/base/utf8.h"
#include "monitor/daemon/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace std::chrono_literals;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = imawatch::daemon::ParseConfig(text, "fuzz.yaml");
  if (!config) {
    const imawatch::Error& e = config.error();
    if (e.where().source != "fuzz.yaml" || !imawatch::IsValidUtf8(e.message())) __builtin_trap();
    return 0;
  }
  const auto& c = *config;
  if (c.poll_interval < 50ms || c.quote_interval < 1s || c.ima_pcrs.empty()) __builtin_trap();
  for (uint32_t pcr : c.ima_pcrs) {
    if (pcr > 23) __builtin_trap();
  }
  if (c.metrics_require_token && c.token_file.empty()) __builtin_trap();
  std::set<std::string> names;
  for (const auto& sink : c.sinks) {
    if (!names.insert(sink.name).second) __builtin_trap();
    if (sink.type != "webhook" && sink.type != "file" && sink.type != "syslog") __builtin_trap();
  }
  return 0;
}
