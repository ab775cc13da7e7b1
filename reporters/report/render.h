// Every report format from the one report model (doc/report-format.md): pick a format by name,
// render a model to the bytes a file or an HTTP response carries.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"
#include "reporters/report/report_model.h"

namespace imawatch::report {

enum class Format { kJson, kText, kOscal, kOcsf, kAsff, kCsv, kJunit, kHtml };

std::optional<Format> FormatFromName(std::string_view name);
std::string_view FormatName(Format format);
std::string_view ContentType(Format format);
// "json, text, oscal, ..." for usage and error messages.
std::string FormatNames();

struct RenderOptions {
  std::string ocsf_version = "1.6";  // 1.6 or 1.1
  // The report before this one for the same node and benchmark: OCSF activity (Create, Update,
  // Close) follows from it. None: every finding is new (a one-shot check).
  const ReportModel* previous = nullptr;
  std::string aws_account_id = "000000000000";
  std::string aws_region = "us-east-1";
};

struct RenderInput {
  const nlohmann::json& report;  // the report JSON the model was read from (format json)
  const ReportModel& model;
};

// Errors: an unsupported option value (an OCSF version this build does not write).
Result<std::string> Render(Format format, const RenderInput& input, const RenderOptions& options);

// One function per format (oscal.cc, ocsf.cc, ...).
nlohmann::json OscalAssessmentResults(const ReportModel& model);
nlohmann::json OcsfFindings(const ReportModel& model, const RenderOptions& options);
// BatchImportFindings request bodies: {"Findings": [...]} with at most kAsffBatchSize each.
inline constexpr size_t kAsffBatchSize = 100;
std::vector<nlohmann::json> AsffBatches(const ReportModel& model, const RenderOptions& options);
std::string CsvReport(const ReportModel& model);
std::string JunitReport(const ReportModel& model);
std::string HtmlReport(const ReportModel& model);

// The deterministic v5 UUID of a recommendation's finding on a node: re-runs update it.
std::string FindingUuid(const ReportModel& model, const std::string& recommendation_id);

}  // namespace imawatch::report
