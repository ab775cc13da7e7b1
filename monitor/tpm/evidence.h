// The evidence bundle: what `imawatch attest` writes and `imawatch verify-evidence` checks.
// One JSON document holding a TPM quote over PCRs 0-10 (every bank), the AK that signed it,
// the PCR values it covers and the measurement list read right after it, so an auditor can
// check the node offline with OpenSSL alone. Format: doc/evidence-format.md, schema:
// doc/schemas/evidence.schema.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"
#include "monitor/ima/pcr_values.h"
#include "monitor/tpm/attestation_key.h"
#include "monitor/tpm/pcr_selection.h"
#include "monitor/tpm/quote.h"
#include "monitor/tpm/quote_verify.h"

namespace imawatch::tpm {

inline constexpr std::string_view kEvidenceFormat = "imawatch-evidence";
inline constexpr int kEvidenceVersion = 1;

// The node's measurement list as read after the quote. data is absent in a digest-only
// bundle: the verifier then needs the list from elsewhere and checks it against sha256.
struct ListEvidence {
  std::string source;  // where the node read it (informational)
  uint64_t entries = 0;
  uint64_t size = 0;            // bytes
  std::vector<uint8_t> sha256;  // SHA-256 of the list's bytes
  std::optional<std::vector<uint8_t>> data;
};

struct Evidence {
  std::string time;       // RFC 3339 with zone, the node's clock at attest time (not attested)
  std::string hostname;   // gethostname() (not attested)
  std::string node_name;  // --node-name, may be empty (not attested)
  std::vector<uint8_t> nonce;
  AkType ak_type = AkType::kEcc;
  std::vector<uint8_t> ak_name;  // TPM name: nameAlg || H(TPMT_PUBLIC)
  std::string ak_pem;            // SubjectPublicKeyInfo
  PcrSelection selection;        // what the quote covers
  Quote quote;
  // A copy of the signed TPMS_CLOCK_INFO and firmwareVersion, for readers without a TPMS_ATTEST
  // decoder; the verifier checks it equals the attestation.
  ClockInfo clock;
  uint64_t firmware_version = 0;
  ima::PcrValues pcrs;  // the quoted values
  ListEvidence list;
};

// Pretty-printed JSON (2-space indent), keys in a fixed order.
std::string EvidenceToJson(const Evidence& evidence);

// Errors are InvalidInput: syntax errors carry the byte offset, line and column; a missing or
// malformed field is named by its JSON pointer ("/quote/attest: ...").
Result<Evidence> ParseEvidence(std::string_view text, const std::string& source);

// "2025-06-01T13:45:12+02:00" for a local time, seconds resolution.
std::string Rfc3339Now();
// Date, 'T', time (fractional seconds allowed), 'Z' or ±hh:mm.
bool IsRfc3339(std::string_view text);

}  // namespace imawatch::tpm
