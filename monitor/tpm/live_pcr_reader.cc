#include "monitor/tpm/live_pcr_reader.h"

namespace imawatch::tpm {

Result<ima::PcrValues> LivePcrReader::Read(std::span<const uint32_t> indexes) {
  if (!tpm_ || !tpm_->connected()) {
    tpm_.reset();
    auto opened = Tpm::Open(tcti_);
    if (!opened) return opened.error();
    tpm_ = std::move(*opened);
  }
  auto banks = tpm_->ActiveBanks();
  Result<ima::PcrValues> reading =
      banks ? tpm_->ReadPcrs(*banks, indexes) : Result<ima::PcrValues>(banks.error());
  if (!keep_connection_ || !reading) tpm_.reset();
  return reading;
}

}  // namespace imawatch::tpm
