// A benchmark's report as the daemon's store keeps it: the latest snapshot, the one before it
// (OCSF activity across runs) and the quote of the snapshot's boot epoch. Shared by
// `imawatch report --store` and the daemon's /v1/reports/{benchmark}.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "monitor/base/result.h"
#include "monitor/store/store.h"

namespace imawatch::report {

struct StoredReport {
  nlohmann::json latest;
  std::optional<nlohmann::json> previous;
  std::optional<store::QuoteRecord> quote;  // the store's newest quote
};

// Not found: the store holds no snapshot of the benchmark.
Result<StoredReport> LoadStoredReport(store::Store& store, std::string_view benchmark);

// Adds proof.quote to a report JSON when the quote was taken in the report's boot epoch.
void AttachQuote(nlohmann::json& report, const store::QuoteRecord& quote);

}  // namespace imawatch::report
