#include "monitor/tpm/quote.h"

#include <openssl/evp.h>

#include "monitor/tpm/ossl.h"
#include "monitor/tpm/tss_convert.h"

namespace imawatch::tpm {

std::string_view SignatureSchemeName(SignatureScheme scheme) {
  return scheme == SignatureScheme::kEcdsa ? "ecdsa" : "rsassa";
}

Result<OpensslSignature> DecodeSignature(std::span<const uint8_t> tpmt_signature) {
  auto sig = Unmarshal(Tss2_MU_TPMT_SIGNATURE_Unmarshal, tpmt_signature, "TPMT_SIGNATURE");
  if (!sig) return sig.error();
  OpensslSignature out;
  if (sig->sigAlg == TPM2_ALG_ECDSA) {
    const TPMS_SIGNATURE_ECDSA& ecdsa = sig->signature.ecdsa;
    ossl::Ptr<ECDSA_SIG> der(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(ecdsa.signatureR.buffer, ecdsa.signatureR.size, nullptr);
    BIGNUM* s = BN_bin2bn(ecdsa.signatureS.buffer, ecdsa.signatureS.size, nullptr);
    if (!der || !r || !s || ECDSA_SIG_set0(der.get(), r, s) != 1) {
      BN_free(r);
      BN_free(s);
      return Error(ErrorKind::kInternal, "cannot build ECDSA signature: " + ossl::LastError());
    }
    int size = i2d_ECDSA_SIG(der.get(), nullptr);
    if (size <= 0) return Error(ErrorKind::kInternal, "cannot encode ECDSA signature: " + ossl::LastError());
    out.bytes.resize(static_cast<size_t>(size));
    uint8_t* p = out.bytes.data();
    i2d_ECDSA_SIG(der.get(), &p);
    out.scheme = SignatureScheme::kEcdsa;
    auto hash = ima::HashAlgoFromTpmId(ecdsa.hash);
    if (!hash) return InvalidInput("signature uses unknown hash algorithm " + std::to_string(ecdsa.hash));
    out.hash = *hash;
  } else if (sig->sigAlg == TPM2_ALG_RSASSA) {
    const TPMS_SIGNATURE_RSASSA& rsa = sig->signature.rsassa;
    out.bytes = Bytes(rsa.sig.buffer, rsa.sig.size);
    out.scheme = SignatureScheme::kRsassa;
    auto hash = ima::HashAlgoFromTpmId(rsa.hash);
    if (!hash) return InvalidInput("signature uses unknown hash algorithm " + std::to_string(rsa.hash));
    out.hash = *hash;
  } else {
    return InvalidInput("signature scheme " + std::to_string(sig->sigAlg) + " is neither ECDSA nor RSASSA");
  }
  return out;
}

Result<ima::Digest> QuotePcrDigest(ima::HashAlgo hash, const PcrSelection& selection,
                                   const ima::PcrValues& pcrs) {
  const EVP_MD* md = EVP_get_digestbyname(std::string(ima::Name(hash)).c_str());
  ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!md || !ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
    return Error(ErrorKind::kUnsupported, "cannot hash with " + std::string(ima::Name(hash)));
  }
  for (const auto& bank : selection.banks) {
    for (uint32_t index : bank.indexes) {
      const ima::Digest* value = pcrs.Get(bank.bank, index);
      if (!value) {
        return InvalidInput("no value for PCR " + std::string(ima::Name(bank.bank)) + ":" +
                            std::to_string(index));
      }
      EVP_DigestUpdate(ctx.get(), value->bytes.data(), value->size);
    }
  }
  ima::Digest out = ima::Digest::Zero(hash);
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx.get(), out.bytes.data(), &size);
  return out;
}

}  // namespace imawatch::tpm
