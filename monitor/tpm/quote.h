// A TPM2_Quote as the TPM returned it, the signature in a form OpenSSL verifies, and the
// pcrDigest a quote commits to.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "monitor/base/result.h"
#include "monitor/ima/digest.h"
#include "monitor/ima/pcr_values.h"
#include "monitor/tpm/pcr_selection.h"

namespace imawatch::tpm {

enum class SignatureScheme : uint8_t { kEcdsa, kRsassa };

struct OpensslSignature {
  SignatureScheme scheme = SignatureScheme::kEcdsa;
  ima::HashAlgo hash = ima::HashAlgo::kSha256;  // the digest the signature is over
  // ECDSA: DER ECDSA-Sig-Value (r, s); RSASSA: the PKCS#1 v1.5 signature block.
  std::vector<uint8_t> bytes;
};

std::string_view SignatureSchemeName(SignatureScheme scheme);  // "ecdsa", "rsassa"

// Decodes a marshalled TPMT_SIGNATURE; errors for malformed bytes or other schemes.
Result<OpensslSignature> DecodeSignature(std::span<const uint8_t> tpmt_signature);

struct Quote {
  std::vector<uint8_t> attest;     // marshalled TPMS_ATTEST: exactly the bytes the AK signed
  std::vector<uint8_t> signature;  // marshalled TPMT_SIGNATURE

  // The signature as OpenSSL verifies it (over attest, with its hash).
  Result<OpensslSignature> openssl_signature() const { return DecodeSignature(signature); }
};

// H(value of each selected PCR, banks in selection order, indexes ascending): the pcrDigest
// of a TPMS_QUOTE_INFO. Errors name the first selected PCR that pcrs lacks.
Result<ima::Digest> QuotePcrDigest(ima::HashAlgo hash, const PcrSelection& selection,
                                   const ima::PcrValues& pcrs);

}  // namespace imawatch::tpm
