// The first entry of every list, "boot_aggregate", binds the list to the firmware's
// measurements: H(PCR0 || ... || PCR7) in the SHA1 bank, H(PCR0 || ... || PCR9) in any other
// (ima_calc_boot_aggregate_tfm), in the bank of the algorithm its digest field names.
#pragma once

#include <optional>
#include <string>

#include "monitor/base/result.h"
#include "monitor/ima/digest.h"
#include "monitor/ima/entry.h"
#include "monitor/ima/pcr_values.h"

namespace imawatch::ima {

inline constexpr std::string_view kBootAggregateName = "boot_aggregate";

Result<Digest> ComputeBootAggregate(HashAlgo bank, const PcrValues& pcrs);

struct BootAggregateCheck {
  enum class Status { kMatch, kMismatch, kPcrsUnavailable, kNoTpmAtBoot, kNotFirst };
  Status status;
  std::optional<HashAlgo> bank;
  std::string logged;    // hex as logged
  std::string computed;  // hex from the PCRs, when they were available
};
std::string_view Name(BootAggregateCheck::Status s);

BootAggregateCheck CheckBootAggregate(const EntryView& first, const PcrValues& pcrs);

}  // namespace imawatch::ima
