// Conversions between tpm2-tss structures and imawatch values, and Tss2_MU (un)marshalling
// into byte vectors. Internal to monitor/tpm: the rest of the program sees plain values.
#pragma once

#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "monitor/base/result.h"
#include "monitor/ima/hash_algo.h"
#include "monitor/tpm/pcr_selection.h"
#include "monitor/tpm/tpm_error.h"

namespace imawatch::tpm {

// The TPM_ALG_ID of a bank; kUnsupported for algorithms a TPM has no id for (md5, sha224).
Result<TPMI_ALG_HASH> TpmHashAlg(ima::HashAlgo algo);

// Errors for more banks than a TPML_PCR_SELECTION holds or a bank without a TPM id.
Result<TPML_PCR_SELECTION> ToTpml(const PcrSelection& selection);
// Errors for an algorithm imawatch does not know or a PCR index above 23.
Result<PcrSelection> FromTpml(const TPML_PCR_SELECTION& tpml);

// Marshals value with a Tss2_MU_*_Marshal function.
template <typename T>
Result<std::vector<uint8_t>> Marshal(TSS2_RC (*marshal)(const T*, uint8_t*, size_t, size_t*), const T& value,
                                     std::string_view what) {
  QuietTssLogging();
  size_t size = 0;
  if (TSS2_RC rc = marshal(&value, nullptr, SIZE_MAX, &size); rc != TSS2_RC_SUCCESS)
    return TpmError(what, rc);
  std::vector<uint8_t> out(size);
  size_t offset = 0;
  if (TSS2_RC rc = marshal(&value, out.data(), out.size(), &offset); rc != TSS2_RC_SUCCESS) {
    return TpmError(what, rc);
  }
  return out;
}

// Unmarshals with a Tss2_MU_*_Unmarshal function; the bytes must hold exactly one value.
template <typename T>
Result<T> Unmarshal(TSS2_RC (*unmarshal)(const uint8_t*, size_t, size_t*, T*), std::span<const uint8_t> bytes,
                    std::string_view what) {
  QuietTssLogging();
  T value{};
  size_t offset = 0;
  if (TSS2_RC rc = unmarshal(bytes.data(), bytes.size(), &offset, &value); rc != TSS2_RC_SUCCESS) {
    return InvalidInput("malformed " + std::string(what) + ": " + Tss2_RC_Decode(rc));
  }
  if (offset != bytes.size()) {
    return InvalidInput(
        std::string(what) + " has " + std::to_string(bytes.size() - offset) + " trailing bytes",
        {.byte_offset = offset});
  }
  return value;
}

inline std::vector<uint8_t> Bytes(const uint8_t* data, size_t size) { return {data, data + size}; }

}  // namespace imawatch::tpm
