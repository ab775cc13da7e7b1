// Reads a benchmark YAML file (doc/benchmark-format.md) into the model. Every problem is an
// error with file, line and column: malformed YAML, unknown or duplicate keys, wrong types,
// unknown check kinds or formats, duplicate or undeclared ids, invalid patterns.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/env.h"
#include "monitor/base/result.h"
#include "monitor/compliance/benchmark.h"

namespace imawatch::compliance {

inline constexpr uint64_t kMaxBenchmarkBytes = 8 << 20;

Result<Benchmark> ParseBenchmark(std::string_view yaml, const std::string& source);
Result<Benchmark> LoadBenchmark(Env& env, const std::string& path);

// The keys a check of this kind accepts (besides "kind"), for the schema and its test.
std::vector<std::string_view> CheckKeys(CheckKind kind);
// Values accepted for a manual check's "source".
std::vector<std::string_view> ManualSources();

}  // namespace imawatch::compliance
