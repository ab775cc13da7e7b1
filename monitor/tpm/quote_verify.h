// Checks a quote with OpenSSL alone (no TPM): the AK's signature over the attestation bytes,
// then what the attestation says: magic, type, nonce, and that its pcrDigest matches the
// PCR values the node claims. Every failed check is reported by name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"
#include "monitor/ima/pcr_values.h"
#include "monitor/tpm/pcr_selection.h"
#include "monitor/tpm/quote.h"

namespace imawatch::tpm {

// Names of the checks, as reported in QuoteFailure::check.
inline constexpr std::string_view kCheckSignature = "signature";
inline constexpr std::string_view kCheckAttest = "attest";  // TPMS_ATTEST does not decode
inline constexpr std::string_view kCheckMagic = "magic";
inline constexpr std::string_view kCheckType = "type";
inline constexpr std::string_view kCheckNonce = "nonce";
inline constexpr std::string_view kCheckSelection = "selection";
inline constexpr std::string_view kCheckPcrDigest = "pcr-digest";

// TPMS_CLOCK_INFO: resetCount grows at every TPM reset (reboot), restartCount at every
// resume from suspend; clock runs while powered. A reboot shows as a new resetCount.
struct ClockInfo {
  uint64_t clock = 0;  // milliseconds
  uint32_t reset_count = 0;
  uint32_t restart_count = 0;
  bool safe = false;
};

struct QuoteFailure {
  std::string check;  // one of the kCheck* names
  std::string detail;
};

struct QuoteVerification {
  std::vector<QuoteFailure> failures;
  bool ok() const { return failures.empty(); }
  bool Failed(std::string_view check) const;

  // What the attestation claims; set when it decoded (also when a check failed).
  bool decoded = false;
  ClockInfo clock;
  uint64_t firmware_version = 0;
  std::vector<uint8_t> qualified_signer;  // the AK's qualified name
  std::vector<uint8_t> extra_data;        // the nonce the TPM signed
  PcrSelection selection;
  std::vector<uint8_t> pcr_digest;
};

struct QuoteExpectation {
  std::vector<uint8_t> nonce;
  ima::PcrValues pcrs;  // claimed values; must cover the quoted selection
  // When set, the quote must cover exactly this selection.
  std::optional<PcrSelection> selection;
};

// An Error only when ak_pem is not a usable public key; everything about the quote itself is
// a named failure in the result.
Result<QuoteVerification> VerifyQuote(const Quote& quote, std::string_view ak_pem,
                                      const QuoteExpectation& expect);

}  // namespace imawatch::tpm
