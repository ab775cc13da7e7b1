// VerifyQuote on attestations built and signed here with OpenSSL keys: every check can be
// driven to fail alone, including the ones a real TPM never gets wrong (magic, type).
#include "monitor/tpm/quote_verify.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <tss2/tss2_mu.h>

#include "monitor/tpm/tss_convert.h"

namespace imawatch::tpm {
namespace {

using ima::Digest;
using ima::HashAlgo;

std::string PemOf(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

std::vector<uint8_t> Sign(EVP_PKEY* key, std::span<const uint8_t> message) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
  size_t size = 0;
  EVP_DigestSign(ctx, nullptr, &size, message.data(), message.size());
  std::vector<uint8_t> sig(size);
  EVP_DigestSign(ctx, sig.data(), &size, message.data(), message.size());
  sig.resize(size);
  EVP_MD_CTX_free(ctx);
  return sig;
}

// A marshalled TPMT_SIGNATURE from an OpenSSL signature.
std::vector<uint8_t> TpmSignature(EVP_PKEY* key, std::span<const uint8_t> openssl_sig) {
  TPMT_SIGNATURE sig{};
  if (EVP_PKEY_is_a(key, "EC")) {
    sig.sigAlg = TPM2_ALG_ECDSA;
    sig.signature.ecdsa.hash = TPM2_ALG_SHA256;
    const uint8_t* p = openssl_sig.data();
    ECDSA_SIG* der = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(openssl_sig.size()));
    auto& r = sig.signature.ecdsa.signatureR;
    auto& s = sig.signature.ecdsa.signatureS;
    r.size = static_cast<UINT16>(BN_bn2binpad(ECDSA_SIG_get0_r(der), r.buffer, 32));
    s.size = static_cast<UINT16>(BN_bn2binpad(ECDSA_SIG_get0_s(der), s.buffer, 32));
    ECDSA_SIG_free(der);
  } else {
    sig.sigAlg = TPM2_ALG_RSASSA;
    sig.signature.rsassa.hash = TPM2_ALG_SHA256;
    sig.signature.rsassa.sig.size = static_cast<UINT16>(openssl_sig.size());
    std::copy(openssl_sig.begin(), openssl_sig.end(), sig.signature.rsassa.sig.buffer);
  }
  return Marshal(Tss2_MU_TPMT_SIGNATURE_Marshal, sig, "TPMT_SIGNATURE").value();
}

class QuoteVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = EVP_EC_gen("P-256");
    ASSERT_NE(key_, nullptr);
    selection_ = ParsePcrSelection("sha1:0,10+sha256:0-3,10").value();
    for (const auto& bank : selection_.banks) {
      for (uint32_t i : bank.indexes)
        pcrs_.Set(bank.bank, i, Digest::Filled(bank.bank, static_cast<uint8_t>(i + 1)));
    }
    nonce_ = {1, 2, 3, 4, 5, 6, 7, 8};
    attest_.magic = TPM2_GENERATED_VALUE;
    attest_.type = TPM2_ST_ATTEST_QUOTE;
    attest_.qualifiedSigner.size = 34;
    attest_.extraData.size = static_cast<UINT16>(nonce_.size());
    std::copy(nonce_.begin(), nonce_.end(), attest_.extraData.buffer);
    attest_.clockInfo = {.clock = 123456, .resetCount = 7, .restartCount = 2, .safe = TPM2_YES};
    attest_.firmwareVersion = 0x2023012400000000;
    attest_.attested.quote.pcrSelect = ToTpml(selection_).value();
    Digest digest = QuotePcrDigest(HashAlgo::kSha256, selection_, pcrs_).value();
    attest_.attested.quote.pcrDigest.size = digest.size;
    std::copy(digest.view().begin(), digest.view().end(), attest_.attested.quote.pcrDigest.buffer);
  }
  void TearDown() override { EVP_PKEY_free(key_); }

  Quote Signed(const std::vector<uint8_t>& attest_bytes, EVP_PKEY* key = nullptr) {
    key = key ? key : key_;
    return Quote{attest_bytes, TpmSignature(key, Sign(key, attest_bytes))};
  }
  Quote Signed(const TPMS_ATTEST& attest) {
    return Signed(Marshal(Tss2_MU_TPMS_ATTEST_Marshal, attest, "TPMS_ATTEST").value());
  }
  QuoteExpectation Expect() const { return {nonce_, pcrs_, selection_}; }
  static std::vector<std::string> Checks(const Result<QuoteVerification>& v) {
    std::vector<std::string> out;
    for (const auto& f : v->failures) out.push_back(f.check);
    return out;
  }

  EVP_PKEY* key_ = nullptr;
  PcrSelection selection_;
  ima::PcrValues pcrs_;
  std::vector<uint8_t> nonce_;
  TPMS_ATTEST attest_{};
};

using Names = std::vector<std::string>;

