#include "reporters/report/stored_report.h"

#include "monitor/base/hex.h"

namespace imawatch::report {

using nlohmann::json;

Result<StoredReport> LoadStoredReport(store::Store& store, std::string_view benchmark) {
  auto snapshots = store.RecentReports(benchmark, 2);
  if (!snapshots) return snapshots.error();
  if (snapshots->empty()) {
    return Error(ErrorKind::kNotFound,
                 "the store holds no report of benchmark '" + std::string(benchmark) + "'");
  }
  StoredReport out;
  out.latest = json::parse((*snapshots)[0], nullptr, false);
  if (out.latest.is_discarded()) return InvalidInput("the store's latest report is not JSON");
  if (snapshots->size() > 1) {
    json previous = json::parse((*snapshots)[1], nullptr, false);
    if (!previous.is_discarded()) out.previous = std::move(previous);
  }
  auto quote = store.LatestQuote();
  if (!quote) return quote.error();
  out.quote = std::move(*quote);
  if (out.quote) AttachQuote(out.latest, *out.quote);
  return out;
}

void AttachQuote(json& report, const store::QuoteRecord& quote) {
  if (!report.is_object() || !report.contains("epoch") || report["epoch"] != quote.epoch_id) return;
  if (!report.contains("proof") || !report["proof"].is_object()) return;
  report["proof"]["quote"] = {{"id", quote.id}, {"taken_at", quote.taken_at}, {"nonce", ToHex(quote.nonce)}};
}

}  // namespace imawatch::report
