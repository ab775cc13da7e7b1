// Verification of an evidence bundle with OpenSSL alone (no TPM): the quote (signature by the
// verifier's AK, magic, type, nonce, pcrDigest over the claimed values), then the measurement
// list (digest, count, template digests, replay to the quoted PCR 10 of every quoted bank by
// the prefix rule, boot_aggregate against the quoted PCRs 0-9). Every failed check is named by
// a stable id; what each proves is in doc/evidence-format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"
#include "monitor/ima/verify.h"
#include "monitor/tpm/evidence.h"
#include "monitor/tpm/quote_verify.h"

namespace imawatch::tpm {

// Check ids besides the quote's (kCheckSignature ... kCheckPcrDigest in quote_verify.h).
inline constexpr std::string_view kCheckAk = "ak";           // bundle's AK is not the verifier's
inline constexpr std::string_view kCheckAkName = "ak-name";  // AK name is not the quote's signer
inline constexpr std::string_view kCheckClock = "clock";     // tpm copy differs from the signed one
inline constexpr std::string_view kCheckListMissing = "list-missing";
inline constexpr std::string_view kCheckListDigest = "list-digest";  // size or SHA-256 differs
inline constexpr std::string_view kCheckListFormat = "list-format";  // the list does not parse
inline constexpr std::string_view kCheckListCount = "list-count";
inline constexpr std::string_view kCheckTemplateDigest = "template-digest";
inline constexpr std::string_view kCheckReplay = "replay";
inline constexpr std::string_view kCheckBootAggregate = "boot-aggregate";

struct EvidenceFailure {
  std::string check;
  std::string detail;
};

struct EvidenceExpectation {
  // The verifier's challenge; without it the quote is only checked against the bundle's own
  // nonce, which proves nothing about freshness.
  std::optional<std::vector<uint8_t>> nonce;
  // The list obtained apart from the bundle (needed for a digest-only bundle; when the bundle
  // has the list too, both must be the same bytes).
  std::optional<std::vector<uint8_t>> list;
  // Banks whose PCRs 0-10 the quote must cover (a verifier that does not accept a SHA-1-only
  // proof asks for sha256). Empty: any bank proves.
  std::vector<ima::HashAlgo> banks;
  unsigned threads = 1;  // hashing threads for the replay (0: one per CPU)
};

struct EvidenceVerification {
  std::vector<EvidenceFailure> failures;
  bool ok() const { return failures.empty(); }
  bool Failed(std::string_view check) const;

  bool nonce_from_verifier = false;
  QuoteVerification quote;                // what the attestation says (quote.decoded)
  std::optional<ima::VerifyReport> list;  // the replay, when the list parsed
};

// An Error (input error) only when ak_pem is not a usable public key.
Result<EvidenceVerification> VerifyEvidence(const Evidence& evidence, std::string_view ak_pem,
                                            const EvidenceExpectation& expect);

}  // namespace imawatch::tpm
