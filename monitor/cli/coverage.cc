// imawatch coverage: how much of a CIS benchmark a kind of IMA evidence can decide, per level
// and per profile, and why the rest cannot be decided.
#include "monitor/compliance/coverage.h"

#include <cmath>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "monitor/base/env.h"
#include "monitor/cli/command.h"
#include "monitor/cli/json_output.h"
#include "monitor/compliance/benchmark_catalog.h"

namespace imawatch::cli {
namespace {

using nlohmann::json;
namespace comp = imawatch::compliance;

struct CoverageArgs {
  std::string benchmark;
  std::string template_name = "ima-ng";
  std::string benchmarks_dir = comp::DefaultBenchmarksDir();
  bool json = false;
};

double OneDecimal(double v) { return std::round(v * 10.0) / 10.0; }

std::string Percent(int part, int total) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << (total ? 100.0 * part / total : 0.0) << " %";
  return out.str();
}

json RowJson(const comp::CoverageRow& row, bool by_level) {
  json undecidable = json::array();
  for (const auto& u : row.undecidable) undecidable.push_back(u.id);
  json out = {{"title", row.title},
              {"total", row.total},
              {"decidable", row.decidable},
              {"percent", OneDecimal(row.Percent())},
              {"undecidable", undecidable}};
  if (by_level) {
    out["level"] = std::stoi(row.group.substr(row.group.find(' ') + 1));
  } else {
    out["profile"] = row.group;
  }
  return out;
}

json CoverageJson(const comp::Benchmark& b, const comp::Coverage& c, const comp::EvidenceCapabilities& caps) {
  json levels = json::array(), profiles = json::array(), undecidable = json::array();
  for (const auto& row : c.by_level) levels.push_back(RowJson(row, true));
  for (const auto& row : c.by_profile) profiles.push_back(RowJson(row, false));
  for (const auto& u : c.undecidable)
    undecidable.push_back({{"id", u.id}, {"title", u.title}, {"reason", u.reason}});
  return {{"benchmark", {{"id", b.id}, {"title", b.title}, {"version", b.version}, {"file", b.file}}},
          {"template", caps.template_name},
          {"evidence", {{"content", caps.content}, {"metadata", caps.metadata}}},
          {"total", c.total},
          {"decidable", c.decidable},
          {"percent", OneDecimal(c.total ? 100.0 * c.decidable / c.total : 0.0)},
          {"by_level", levels},
          {"by_profile", profiles},
          {"undecidable", undecidable}};
}

void PrintRow(std::ostream& out, const std::string& label, const comp::CoverageRow& row) {
  out << "  " << std::left << std::setw(40) << label << std::right << std::setw(4) << row.decidable << " of "
      << std::left << std::setw(4) << row.total << std::right << " (" << Percent(row.decidable, row.total)
      << ")\n";
}

void PrintCoverage(const comp::Benchmark& b, const comp::Coverage& c,
                   const comp::EvidenceCapabilities& caps) {
  std::ostream& out = std::cout;
  out << b.title << " v" << b.version << " [" << b.id << "]\n";
  out << "evidence: " << caps.template_name << " template ("
      << (caps.metadata ? "file content, owner, group and mode"
                        : "file content only; no owner, group or mode")
      << ")\n\n";
  if (!c.by_level.empty()) {
    out << "decidable by level:\n";
    for (const auto& row : c.by_level) PrintRow(out, row.title, row);
  }
  out << "decidable by profile:\n";
  for (const auto& row : c.by_profile) PrintRow(out, row.group + " (" + row.title + ")", row);
  out << "overall: " << c.decidable << " of " << c.total << " (" << Percent(c.decidable, c.total) << ")\n";
  if (!c.undecidable.empty()) {
    out << "\nnot decidable with this evidence (" << c.undecidable.size() << "):\n";
    for (const auto& u : c.undecidable)
      out << "  " << u.id << "  " << u.title << "\n      " << u.reason << "\n";
  }
}

int Run(const CoverageArgs& args) {
  auto caps = comp::EvidenceCapabilities::ForTemplate(args.template_name);
  if (!caps) {
    std::cerr << "imawatch coverage: unknown template '" << args.template_name
              << "' (expected ima, ima-ng, ima-sig or evm-sig)\n";
    return kExitUsage;
  }
  auto benchmark = comp::FindBenchmark(Env::Default(), args.benchmark, args.benchmarks_dir);
  if (!benchmark) {
    std::cerr << "imawatch coverage: " << benchmark.error().ToString() << "\n";
    return kExitUsage;
  }
  comp::Coverage coverage = comp::ComputeCoverage(*benchmark, *caps);
  if (args.json) {
    std::cout << JsonText(CoverageJson(*benchmark, coverage, *caps)) << "\n";
  } else {
    PrintCoverage(*benchmark, coverage, *caps);
  }
  return kExitOk;
}

const CommandRegistration kCoverage("coverage", [](CLI::App& root, int& exit_code) {
  auto args = std::make_shared<CoverageArgs>();
  auto* cmd = root.add_subcommand(
      "coverage",
      "How many recommendations of a CIS benchmark IMA evidence of a given template can decide, and why "
      "the others cannot");
  cmd->add_option("--benchmark", args->benchmark, "Benchmark id (e.g. cis-kubernetes-v1.7.1) or YAML file")
      ->required();
  cmd->add_option(
         "--template", args->template_name,
         "IMA template of the evidence: ima-ng or ima-sig (file content), evm-sig (content plus owner, "
         "group and mode)")
      ->check(CLI::IsMember({"ima", "ima-ng", "ima-sig", "evm-sig"}))
      ->capture_default_str();
  cmd->add_option("--benchmarks-dir", args->benchmarks_dir, "Where benchmarks are found by id")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->callback([args, &exit_code] { exit_code = Run(*args); });
});

}  // namespace
}  // namespace imawatch::cli
