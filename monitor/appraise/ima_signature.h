// IMA file signatures as security.ima holds them and the ima-sig template logs them:
// struct signature_v2_hdr { u8 type; u8 version; u8 hash_algo; __be32 keyid; __be16 sig_size;
// u8 sig[]; } with type 0x03 (EVM_IMA_XATTR_DIGSIG) or 0x06 (IMA_VERITY_DIGSIG), hash_algo in
// the kernel's HASH_ALGO_* numbering and keyid the last 4 bytes of the signer's
// SubjectKeyIdentifier.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "monitor/base/result.h"
#include "monitor/ima/digest.h"

namespace imawatch::appraise {

inline constexpr uint8_t kXattrDigsig = 0x03;
inline constexpr uint8_t kXattrVeritySig = 0x06;
inline constexpr size_t kSignatureHeaderSize = 9;

std::optional<ima::HashAlgo> HashAlgoFromKernelId(uint8_t id);
std::optional<uint8_t> KernelHashAlgoId(ima::HashAlgo algo);

struct ImaSignature {
  uint8_t type = kXattrDigsig;
  uint8_t version = 2;
  ima::HashAlgo hash_algo = ima::HashAlgo::kSha256;
  uint32_t key_id = 0;
  std::span<const uint8_t> signature;  // a view into the parsed bytes
};

// Errors carry the byte offset of the bad field.
Result<ImaSignature> ParseImaSignature(std::span<const uint8_t> bytes, const std::string& source = "");

// What a version 3 signature signs the hash of: struct ima_file_id { u8 hash_type; u8
// hash_algorithm; u8 hash[digest size]; }, hash_type being the signature's xattr type.
std::vector<uint8_t> FileIdBytes(uint8_t type, const ima::Digest& file_digest);

}  // namespace imawatch::appraise