TEST_F(QuoteVerifyTest, GoodQuoteVerifiesAndExposesClockAndFirmware) {
  auto v = VerifyQuote(Signed(attest_), PemOf(key_), Expect());
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_TRUE(v->ok()) << v->failures[0].check << ": " << v->failures[0].detail;
  EXPECT_TRUE(v->decoded);
  EXPECT_EQ(v->clock.clock, 123456u);
  EXPECT_EQ(v->clock.reset_count, 7u);
  EXPECT_EQ(v->clock.restart_count, 2u);
  EXPECT_TRUE(v->clock.safe);
  EXPECT_EQ(v->firmware_version, 0x2023012400000000u);
  EXPECT_EQ(v->selection, selection_);
  EXPECT_EQ(v->extra_data, nonce_);
  EXPECT_EQ(v->pcr_digest.size(), 32u);
}

TEST_F(QuoteVerifyTest, RsaKeysWorkToo) {
  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  auto bytes = Marshal(Tss2_MU_TPMS_ATTEST_Marshal, attest_, "TPMS_ATTEST").value();
  auto v = VerifyQuote(Signed(bytes, rsa), PemOf(rsa), Expect());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok());
  // The RSA signature against the EC key: wrong key type for the scheme.
  EXPECT_EQ(Checks(VerifyQuote(Signed(bytes, rsa), PemOf(key_), Expect())), Names{"signature"});
  EVP_PKEY_free(rsa);
}

TEST_F(QuoteVerifyTest, EachCheckFailsAloneByName) {
  TPMS_ATTEST bad_magic = attest_;
  bad_magic.magic = 0xff544348;
  EXPECT_EQ(Checks(VerifyQuote(Signed(bad_magic), PemOf(key_), Expect())), Names{"magic"});

  TPMS_ATTEST certify = attest_;
  certify.type = TPM2_ST_ATTEST_CERTIFY;
  certify.attested.certify = {};
  EXPECT_EQ(Checks(VerifyQuote(Signed(certify), PemOf(key_), Expect())), Names{"type"});

  QuoteExpectation other_nonce = Expect();
  other_nonce.nonce.back() ^= 1;
  EXPECT_EQ(Checks(VerifyQuote(Signed(attest_), PemOf(key_), other_nonce)), Names{"nonce"});

  QuoteExpectation other_pcr = Expect();
  other_pcr.pcrs.Set(HashAlgo::kSha1, 10, Digest::Zero(HashAlgo::kSha1));
  EXPECT_EQ(Checks(VerifyQuote(Signed(attest_), PemOf(key_), other_pcr)), Names{"pcr-digest"});

  QuoteExpectation other_selection = Expect();
  other_selection.selection = ParsePcrSelection("sha256:0-3,10+sha1:0,10").value();  // same PCRs, other order
  EXPECT_EQ(Checks(VerifyQuote(Signed(attest_), PemOf(key_), other_selection)), Names{"selection"});

  QuoteExpectation uncovered = Expect();
  uncovered.pcrs = ima::PcrValues();
  uncovered.pcrs.Set(HashAlgo::kSha1, 0, Digest::Zero(HashAlgo::kSha1));
  EXPECT_EQ(Checks(VerifyQuote(Signed(attest_), PemOf(key_), uncovered)), Names{"selection"});

  TPMS_ATTEST empty = attest_;
  empty.attested.quote.pcrSelect = {};
  Digest nothing = QuotePcrDigest(HashAlgo::kSha256, {}, pcrs_).value();
  std::copy(nothing.view().begin(), nothing.view().end(), empty.attested.quote.pcrDigest.buffer);
  EXPECT_EQ(Checks(VerifyQuote(Signed(empty), PemOf(key_), Expect())), (Names{"selection"}));

  TPMS_ATTEST sha3 = attest_;
  sha3.attested.quote.pcrSelect.pcrSelections[0].hash = 0x0027;
  EXPECT_EQ(Checks(VerifyQuote(Signed(sha3), PemOf(key_), Expect())), Names{"selection"});

  TPMS_ATTEST short_digest = attest_;
  short_digest.attested.quote.pcrDigest.size = 20;
  EXPECT_EQ(Checks(VerifyQuote(Signed(short_digest), PemOf(key_), Expect())), Names{"pcr-digest"});
}

