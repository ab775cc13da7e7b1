// Finds a benchmark by file or by id in a benchmarks directory (the repo's benchmarks/ in tests,
// /usr/share/imawatch/benchmarks when installed).
#pragma once

#include <string>

#include "monitor/base/env.h"
#include "monitor/base/result.h"
#include "monitor/compliance/benchmark.h"

namespace imawatch::compliance {

// Where an installed imawatch looks for benchmarks.
std::string DefaultBenchmarksDir();

// id_or_file: a path to a YAML file, or an id matched against <dir>/<id>.yaml and then against
// the benchmark.id of every *.yaml in dir.
Result<Benchmark> FindBenchmark(Env& env, const std::string& id_or_file, const std::string& dir);

}  // namespace imawatch::compliance
