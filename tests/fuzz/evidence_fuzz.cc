// Any bytes as an evidence bundle: parsed, written back, and verified (with OpenSSL, no TPM)
// against the AK the bundle itself carries, so the signature, quote decoding, list parsing and
// replay all run on fuzzed input. Invariants: a parsed bundle survives a write/parse round
// trip unchanged, and a verified bundle has a replayed list.
#include <cstdint>
#include <string_view>

#include "monitor/tpm/evidence.h"
#include "monitor/tpm/evidence_verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imawatch::tpm;
  auto evidence = ParseEvidence(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (!evidence) return 0;
  std::string written = EvidenceToJson(*evidence);
  auto again = ParseEvidence(written, "fuzz (written back)");
  if (!again || EvidenceToJson(*again) != written) __builtin_trap();
  auto verified = VerifyEvidence(*evidence, evidence->ak_pem, {.threads = 1});
  if (verified && verified->ok() && (!verified->list || !verified->list->verified())) __builtin_trap();
  return 0;
}