TEST_F(QuoteVerifyTest, SignatureProblemsAreNamedSignature) {
  Quote good = Signed(attest_);
  Quote flipped = good;
  flipped.attest[20] ^= 0x80;
  EXPECT_EQ(Checks(VerifyQuote(flipped, PemOf(key_), Expect()))[0], "signature");

  EVP_PKEY* other = EVP_EC_gen("P-256");
  EXPECT_EQ(Checks(VerifyQuote(good, PemOf(other), Expect())), Names{"signature"});
  EVP_PKEY_free(other);

  Quote garbage = good;
  garbage.signature = {0x00, 0x18, 0x00};
  EXPECT_EQ(Checks(VerifyQuote(garbage, PemOf(key_), Expect())), Names{"signature"});

  TPMT_SIGNATURE hmac{};
  hmac.sigAlg = TPM2_ALG_HMAC;
  hmac.signature.hmac.hashAlg = TPM2_ALG_SHA256;
  Quote hmac_signed = good;
  hmac_signed.signature = Marshal(Tss2_MU_TPMT_SIGNATURE_Marshal, hmac, "TPMT_SIGNATURE").value();
  EXPECT_EQ(Checks(VerifyQuote(hmac_signed, PemOf(key_), Expect())), Names{"signature"});
}

TEST_F(QuoteVerifyTest, UndecodableAttestationsAreNamedAttest) {
  auto bytes = Marshal(Tss2_MU_TPMS_ATTEST_Marshal, attest_, "TPMS_ATTEST").value();
  std::vector<uint8_t> trailing = bytes;
  trailing.push_back(0);
  auto v = VerifyQuote(Signed(trailing), PemOf(key_), Expect());
  EXPECT_EQ(Checks(v), Names{"attest"});
  EXPECT_FALSE(v->decoded);

  std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + 40);
  EXPECT_EQ(Checks(VerifyQuote(Signed(cut), PemOf(key_), Expect())), Names{"attest"});
  std::vector<uint8_t> tiny = {0xff, 0x54, 0x43};
  EXPECT_EQ(Checks(VerifyQuote(Signed(tiny), PemOf(key_), Expect())), Names{"attest"});
  EXPECT_EQ(Checks(VerifyQuote(Quote{}, PemOf(key_), Expect())), (Names{"signature", "attest"}));
  // Every prefix of a good attestation is rejected, never accepted or crashed on.
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    auto p = VerifyQuote(Signed(prefix), PemOf(key_), Expect());
    ASSERT_TRUE(p.ok());
    ASSERT_FALSE(p->ok()) << n;
  }
}

TEST_F(QuoteVerifyTest, UnusableKeyIsAnError) {
  auto v = VerifyQuote(Signed(attest_), "not a pem", Expect());
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().kind(), ErrorKind::kInvalidInput);
  EVP_PKEY* ed = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  EXPECT_FALSE(VerifyQuote(Signed(attest_), PemOf(ed), Expect()).ok());
  EVP_PKEY_free(ed);
}

TEST(QuotePcrDigest, HashesSelectedValuesInSelectionOrder) {
  auto selection = ParsePcrSelection("sha256:1,0+sha1:5").value();
  ima::PcrValues pcrs;
  pcrs.Set(HashAlgo::kSha256, 0, Digest::Filled(HashAlgo::kSha256, 0xa0));
  pcrs.Set(HashAlgo::kSha256, 1, Digest::Filled(HashAlgo::kSha256, 0xa1));
  pcrs.Set(HashAlgo::kSha1, 5, Digest::Filled(HashAlgo::kSha1, 0xb5));
  pcrs.Set(HashAlgo::kSha1, 6, Digest::Filled(HashAlgo::kSha1, 0xb6));  // not selected
  std::vector<uint8_t> concatenated(32, 0xa0);
  concatenated.insert(concatenated.end(), 32, 0xa1);
  concatenated.insert(concatenated.end(), 20, 0xb5);
  uint8_t expected[32];
  unsigned int size = 0;
  EVP_Digest(concatenated.data(), concatenated.size(), expected, &size, EVP_sha256(), nullptr);
  auto digest = QuotePcrDigest(HashAlgo::kSha256, selection, pcrs);
  ASSERT_TRUE(digest.ok());
  EXPECT_TRUE(std::ranges::equal(digest->view(), std::span<const uint8_t>(expected, 32)));
  pcrs = ima::PcrValues();
  EXPECT_NE(QuotePcrDigest(HashAlgo::kSha256, selection, pcrs).error().message().find("sha256:0"),
            std::string::npos);
}

TEST(DecodeSignature, EcdsaBecomesDerThatOpenSslVerifies) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  std::vector<uint8_t> message = {1, 2, 3};
  auto sig = DecodeSignature(TpmSignature(key, Sign(key, message)));
  ASSERT_TRUE(sig.ok()) << sig.error().ToString();
  EXPECT_EQ(sig->scheme, SignatureScheme::kEcdsa);
  EXPECT_EQ(sig->hash, HashAlgo::kSha256);
  EXPECT_EQ(sig->bytes[0], 0x30);  // DER SEQUENCE
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key);
  EXPECT_EQ(EVP_DigestVerify(ctx, sig->bytes.data(), sig->bytes.size(), message.data(), message.size()), 1);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  EXPECT_FALSE(DecodeSignature({}).ok());
}

}  // namespace
}  // namespace imawatch::tpm
