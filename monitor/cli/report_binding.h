// The binding of a report to a TPM quote (doc/report-format.md, "Signed report"): the quote's
// nonce is the SHA-256 of the report file's bytes.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "monitor/ima/hash.h"

namespace imawatch::cli {

inline std::vector<uint8_t> ReportNonce(std::string_view report_bytes) {
  std::vector<uint8_t> digest(32);
  ima::Hash(ima::HashAlgo::kSha256,
            {std::span(reinterpret_cast<const uint8_t*>(report_bytes.data()), report_bytes.size())},
            digest.data());
  return digest;
}

}  // namespace imawatch::cli
