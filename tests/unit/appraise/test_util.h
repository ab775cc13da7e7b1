// Helpers shared by the appraise unit tests.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "monitor/ima/digest.h"

namespace imawatch::appraise::testing {

inline ima::Digest RandomDigest(std::mt19937_64& rng, ima::HashAlgo algo = ima::HashAlgo::kSha256) {
  ima::Digest d = ima::Digest::Zero(algo);
  for (size_t i = 0; i < d.size; ++i) d.bytes[i] = static_cast<uint8_t>(rng());
  return d;
}

inline ima::Digest DigestOf(uint8_t fill, ima::HashAlgo algo = ima::HashAlgo::kSha256) {
  return ima::Digest::Filled(algo, fill);
}

}  // namespace imawatch::appraise::testing
