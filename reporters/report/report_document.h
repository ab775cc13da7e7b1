// One benchmark's verdicts on one node with the proof they stand on: what `imawatch check`
// prints and the daemon serves at /v1/reports/{benchmark}, rendered as JSON or text.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "monitor/compliance/benchmark.h"
#include "monitor/compliance/check.h"

namespace imawatch::report {

// The "format" member of every report JSON (doc/schemas/report.schema.json).
inline constexpr const char* kReportFormat = "imawatch-report/1";

// Which stored quote (doc/evidence-format.md) proves the PCR values a report rests on.
struct QuoteReference {
  int64_t id = 0;  // the store's quote id
  int64_t taken_at = 0;
  std::string nonce;  // hex
};

struct ReportDocument {
  const compliance::Benchmark* benchmark = nullptr;  // as evaluated (level/profile filters applied)
  const compliance::CheckOutcome* outcome = nullptr;
  std::string hostname;
  std::string root;        // where the node's files were read
  std::string list;        // the measurement list read
  std::string pcr_source;  // "TPM swtpm:...", a PCR file
  // Set by the daemon: when the verdicts were decided, in which boot epoch, in which state.
  std::optional<int64_t> generated_at;
  std::optional<int64_t> epoch;
  std::string state;
  // The TPM quote that vouches for the PCR values (the daemon's latest evidence bundle).
  std::optional<QuoteReference> quote;
};

// Every recommendation is pass, manual or not-applicable.
bool IsCompliant(const compliance::Report& report);
std::vector<std::string> IdsWithVerdict(const compliance::Report& report, compliance::Verdict verdict);

nlohmann::json ReportJson(const ReportDocument& doc);
void WriteTextReport(std::ostream& out, const ReportDocument& doc);

}  // namespace imawatch::report
