// The admin's signing certificates (X.509, DER or PEM) and IMA signature verification with
// them, as the kernel's asymmetric_verify() and `evmctl ima_verify` do: RSA PKCS#1 v1.5 or
// ECDSA over the file digest (version 2) or over the hash of struct ima_file_id (version 3).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/appraise/ima_signature.h"
#include "monitor/base/env.h"
#include "monitor/base/result.h"

namespace imawatch::appraise {

enum class SignatureStatus : uint8_t {
  kAbsent,       // no signature to check
  kValid,        // verified with a trusted key
  kInvalid,      // a trusted key with the signature's key id did not verify it
  kUnknownKey,   // no trusted key has the signature's key id
  kMalformed,    // the signature bytes do not parse
  kUnsupported,  // an algorithm or version this build cannot check
};
std::string_view SignatureStatusName(SignatureStatus status);

struct SignatureCheck {
  SignatureStatus status = SignatureStatus::kAbsent;
  int key_index = -1;  // the key that verified it
};

class TrustedKeys {
 public:
  struct KeyInfo {
    uint32_t key_id;
    std::string subject;
    std::string source;
  };

  TrustedKeys();
  ~TrustedKeys();
  TrustedKeys(TrustedKeys&&) noexcept;
  TrustedKeys& operator=(TrustedKeys&&) noexcept;

  // One DER certificate, or PEM text with one or more certificates.
  Status AddCertificates(std::span<const uint8_t> bytes, const std::string& source);
  Status LoadFile(Env& env, const std::string& path);

  size_t size() const { return keys_.size(); }
  const KeyInfo& info(size_t i) const;

  // Thread-safe. `signature` is the whole xattr value (header included).
  SignatureCheck Verify(std::span<const uint8_t> signature, const ima::Digest& file_digest) const;
  SignatureCheck Verify(const ImaSignature& signature, const ima::Digest& file_digest) const;

 private:
  struct Key;
  std::vector<std::unique_ptr<Key>> keys_;
};

// The certificates of every file; null when there are none to load (no signature appraisal).
Result<std::shared_ptr<const TrustedKeys>> LoadTrustedKeys(Env& env, const std::vector<std::string>& paths);

}  // namespace imawatch::appraise
