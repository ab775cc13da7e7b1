#include "reporters/report/render.h"

#include <sstream>

#include "reporters/report/uuid.h"

namespace imawatch::report {
namespace {

struct FormatInfo {
  Format format;
  std::string_view name, content_type;
};

constexpr FormatInfo kFormats[] = {
    {Format::kJson, "json", "application/json"},
    {Format::kText, "text", "text/plain; charset=utf-8"},
    {Format::kOscal, "oscal", "application/json"},
    {Format::kOcsf, "ocsf", "application/json"},
    {Format::kAsff, "asff", "application/json"},
    {Format::kCsv, "csv", "text/csv; charset=utf-8; header=present"},
    {Format::kJunit, "junit", "application/xml"},
    {Format::kHtml, "html", "text/html; charset=utf-8"},
};

std::string Dump(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

std::optional<Format> FormatFromName(std::string_view name) {
  for (const auto& f : kFormats) {
    if (f.name == name) return f.format;
  }
  return std::nullopt;
}

std::string_view FormatName(Format format) {
  for (const auto& f : kFormats) {
    if (f.format == format) return f.name;
  }
  return "?";
}

std::string_view ContentType(Format format) {
  for (const auto& f : kFormats) {
    if (f.format == format) return f.content_type;
  }
  return "application/octet-stream";
}

std::string FormatNames() {
  std::string out;
  for (const auto& f : kFormats) out += (out.empty() ? "" : ", ") + std::string(f.name);
  return out;
}

std::string FindingUuid(const ReportModel& model, const std::string& recommendation_id) {
  return UuidV5(kImawatchUuidNamespace,
                "finding/" + model.hostname + "/" + model.benchmark_id + "/" + recommendation_id);
}

Result<std::string> Render(Format format, const RenderInput& input, const RenderOptions& options) {
  switch (format) {
    case Format::kJson:
      return Dump(input.report);
    case Format::kText: {
      std::ostringstream out;
      WriteTextReport(out, input.model);
      return out.str();
    }
    case Format::kOscal:
      return Dump(OscalAssessmentResults(input.model));
    case Format::kOcsf:
      if (options.ocsf_version != "1.6" && options.ocsf_version != "1.1") {
        return Error(ErrorKind::kUnsupported,
                     "OCSF version '" + options.ocsf_version + "' is not written here (1.6, 1.1)");
      }
      return Dump(OcsfFindings(input.model, options));
    case Format::kAsff:
      return Dump(nlohmann::json(AsffBatches(input.model, options)));
    case Format::kCsv:
      return CsvReport(input.model);
    case Format::kJunit:
      return JunitReport(input.model);
    case Format::kHtml:
      return HtmlReport(input.model);
  }
  return Error(ErrorKind::kInternal, "unknown format");
}

}  // namespace imawatch::report
