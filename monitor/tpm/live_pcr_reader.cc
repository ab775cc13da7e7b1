#include "monitor/tpm/live_pcr_reader.h"

#include <algorithm>

namespace imawatch::tpm {

Result<ima::PcrValues> ReadPcrsPerIndex(Tpm& tpm, std::span<const ima::HashAlgo> banks,
                                        std::span<const uint32_t> indexes) {
  constexpr size_t kDigestsPerRead = 8;  // TPML_DIGEST
  const size_t per_read = std::max<size_t>(1, kDigestsPerRead / std::max<size_t>(1, banks.size()));
  ima::PcrValues values;
  for (size_t at = 0; at < indexes.size(); at += per_read) {
    auto part = tpm.ReadPcrs(banks, indexes.subspan(at, std::min(per_read, indexes.size() - at)));
    if (!part) return part.error();
    values.AddMissing(*part);
  }
  return values;
}

Result<ima::PcrValues> LivePcrReader::Read(std::span<const uint32_t> indexes) {
  if (!tpm_ || !tpm_->connected()) {
    tpm_.reset();
    auto opened = Tpm::Open(tcti_);
    if (!opened) return opened.error();
    tpm_ = std::move(*opened);
  }
  auto banks = tpm_->ActiveBanks();
  Result<ima::PcrValues> reading =
      banks ? ReadPcrsPerIndex(*tpm_, *banks, indexes) : Result<ima::PcrValues>(banks.error());
  if (!keep_connection_ || !reading) tpm_.reset();
  return reading;
}

}  // namespace imawatch::tpm
