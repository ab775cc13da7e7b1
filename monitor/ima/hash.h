// One-shot hashing and PCR extend for the replay hot path.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>

#include "monitor/ima/hash_algo.h"

namespace imawatch::ima {

// out receives DigestSize(algo) bytes: H(parts[0] || parts[1] || ...).
void Hash(HashAlgo algo, std::initializer_list<std::span<const uint8_t>> parts, uint8_t* out);

// pcr = H(pcr || digest), both of the bank's size, as TPM2_PCR_Extend does.
inline void Extend(HashAlgo bank, uint8_t* pcr, const uint8_t* digest) {
  const size_t n = DigestSize(bank);
  Hash(bank, {{pcr, n}, {digest, n}}, pcr);
}

}  // namespace imawatch::ima
