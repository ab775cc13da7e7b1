// The one-shot check that `imawatch check` prints and `imawatch report` renders: its options,
// and running it to a report document.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "monitor/base/result.h"
#include "monitor/cli/list_options.h"
#include "monitor/compliance/benchmark.h"
#include "monitor/compliance/benchmark_catalog.h"
#include "monitor/compliance/check.h"
#include "reporters/report/report_document.h"

namespace imawatch::cli {

struct CheckArgs {
  std::string benchmark;
  std::string benchmarks_dir = compliance::DefaultBenchmarksDir();
  std::string log, pcrs, securityfs, tcti;
  std::vector<std::string> allowlists, certs;
  std::string root = "/";
  std::optional<int> level;
  std::string profile;
  std::vector<uint32_t> ima_pcrs = {10};
  bool measures_module_loads = false;
  unsigned threads = 0;
  ListOptions list;
};

// --benchmark is added by the caller (required for check, shared with --store for report).
void AddCheckOptions(CLI::App* cmd, CheckArgs& args);

// A finished check; doc points into it (keep it where it is).
struct CheckRun {
  compliance::Benchmark evaluated;  // level/profile filters applied
  compliance::CheckOutcome outcome;
  report::ReportDocument doc;
};

// Errors are usage and input errors (exit 2).
Result<std::unique_ptr<CheckRun>> RunCheckCommand(const CheckArgs& args);

}  // namespace imawatch::cli
