#include "monitor/tpm/attestation_key.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstring>

namespace imawatch::tpm {
namespace {

std::string PemOf(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

// The TPM2B_PUBLIC a TPM would return for an AK holding key.
TPM2B_PUBLIC PublicFor(AkType type, EVP_PKEY* key) {
  std::array<uint8_t, 32> unique{};
  TPM2B_PUBLIC pub = AkTemplate(type, unique);
  if (type == AkType::kEcc) {
    BIGNUM* x = nullptr;
    BIGNUM* y = nullptr;
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x);
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
    auto& ecc = pub.publicArea.unique.ecc;
    ecc.x.size = static_cast<UINT16>(BN_bn2bin(x, ecc.x.buffer));
    ecc.y.size = static_cast<UINT16>(BN_bn2bin(y, ecc.y.buffer));
    BN_free(x);
    BN_free(y);
  } else {
    BIGNUM* n = nullptr;
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n);
    pub.publicArea.unique.rsa.size = static_cast<UINT16>(BN_bn2bin(n, pub.publicArea.unique.rsa.buffer));
    BN_free(n);
  }
  return pub;
}

TPM2B_NAME SomeName() {
  TPM2B_NAME name{};
  name.size = 34;
  name.name[1] = 0x0b;
  return name;
}

TEST(AttestationKey, TemplateIsARestrictedSigningKeyWithSha256) {
  std::array<uint8_t, 32> unique{};
  unique[0] = 7;
  TPM2B_PUBLIC ecc = AkTemplate(AkType::kEcc, unique);
  EXPECT_EQ(ecc.publicArea.type, TPM2_ALG_ECC);
  EXPECT_TRUE(ecc.publicArea.objectAttributes & TPMA_OBJECT_RESTRICTED);
  EXPECT_TRUE(ecc.publicArea.objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT);
  EXPECT_FALSE(ecc.publicArea.objectAttributes & TPMA_OBJECT_DECRYPT);
  EXPECT_EQ(ecc.publicArea.parameters.eccDetail.curveID, TPM2_ECC_NIST_P256);
  EXPECT_EQ(ecc.publicArea.unique.ecc.x.buffer[0], 7);
  TPM2B_PUBLIC rsa = AkTemplate(AkType::kRsa, unique);
  EXPECT_EQ(rsa.publicArea.parameters.rsaDetail.keyBits, 2048);
  EXPECT_EQ(rsa.publicArea.parameters.rsaDetail.scheme.scheme, TPM2_ALG_RSASSA);
}

TEST(AttestationKey, EccPublicAreaBecomesTheSamePemOpenSslWrites) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  auto ak = DescribeAk(PublicFor(AkType::kEcc, key), SomeName());
  ASSERT_TRUE(ak.ok()) << ak.error().ToString();
  EXPECT_EQ(ak->type, AkType::kEcc);
  EXPECT_EQ(ak->pem, PemOf(key));
  EXPECT_EQ(ak->name.size(), 34u);
  EXPECT_GT(ak->public_area.size(), 80u);
  EVP_PKEY_free(key);
}

TEST(AttestationKey, RsaPublicAreaBecomesTheSamePemOpenSslWrites) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  ASSERT_NE(key, nullptr);
  auto ak = DescribeAk(PublicFor(AkType::kRsa, key), SomeName());
  ASSERT_TRUE(ak.ok()) << ak.error().ToString();
  EXPECT_EQ(ak->type, AkType::kRsa);
  EXPECT_EQ(ak->pem, PemOf(key));  // exponent 0 in the TPM means 65537
  EVP_PKEY_free(key);
}

TEST(AttestationKey, RejectsKeysThatAreNotAks) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  TPM2B_PUBLIC pub = PublicFor(AkType::kEcc, key);
  TPM2B_PUBLIC unrestricted = pub;
  unrestricted.publicArea.objectAttributes &= ~TPMA_OBJECT_RESTRICTED;
  EXPECT_FALSE(DescribeAk(unrestricted, SomeName()).ok());
  TPM2B_PUBLIC decrypting = pub;
  decrypting.publicArea.objectAttributes |= TPMA_OBJECT_DECRYPT;
  EXPECT_FALSE(DescribeAk(decrypting, SomeName()).ok());
  TPM2B_PUBLIC other_curve = pub;
  other_curve.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P384;
  EXPECT_FALSE(DescribeAk(other_curve, SomeName()).ok());
  TPM2B_PUBLIC off_curve = pub;
  off_curve.publicArea.unique.ecc.y.buffer[5] ^= 1;
  EXPECT_FALSE(DescribeAk(off_curve, SomeName()).ok());
  TPM2B_PUBLIC keyed_hash = pub;
  keyed_hash.publicArea.type = TPM2_ALG_KEYEDHASH;
  EXPECT_FALSE(DescribeAk(keyed_hash, SomeName()).ok());
  EVP_PKEY_free(key);
}

TEST(AttestationKey, TypeNamesAndPersistentHandles) {
  EXPECT_EQ(AkTypeFromName("ecc"), AkType::kEcc);
  EXPECT_EQ(AkTypeFromName("rsa"), AkType::kRsa);
  EXPECT_FALSE(AkTypeFromName("dsa").has_value());
  EXPECT_EQ(AkTypeName(AkType::kRsa), "rsa");
  EXPECT_EQ(ParsePersistentHandle("0x81010002").value(), 0x81010002u);
  EXPECT_EQ(ParsePersistentHandle("81000001").value(), 0x81000001u);
  EXPECT_FALSE(ParsePersistentHandle("0x80000001").ok());  // transient range
  EXPECT_FALSE(ParsePersistentHandle("0x81800000").ok());  // platform range
  EXPECT_FALSE(ParsePersistentHandle("0x8101000g").ok());
  EXPECT_FALSE(ParsePersistentHandle("").ok());
}

}  // namespace
}  // namespace imawatch::tpm
