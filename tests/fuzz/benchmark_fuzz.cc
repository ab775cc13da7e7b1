// Fuzzes the benchmark loader: any bytes must give a Benchmark or an Error with a position,
// never a crash, a hang or an exception escaping.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "monitor/compliance/benchmark_loader.h"
#include "monitor/compliance/coverage.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto benchmark = imawatch::compliance::ParseBenchmark(text, "fuzz.yaml");
  if (benchmark) {
    // What a loaded benchmark promises: coverage can always be computed.
    auto caps = imawatch::compliance::EvidenceCapabilities::ForTemplate("evm-sig");
    auto coverage = imawatch::compliance::ComputeCoverage(*benchmark, *caps);
    if (coverage.total != static_cast<int>(benchmark->recommendations.size())) __builtin_trap();
  } else if (benchmark.error().where().source != "fuzz.yaml") {
    __builtin_trap();
  }
  return 0;
}
