// Which PCRs to read or quote: banks in order, each with ascending PCR indexes, as a
// TPML_PCR_SELECTION lists them. A quote's pcrDigest hashes the values in exactly this order.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"
#include "monitor/ima/hash_algo.h"

namespace imawatch::tpm {

struct PcrBankSelection {
  ima::HashAlgo bank;
  std::vector<uint32_t> indexes;  // ascending, unique, each <= ima::kMaxPcrIndex

  bool operator==(const PcrBankSelection&) const = default;
};

struct PcrSelection {
  std::vector<PcrBankSelection> banks;  // each bank at most once

  // Every index in every bank, banks in the given order; indexes are sorted and deduplicated.
  static PcrSelection Of(std::span<const ima::HashAlgo> banks, std::span<const uint32_t> indexes);
  bool empty() const;
  size_t count() const;  // number of (bank, index) pairs
  // "sha1:0-7,10+sha256:10", the syntax ParsePcrSelection reads.
  std::string ToString() const;
  bool operator==(const PcrSelection&) const = default;
};

// "0-7,10,14" -> {0..7, 10, 14}; "all" -> 0..23. Sorted, unique.
Result<std::vector<uint32_t>> ParsePcrIndexes(std::string_view text);
// "sha1,sha256" -> banks in the order written; duplicates are an error.
Result<std::vector<ima::HashAlgo>> ParseBanks(std::string_view text);
// tpm2-tools style "sha256:0-7,10+sha1:10" (ranges allowed).
Result<PcrSelection> ParsePcrSelection(std::string_view text);

}  // namespace imawatch::tpm
