// Reading `imawatch check --json` reports in tests.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace imawatch::testing {

// The result object of one recommendation; throws when the report has none.
inline const nlohmann::json& ResultOf(const nlohmann::json& report, const std::string& id) {
  for (const nlohmann::json& r : report["results"]) {
    if (r["id"] == id) return r;
  }
  throw std::runtime_error("no result for " + id);
}

}  // namespace imawatch::testing
