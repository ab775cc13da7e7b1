// Collects an evidence bundle on the node: quote PCRs 0-10 of every active bank with the
// caller's nonce, then read the measurement list. The order is what makes the bundle prove
// anything: the kernel appends an entry to the list before it extends PCR 10, and never
// removes one, so a list read after the quote holds every entry the quoted PCR 10 covers, and
// the quoted value is the replay of one of its prefixes (the verifier's prefix rule). A list
// read before the quote could lack entries the quote covers, and nothing would prove it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "monitor/base/env.h"
#include "monitor/base/result.h"
#include "monitor/tpm/evidence.h"
#include "monitor/tpm/tpm.h"

namespace imawatch::tpm {

inline constexpr std::string_view kDefaultSecurityfs = "/sys/kernel/security";
inline constexpr std::string_view kBinaryListPath = "ima/binary_runtime_measurements";

struct AttestOptions {
  std::vector<uint8_t> nonce;  // at most 64 bytes
  AkLocation ak;
  std::vector<ima::HashAlgo> banks;  // empty: every active bank
  std::vector<uint32_t> pcrs = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  std::string list_path;     // a binary measurement list (securityfs or a copy)
  bool include_list = true;  // false: digest-only bundle
  uint64_t max_list_bytes = 1ull << 30;
  std::string hostname;
  std::string node_name;
  // Quotes taken again when PCRs changed between the quote and the read of their values.
  int attempts = 8;
};

Result<Evidence> Attest(Tpm& tpm, Env& env, const AttestOptions& options);

}  // namespace imawatch::tpm
