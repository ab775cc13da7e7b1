// A TPM 2.0 reached through the TCTI loader (tpm2-tools syntax: "device:/dev/tpmrm0" on a
// node, "swtpm:host=127.0.0.1,port=N" in tests) and driven with ESAPI. Every failure is an
// Error value; a TPM that goes away leaves the object disconnected until Reconnect().
// Not thread-safe: one Tpm per thread, and a TPM without a resource manager (swtpm) serves
// one client at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"
#include "monitor/ima/digest.h"
#include "monitor/ima/pcr_values.h"
#include "monitor/tpm/attestation_key.h"
#include "monitor/tpm/pcr_selection.h"
#include "monitor/tpm/quote.h"

struct ESYS_CONTEXT;
struct TSS2_TCTI_OPAQUE_CONTEXT_BLOB;

namespace imawatch::tpm {

inline constexpr std::string_view kDefaultTcti = "device:/dev/tpmrm0";

class Tpm {
 public:
  // Connects and sends Startup(CLEAR) (a TPM already started answers TPM_RC_INITIALIZE: fine).
  // Sets TSS2_LOG=all+none unless the environment already has TSS2_LOG, so the TSS stays quiet.
  static Result<std::unique_ptr<Tpm>> Open(std::string tcti);
  ~Tpm();
  Tpm(const Tpm&) = delete;
  Tpm& operator=(const Tpm&) = delete;

  const std::string& tcti() const { return tcti_; }
  bool connected() const { return esys_ != nullptr; }
  // Drops the connection (if any) and connects again, with Startup(CLEAR).
  Status Reconnect();

  // Banks with at least one PCR allocated.
  Result<std::vector<ima::HashAlgo>> ActiveBanks();
  // Reads every selected PCR; errors if the TPM does not return one of them. Reads are
  // consistent: retried if a PCR changed between the (8-PCRs-at-a-time) reads.
  Result<ima::PcrValues> ReadPcrs(const PcrSelection& selection);
  // Every index in every bank.
  Result<ima::PcrValues> ReadPcrs(std::span<const ima::HashAlgo> banks, std::span<const uint32_t> indexes) {
    return ReadPcrs(PcrSelection::Of(banks, indexes));
  }
  // Extends PCR index in each digest's bank, in one TPM2_PCR_Extend (as the kernel does).
  Status ExtendPcr(uint32_t index, std::span<const ima::Digest> digests);

  // Creates a fresh AK (a primary key under the endorsement hierarchy). With persist_handle
  // it is made persistent there (replace evicts a key already at that handle); otherwise
  // location.saved_context holds its saved context, to be kept in a file.
  Result<AttestationKey> CreateAk(AkType type, std::optional<uint32_t> persist_handle, bool replace = false);
  // The AK at location, with its public key; checks it is an AK of a supported type.
  Result<AttestationKey> LoadAk(const AkLocation& location);
  // Removes the persistent object at handle.
  Status EvictPersistent(uint32_t handle);
  // TPM2_Quote with the AK at location over selection; nonce is at most 64 bytes.
  Result<Quote> QuotePcrs(const AkLocation& ak, const PcrSelection& selection,
                          std::span<const uint8_t> nonce);

 private:
  class Handle;
  explicit Tpm(std::string tcti) : tcti_(std::move(tcti)) {}
  Status Connect();
  void Disconnect();
  // Status of an ESYS call; a transport failure disconnects.
  Status Check(std::string_view operation, uint32_t rc);
  Status RequireConnection() const;
  Result<Handle> LoadAkHandle(const AkLocation& location);
  Result<AttestationKey> ReadAk(Handle& handle, const AkLocation& location);

  std::string tcti_;
  TSS2_TCTI_OPAQUE_CONTEXT_BLOB* tcti_ctx_ = nullptr;
  ESYS_CONTEXT* esys_ = nullptr;
  uint64_t generation_ = 0;  // bumped at each connect: handles of an old connection are void
};

}  // namespace imawatch::tpm
