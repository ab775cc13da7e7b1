#include "monitor/tpm/quote_verify.h"

#include <openssl/pem.h>

#include <algorithm>

#include "monitor/base/hex.h"
#include "monitor/tpm/ossl.h"
#include "monitor/tpm/tss_convert.h"

namespace imawatch::tpm {
namespace {

Result<ossl::Ptr<EVP_PKEY>> LoadPem(std::string_view pem) {
  ossl::Ptr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  ossl::Ptr<EVP_PKEY> key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return InvalidInput("AK public key is not a PEM public key: " + ossl::LastError());
  if (!EVP_PKEY_is_a(key.get(), "EC") && !EVP_PKEY_is_a(key.get(), "RSA")) {
    return InvalidInput("AK public key is neither EC nor RSA");
  }
  return key;
}

// The AK's signature over the raw attestation bytes; sets hash to the scheme's digest.
void CheckSignature(const Quote& quote, EVP_PKEY* key, QuoteVerification& out,
                    std::optional<ima::HashAlgo>& hash) {
  auto fail = [&](std::string detail) {
    out.failures.push_back({std::string(kCheckSignature), std::move(detail)});
  };
  auto sig = DecodeSignature(quote.signature);
  if (!sig) return fail(sig.error().message());
  hash = sig->hash;
  bool key_matches =
      sig->scheme == SignatureScheme::kEcdsa ? EVP_PKEY_is_a(key, "EC") : EVP_PKEY_is_a(key, "RSA");
  if (!key_matches) {
    return fail(std::string(SignatureSchemeName(sig->scheme)) + " signature does not fit the AK's key type");
  }
  const EVP_MD* md = EVP_get_digestbyname(std::string(ima::Name(sig->hash)).c_str());
  ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!md || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) != 1) {
    return fail("cannot verify a " + std::string(ima::Name(sig->hash)) + " signature: " + ossl::LastError());
  }
  if (EVP_DigestVerify(ctx.get(), sig->bytes.data(), sig->bytes.size(), quote.attest.data(),
                       quote.attest.size()) != 1) {
    ossl::LastError();  // drop the queued reason: the failure below says it
    return fail("the AK's signature over the attestation does not verify");
  }
}

uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

bool QuoteVerification::Failed(std::string_view check) const {
  return std::any_of(failures.begin(), failures.end(),
                     [&](const QuoteFailure& f) { return f.check == check; });
}

Result<QuoteVerification> VerifyQuote(const Quote& quote, std::string_view ak_pem,
                                      const QuoteExpectation& expect) {
  auto key = LoadPem(ak_pem);
  if (!key) return key.error();
  QuoteVerification out;
  auto fail = [&](std::string_view check, std::string detail) {
    out.failures.push_back({std::string(check), std::move(detail)});
  };
  std::optional<ima::HashAlgo> hash;
  CheckSignature(quote, key->get(), out, hash);

  // The signature proves who made the bytes; the checks below prove what they say.
  const auto& a = quote.attest;
  if (a.size() < 6) {
    fail(kCheckAttest, "attestation is " + std::to_string(a.size()) + " bytes, too short for a TPMS_ATTEST");
    return out;
  }
  if (uint32_t magic = Be32(a.data()); magic != TPM2_GENERATED_VALUE) {
    fail(kCheckMagic, "magic is " + ToHex(std::span(a.data(), 4)) + ", not ff544347: not made by a TPM");
  }
  uint16_t type = static_cast<uint16_t>((a[4] << 8) | a[5]);
  if (type != TPM2_ST_ATTEST_QUOTE) {
    fail(kCheckType, "attestation type is " + ToHex(std::span(a.data() + 4, 2)) + ", not a quote (8018)");
    return out;
  }
  auto attest = Unmarshal(Tss2_MU_TPMS_ATTEST_Unmarshal, a, "TPMS_ATTEST");
  if (!attest) {
    fail(kCheckAttest, attest.error().message());
    return out;
  }
  out.decoded = true;
  out.clock = {.clock = attest->clockInfo.clock,
               .reset_count = attest->clockInfo.resetCount,
               .restart_count = attest->clockInfo.restartCount,
               .safe = attest->clockInfo.safe == TPM2_YES};
  out.firmware_version = attest->firmwareVersion;
  out.qualified_signer = Bytes(attest->qualifiedSigner.name, attest->qualifiedSigner.size);
  out.extra_data = Bytes(attest->extraData.buffer, attest->extraData.size);
  const TPMS_QUOTE_INFO& info = attest->attested.quote;
  out.pcr_digest = Bytes(info.pcrDigest.buffer, info.pcrDigest.size);

  if (out.extra_data != expect.nonce) {
    fail(kCheckNonce, "quote carries nonce " + ToHex(out.extra_data) + ", expected " + ToHex(expect.nonce));
  }

  auto selection = FromTpml(info.pcrSelect);
  if (!selection) {
    fail(kCheckSelection, selection.error().message());
    return out;
  }
  out.selection = *selection;
  bool selection_ok = true;
  if (out.selection.empty()) {
    fail(kCheckSelection, "the quote covers no PCRs");
    selection_ok = false;
  } else if (expect.selection && *expect.selection != out.selection) {
    fail(kCheckSelection,
         "quote covers " + out.selection.ToString() + ", expected " + expect.selection->ToString());
    selection_ok = false;
  }
  if (!hash) {  // no usable signature: judge the digest by its size
    for (ima::HashAlgo candidate : ima::kPcrBanks) {
      if (ima::DigestSize(candidate) == out.pcr_digest.size()) {
        hash = candidate;
        break;
      }
    }
  }
  if (!hash) {
    fail(kCheckPcrDigest, "pcrDigest of " + std::to_string(out.pcr_digest.size()) + " bytes fits no hash");
    return out;
  }
  auto digest = QuotePcrDigest(*hash, out.selection, expect.pcrs);
  if (!digest) {
    if (selection_ok)
      fail(kCheckSelection, "claimed PCR values do not cover the quote: " + digest.error().message());
    return out;
  }
  if (!std::ranges::equal(digest->view(), out.pcr_digest)) {
    fail(kCheckPcrDigest, "quoted pcrDigest " + ToHex(out.pcr_digest) + " differs from " + digest->hex() +
                              " computed from the claimed PCR values");
  }
  return out;
}

}  // namespace imawatch::tpm
