// JSON forms of entries and verification reports (CLI --json, the daemon's API, evidence).
#pragma once

#include <nlohmann/json.hpp>

#include "monitor/ima/entry.h"
#include "monitor/ima/verify.h"

namespace imawatch::ima {

nlohmann::json EntryToJson(const EntryView& entry);
nlohmann::json ProofToJson(const PcrProof& proof);
nlohmann::json VerifyReportToJson(const VerifyReport& report);

}  // namespace imawatch::ima
