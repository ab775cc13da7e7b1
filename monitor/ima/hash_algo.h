// Hash algorithms as IMA and the TPM name them. One enum serves template digests, file
// digests and PCR banks; the TPM algorithm id and kernel name convert both ways.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace imawatch::ima {

enum class HashAlgo : uint8_t { kSha1, kSha256, kSha384, kSha512, kSm3_256, kMd5, kSha224 };

inline constexpr size_t kMaxDigestSize = 64;

struct HashAlgoInfo {
  HashAlgo algo;
  std::string_view name;  // the kernel's hash_algo_name[] ("sha256", "sm3"), tpm2-tools bank name
  uint16_t tpm_alg_id;    // TPM_ALG_ID; 0 where the TPM has none
  uint8_t size;
};

const HashAlgoInfo& Info(HashAlgo algo);
inline std::string_view Name(HashAlgo algo) { return Info(algo).name; }
inline size_t DigestSize(HashAlgo algo) { return Info(algo).size; }
// Accepts kernel names and common spellings ("sha256", "SHA256", "sm3-256", "sm3_256").
std::optional<HashAlgo> HashAlgoFromName(std::string_view name);
std::optional<HashAlgo> HashAlgoFromTpmId(uint16_t tpm_alg_id);
// The PCR banks a TPM 2.0 offers and imawatch replays.
inline constexpr std::array<HashAlgo, 5> kPcrBanks = {HashAlgo::kSha1, HashAlgo::kSha256, HashAlgo::kSha384,
                                                      HashAlgo::kSha512, HashAlgo::kSm3_256};

}  // namespace imawatch::ima
