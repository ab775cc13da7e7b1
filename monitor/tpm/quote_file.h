// The quote file: what `imawatch tpm quote` writes and `imawatch tpm verify-quote` reads.
// JSON, described byte by byte in doc/tpm-quote-format.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"
#include "monitor/ima/pcr_values.h"
#include "monitor/tpm/attestation_key.h"
#include "monitor/tpm/pcr_selection.h"
#include "monitor/tpm/quote.h"

namespace imawatch::tpm {

inline constexpr std::string_view kQuoteFileFormat = "imawatch-tpm-quote-v1";

struct QuoteFile {
  Quote quote;
  std::vector<uint8_t> nonce;
  PcrSelection selection;
  ima::PcrValues pcrs;  // the selected PCRs as read right after the quote
  AkType ak_type = AkType::kEcc;
  std::vector<uint8_t> ak_name;
};

// {"sha256": {"0": "hex", ...}, ...}: banks and indexes in ascending (numeric) order.
nlohmann::ordered_json PcrValuesToJson(const ima::PcrValues& pcrs);
Result<ima::PcrValues> PcrValuesFromJson(const nlohmann::json& json, const std::string& source);

std::string QuoteFileToJson(const QuoteFile& file);
// Errors name the field at fault; JSON syntax errors carry the byte offset.
Result<QuoteFile> ParseQuoteFile(std::string_view text, const std::string& source);

}  // namespace imawatch::tpm
