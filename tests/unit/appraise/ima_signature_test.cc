#include "monitor/appraise/ima_signature.h"

#include <gtest/gtest.h>

#include "monitor/appraise/trusted_keys.h"
#include "monitor/base/hex.h"

namespace imawatch::appraise {
namespace {

// Header of the signature `evmctl ima_sign -a sha384` made with an EC key in this project's
// integration test: type 3, version 2, sha384 (kernel id 5), key id 898bb307, 71 bytes.
const char* kEcdsaSha384 =
    "030205898bb30700473045022008123530926a181f75e0b7f75084206788fc6ac1894b64a9541151671612aff2022100823cbbef"
    "614b177913f0687973fb8093de387d494e170e4ecdd8abdaf8feeda7";

std::vector<uint8_t> Bytes(const char* hex) { return *FromHex(hex); }

TEST(ImaSignature, ParsesTheV2Header) {
  auto bytes = Bytes(kEcdsaSha384);
  auto sig = ParseImaSignature(bytes);
  ASSERT_TRUE(sig.ok()) << sig.error().ToString();
  EXPECT_EQ(sig->type, kXattrDigsig);
  EXPECT_EQ(sig->version, 2);
  EXPECT_EQ(sig->hash_algo, ima::HashAlgo::kSha384);
  EXPECT_EQ(sig->key_id, 0x898bb307u);
  EXPECT_EQ(sig->signature.size(), 0x47u);
  EXPECT_EQ(sig->signature[0], 0x30);
}

TEST(ImaSignature, MalformedHeadersNameTheByte) {
  auto bytes = Bytes(kEcdsaSha384);
  struct Case {
    std::function<void(std::vector<uint8_t>&)> corrupt;
    uint64_t offset;
    ErrorKind kind;
  };
  std::vector<Case> cases = {
      {[](auto& b) { b.resize(5); }, 5, ErrorKind::kInvalidInput},
      {[](auto& b) { b[0] = 0x04; }, 0, ErrorKind::kInvalidInput},
      {[](auto& b) { b[1] = 1; }, 1, ErrorKind::kUnsupported},
      {[](auto& b) { b[0] = kXattrVeritySig; }, 1, ErrorKind::kInvalidInput},
      {[](auto& b) { b[2] = 11; }, 2, ErrorKind::kUnsupported},  // wp256
      {[](auto& b) { b.pop_back(); }, 7, ErrorKind::kInvalidInput},
      {[](auto& b) { b.push_back(0); }, 7, ErrorKind::kInvalidInput},
      {[](auto& b) { b.resize(9), b[7] = 0, b[8] = 0; }, 7, ErrorKind::kInvalidInput},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    auto b = bytes;
    cases[i].corrupt(b);
    auto sig = ParseImaSignature(b, "sig");
    ASSERT_FALSE(sig.ok()) << i;
    EXPECT_EQ(sig.error().where().byte_offset, cases[i].offset) << i << ": " << sig.error().ToString();
    EXPECT_EQ(sig.error().kind(), cases[i].kind) << i;
  }
}

TEST(ImaSignature, KernelAlgorithmIdsMatchHashInfoH) {
  EXPECT_EQ(HashAlgoFromKernelId(2), ima::HashAlgo::kSha1);
  EXPECT_EQ(HashAlgoFromKernelId(4), ima::HashAlgo::kSha256);
  EXPECT_EQ(HashAlgoFromKernelId(6), ima::HashAlgo::kSha512);
  EXPECT_EQ(HashAlgoFromKernelId(17), ima::HashAlgo::kSm3_256);
  EXPECT_EQ(KernelHashAlgoId(ima::HashAlgo::kSha384), 5);
  EXPECT_FALSE(HashAlgoFromKernelId(0).has_value());
}

TEST(ImaSignature, FileIdIsTypeAlgorithmAndDigest) {
  ima::Digest d = ima::Digest::Filled(ima::HashAlgo::kSha256, 0xab);
  std::vector<uint8_t> id = FileIdBytes(kXattrVeritySig, d);
  ASSERT_EQ(id.size(), 34u);
  EXPECT_EQ(id[0], 6);
  EXPECT_EQ(id[1], 4);
  EXPECT_EQ(id[33], 0xab);
}

TEST(TrustedKeys, WithoutKeysEverySignatureHasAnUnknownKey) {
  TrustedKeys keys;
  auto bytes = Bytes(kEcdsaSha384);
  auto check = keys.Verify(bytes, ima::Digest::Zero(ima::HashAlgo::kSha384));
  EXPECT_EQ(check.status, SignatureStatus::kUnknownKey);
  EXPECT_EQ(keys.Verify(std::vector<uint8_t>{1, 2, 3}, ima::Digest::Zero(ima::HashAlgo::kSha384)).status,
            SignatureStatus::kMalformed);
  EXPECT_FALSE(keys.AddCertificates(std::vector<uint8_t>{'n', 'o', 'p', 'e'}, "junk").ok());
}

}  // namespace
}  // namespace imawatch::appraise
