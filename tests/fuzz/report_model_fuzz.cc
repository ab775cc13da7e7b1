// Any bytes as a stored report snapshot: read into the report model, then rendered in every
// format (OCSF both versions, with itself as the previous report). Invariant: a document the
// reader accepts renders without error in every format.
#include <cstdint>
#include <string>

#include "reporters/report/render.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imawatch::report;
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;
  auto model = ReadReportModel(j, 0);
  if (!model) return 0;
  for (const char* name : {"json", "text", "oscal", "ocsf", "asff", "csv", "junit", "html"}) {
    RenderOptions options;
    options.previous = &*model;
    if (!Render(*FormatFromName(name), {.report = j, .model = *model}, options)) __builtin_trap();
  }
  RenderOptions v11;
  v11.ocsf_version = "1.1";
  if (!Render(Format::kOcsf, {.report = j, .model = *model}, v11)) __builtin_trap();
  return 0;
}
