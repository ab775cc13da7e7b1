#include "monitor/ima/hash_algo.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace imawatch::ima {
namespace {

constexpr std::array<HashAlgoInfo, 7> kAlgos = {{
    {HashAlgo::kSha1, "sha1", 0x0004, 20},
    {HashAlgo::kSha256, "sha256", 0x000B, 32},
    {HashAlgo::kSha384, "sha384", 0x000C, 48},
    {HashAlgo::kSha512, "sha512", 0x000D, 64},
    {HashAlgo::kSm3_256, "sm3", 0x0012, 32},
    {HashAlgo::kMd5, "md5", 0x0000, 16},
    {HashAlgo::kSha224, "sha224", 0x0000, 28},
}};

}  // namespace

const HashAlgoInfo& Info(HashAlgo algo) { return kAlgos[static_cast<size_t>(algo)]; }

std::optional<HashAlgo> HashAlgoFromName(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "sm3-256" || lower == "sm3_256") lower = "sm3";
  for (const auto& info : kAlgos) {
    if (info.name == lower) return info.algo;
  }
  return std::nullopt;
}

std::optional<HashAlgo> HashAlgoFromTpmId(uint16_t tpm_alg_id) {
  for (const auto& info : kAlgos) {
    if (info.tpm_alg_id != 0 && info.tpm_alg_id == tpm_alg_id) return info.algo;
  }
  return std::nullopt;
}

}  // namespace imawatch::ima
