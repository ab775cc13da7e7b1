// The attestation key (AK): a restricted signing key in the endorsement hierarchy, so the
// TPM does not obfuscate resetCount/restartCount in its quotes and a reboot stays visible.
#pragma once

#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"

namespace imawatch::tpm {

enum class AkType : uint8_t {
  kEcc,  // NIST P-256, ECDSA with SHA-256
  kRsa,  // RSA-2048, RSASSA-PKCS1-v1_5 with SHA-256
};

std::string_view AkTypeName(AkType type);  // "ecc", "rsa"
std::optional<AkType> AkTypeFromName(std::string_view name);

// Persistent handles the owner may use: 0x81000000..0x817FFFFF.
inline constexpr uint32_t kFirstOwnerPersistentHandle = 0x81000000;
inline constexpr uint32_t kLastOwnerPersistentHandle = 0x817FFFFF;
// "0x81010002" (hex, 0x optional) -> handle, if in the owner persistent range.
Result<uint32_t> ParsePersistentHandle(std::string_view text);

// Where the AK lives between uses: a persistent handle, or a saved context (the bytes of a
// context file: the marshalled TPMS_CONTEXT from Esys_ContextSave).
struct AkLocation {
  std::optional<uint32_t> persistent_handle;
  std::vector<uint8_t> saved_context;

  static AkLocation Persistent(uint32_t handle) { return {handle, {}}; }
  static AkLocation Context(std::vector<uint8_t> bytes) { return {std::nullopt, std::move(bytes)}; }
};

struct AttestationKey {
  AkType type = AkType::kEcc;
  AkLocation location;
  std::vector<uint8_t> public_area;  // marshalled TPM2B_PUBLIC
  std::vector<uint8_t> name;         // TPM name: nameAlg || H(TPMT_PUBLIC)
  std::string pem;                   // SubjectPublicKeyInfo, for OpenSSL verifiers
};

// The CreatePrimary template of an AK; unique seeds the key, so each AK is distinct.
TPM2B_PUBLIC AkTemplate(AkType type, std::span<const uint8_t, 32> unique);

// Checks that a public area is an AK of a supported type and fills type, public_area, name
// and pem; location is left to the caller.
Result<AttestationKey> DescribeAk(const TPM2B_PUBLIC& pub, const TPM2B_NAME& name);

}  // namespace imawatch::tpm
