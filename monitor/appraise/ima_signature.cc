#include "monitor/appraise/ima_signature.h"

#include <algorithm>
#include <array>

namespace imawatch::appraise {
namespace {

struct KernelAlgo {
  uint8_t id;  // include/uapi/linux/hash_info.h
  ima::HashAlgo algo;
};

constexpr std::array<KernelAlgo, 7> kKernelAlgos = {{
    {1, ima::HashAlgo::kMd5},
    {2, ima::HashAlgo::kSha1},
    {4, ima::HashAlgo::kSha256},
    {5, ima::HashAlgo::kSha384},
    {6, ima::HashAlgo::kSha512},
    {7, ima::HashAlgo::kSha224},
    {17, ima::HashAlgo::kSm3_256},
}};

}  // namespace

std::optional<ima::HashAlgo> HashAlgoFromKernelId(uint8_t id) {
  for (const auto& k : kKernelAlgos) {
    if (k.id == id) return k.algo;
  }
  return std::nullopt;
}

std::optional<uint8_t> KernelHashAlgoId(ima::HashAlgo algo) {
  for (const auto& k : kKernelAlgos) {
    if (k.algo == algo) return k.id;
  }
  return std::nullopt;
}

Result<ImaSignature> ParseImaSignature(std::span<const uint8_t> bytes, const std::string& source) {
  auto fail = [&](const std::string& message, uint64_t offset) {
    return InvalidInput(message, {.source = source, .byte_offset = offset});
  };
  if (bytes.size() < kSignatureHeaderSize) {
    return fail("signature is shorter than its " + std::to_string(kSignatureHeaderSize) + "-byte header",
                bytes.size());
  }
  ImaSignature sig;
  sig.type = bytes[0];
  sig.version = bytes[1];
  if (sig.type != kXattrDigsig && sig.type != kXattrVeritySig) {
    return fail("not a digital signature (xattr type " + std::to_string(sig.type) + ", expected 3 or 6)", 0);
  }
  if (sig.version != 2 && sig.version != 3) {
    return Error(ErrorKind::kUnsupported,
                 "signature version " + std::to_string(sig.version) + " (2 and 3 are known)",
                 {.source = source, .byte_offset = 1});
  }
  if (sig.type == kXattrVeritySig && sig.version != 3) return fail("fs-verity signatures are version 3", 1);
  auto algo = HashAlgoFromKernelId(bytes[2]);
  if (!algo) {
    return Error(ErrorKind::kUnsupported,
                 "kernel hash algorithm " + std::to_string(bytes[2]) + " is not supported",
                 {.source = source, .byte_offset = 2});
  }
  sig.hash_algo = *algo;
  sig.key_id = uint32_t{bytes[3]} << 24 | uint32_t{bytes[4]} << 16 | uint32_t{bytes[5]} << 8 | bytes[6];
  size_t size = size_t{bytes[7]} << 8 | bytes[8];
  if (size == 0) return fail("empty signature", 7);
  if (bytes.size() - kSignatureHeaderSize != size) {
    return fail("header says " + std::to_string(size) + " signature bytes, " +
                    std::to_string(bytes.size() - kSignatureHeaderSize) + " follow",
                7);
  }
  sig.signature = bytes.subspan(kSignatureHeaderSize);
  return sig;
}

std::vector<uint8_t> FileIdBytes(uint8_t type, const ima::Digest& file_digest) {
  std::vector<uint8_t> out(2 + file_digest.size);
  out[0] = type;
  out[1] = KernelHashAlgoId(file_digest.algo).value_or(0);
  std::copy_n(file_digest.bytes.begin(), file_digest.size, out.begin() + 2);
  return out;
}

}  // namespace imawatch::appraise
