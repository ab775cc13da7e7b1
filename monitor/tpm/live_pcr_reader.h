// PCR readings for live verification (ima::LiveProver). By default it connects for each
// reading and disconnects after: a TPM without a resource manager (swtpm, /dev/tpm0) serves
// one client at a time, and the kernel or the node simulator must be able to extend between
// polls. A failed reading leaves nothing behind; the next one connects afresh.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "monitor/base/result.h"
#include "monitor/ima/pcr_values.h"
#include "monitor/tpm/tpm.h"

namespace imawatch::tpm {

// Reads the indexes in every active bank, each TPM2_PCR_Read asking for at most 8 digests (all
// banks of one index always in the same command). A TPM2_PCR_Read is atomic, but the TPM's
// update counter is global: Tpm::ReadPcrs, which insists on one counter value across
// commands, keeps failing while the kernel extends PCR 10 many times a second. A live reader
// needs only each PCR consistent across its banks; PCRs 0-9 do not change while the TPM runs.
Result<ima::PcrValues> ReadPcrsPerIndex(Tpm& tpm, std::span<const ima::HashAlgo> banks,
                                        std::span<const uint32_t> indexes);

class LivePcrReader {
 public:
  explicit LivePcrReader(std::string tcti, bool keep_connection = false)
      : tcti_(std::move(tcti)), keep_connection_(keep_connection) {}

  // The indexes in every active bank.
  Result<ima::PcrValues> Read(std::span<const uint32_t> indexes);

 private:
  std::string tcti_;
  bool keep_connection_;
  std::unique_ptr<Tpm> tpm_;
};

}  // namespace imawatch::tpm
