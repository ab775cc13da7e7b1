#include "monitor/tpm/attestation_key.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "monitor/tpm/ossl.h"
#include "monitor/tpm/tss_convert.h"

namespace imawatch::tpm {
namespace {

constexpr TPMA_OBJECT kAkAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
constexpr uint32_t kDefaultRsaExponent = 65537;

Result<ossl::Ptr<EVP_PKEY>> KeyFromParams(const char* type, OSSL_PARAM_BLD* bld) {
  ossl::Ptr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld));
  ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return InvalidInput(std::string("AK public key rejected by OpenSSL: ") + ossl::LastError());
  }
  return ossl::Ptr<EVP_PKEY>(key);
}

Result<ossl::Ptr<EVP_PKEY>> EccKey(const TPMS_ECC_POINT& point) {
  const auto& x = point.x;
  const auto& y = point.y;
  if (x.size > 32 || y.size > 32) return InvalidInput("AK ECC point coordinates exceed 32 bytes");
  uint8_t encoded[65] = {0x04};  // uncompressed point, coordinates left-padded to 32 bytes
  std::memcpy(encoded + 1 + 32 - x.size, x.buffer, x.size);
  std::memcpy(encoded + 33 + 32 - y.size, y.buffer, y.size);
  ossl::Ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, encoded, sizeof(encoded)) != 1) {
    return Error(ErrorKind::kInternal, "OpenSSL parameter build failed: " + ossl::LastError());
  }
  return KeyFromParams("EC", bld.get());
}

Result<ossl::Ptr<EVP_PKEY>> RsaKey(const TPM2B_PUBLIC_KEY_RSA& modulus, uint32_t exponent) {
  ossl::Ptr<BIGNUM> n(BN_bin2bn(modulus.buffer, modulus.size, nullptr));
  ossl::Ptr<BIGNUM> e(BN_new());
  ossl::Ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld || BN_set_word(e.get(), exponent == 0 ? kDefaultRsaExponent : exponent) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return Error(ErrorKind::kInternal, "OpenSSL parameter build failed: " + ossl::LastError());
  }
  return KeyFromParams("RSA", bld.get());
}

Result<std::string> Pem(EVP_PKEY* key) {
  ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return Error(ErrorKind::kInternal, "cannot write PEM: " + ossl::LastError());
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace

std::string_view AkTypeName(AkType type) { return type == AkType::kEcc ? "ecc" : "rsa"; }

std::optional<AkType> AkTypeFromName(std::string_view name) {
  if (name == "ecc") return AkType::kEcc;
  if (name == "rsa") return AkType::kRsa;
  return std::nullopt;
}

Result<uint32_t> ParsePersistentHandle(std::string_view text) {
  std::string_view digits = text;
  if (digits.starts_with("0x") || digits.starts_with("0X")) digits.remove_prefix(2);
  uint32_t handle = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), handle, 16);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return InvalidInput("'" + std::string(text) + "' is not a hex TPM handle");
  }
  if (handle < kFirstOwnerPersistentHandle || handle > kLastOwnerPersistentHandle) {
    return InvalidInput("'" + std::string(text) +
                        "' is not an owner persistent handle (0x81000000-0x817fffff)");
  }
  return handle;
}

TPM2B_PUBLIC AkTemplate(AkType type, std::span<const uint8_t, 32> unique) {
  TPM2B_PUBLIC pub{};
  TPMT_PUBLIC& area = pub.publicArea;
  area.nameAlg = TPM2_ALG_SHA256;
  area.objectAttributes = kAkAttributes;
  if (type == AkType::kEcc) {
    area.type = TPM2_ALG_ECC;
    TPMS_ECC_PARMS& ecc = area.parameters.eccDetail;
    ecc.symmetric.algorithm = TPM2_ALG_NULL;
    ecc.scheme.scheme = TPM2_ALG_ECDSA;
    ecc.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    ecc.curveID = TPM2_ECC_NIST_P256;
    ecc.kdf.scheme = TPM2_ALG_NULL;
    area.unique.ecc.x.size = static_cast<UINT16>(unique.size());
    std::copy(unique.begin(), unique.end(), area.unique.ecc.x.buffer);
  } else {
    area.type = TPM2_ALG_RSA;
    TPMS_RSA_PARMS& rsa = area.parameters.rsaDetail;
    rsa.symmetric.algorithm = TPM2_ALG_NULL;
    rsa.scheme.scheme = TPM2_ALG_RSASSA;
    rsa.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
    rsa.keyBits = 2048;
    rsa.exponent = 0;
    area.unique.rsa.size = static_cast<UINT16>(unique.size());
    std::copy(unique.begin(), unique.end(), area.unique.rsa.buffer);
  }
  return pub;
}

Result<AttestationKey> DescribeAk(const TPM2B_PUBLIC& pub, const TPM2B_NAME& name) {
  const TPMT_PUBLIC& area = pub.publicArea;
  if ((area.objectAttributes & (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_DECRYPT)) !=
      (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT)) {
    return InvalidInput("the key is not a restricted signing key");
  }
  AttestationKey ak;
  Result<ossl::Ptr<EVP_PKEY>> key = Error(ErrorKind::kInternal, "unset");
  if (area.type == TPM2_ALG_ECC) {
    const TPMS_ECC_PARMS& ecc = area.parameters.eccDetail;
    if (ecc.curveID != TPM2_ECC_NIST_P256 || ecc.scheme.scheme != TPM2_ALG_ECDSA ||
        ecc.scheme.details.ecdsa.hashAlg != TPM2_ALG_SHA256) {
      return InvalidInput("ECC key is not P-256 with ECDSA-SHA256");
    }
    ak.type = AkType::kEcc;
    key = EccKey(area.unique.ecc);
  } else if (area.type == TPM2_ALG_RSA) {
    const TPMS_RSA_PARMS& rsa = area.parameters.rsaDetail;
    if (rsa.keyBits != 2048 || rsa.scheme.scheme != TPM2_ALG_RSASSA ||
        rsa.scheme.details.rsassa.hashAlg != TPM2_ALG_SHA256) {
      return InvalidInput("RSA key is not RSA-2048 with RSASSA-SHA256");
    }
    ak.type = AkType::kRsa;
    key = RsaKey(area.unique.rsa, rsa.exponent);
  } else {
    return InvalidInput("the key is neither ECC nor RSA");
  }
  if (!key) return key.error();
  auto pem = Pem(key->get());
  if (!pem) return pem.error();
  auto marshalled = Marshal(Tss2_MU_TPM2B_PUBLIC_Marshal, pub, "TPM2B_PUBLIC");
  if (!marshalled) return marshalled.error();
  ak.public_area = std::move(*marshalled);
  ak.name = Bytes(name.name, name.size);
  ak.pem = std::move(*pem);
  return ak;
}

}  // namespace imawatch::tpm
