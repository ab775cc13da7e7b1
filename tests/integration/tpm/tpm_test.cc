// monitor/tpm against swtpm, a real TPM 2.0: PCR reads across banks, extends, AKs, quotes
// verified with OpenSSL alone, reboots, a TPM vanishing mid-run, and handle hygiene.
#include "monitor/tpm/tpm.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <fstream>

#include "monitor/ima/pcr_values.h"
#include "monitor/tpm/quote_verify.h"
#include "tests/testing/paths.h"
#include "tests/testing/swtpm.h"

namespace imawatch::tpm {
namespace {

using ima::Digest;
using ima::HashAlgo;

constexpr std::array<HashAlgo, 4> kFourBanks = {HashAlgo::kSha1, HashAlgo::kSha256, HashAlgo::kSha384,
                                                HashAlgo::kSha512};
constexpr uint32_t kDebugPcr = 16;  // resettable, unused by firmware: free for extend tests

testing::SwTpm& Swtpm() {
  static testing::SwTpm swtpm;
  return swtpm;
}

std::vector<uint8_t> RandomBytes(size_t n) {
  std::vector<uint8_t> out(n);
  EXPECT_EQ(RAND_bytes(out.data(), static_cast<int>(n)), 1);
  return out;
}

Digest Hash(HashAlgo algo, std::span<const uint8_t> a, std::span<const uint8_t> b = {}) {
  const EVP_MD* md = EVP_get_digestbyname(std::string(ima::Name(algo)).c_str());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, md, nullptr);
  EVP_DigestUpdate(ctx, a.data(), a.size());
  EVP_DigestUpdate(ctx, b.data(), b.size());
  Digest d = Digest::Zero(algo);
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx, d.bytes.data(), &size);
  EVP_MD_CTX_free(ctx);
  return d;
}

class TpmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Swtpm().running()) Swtpm().Restart();
    auto tpm = Tpm::Open(Swtpm().Tcti());
    ASSERT_TRUE(tpm.ok()) << tpm.error().ToString();
    tpm_ = std::move(*tpm);
  }

  // Quote with ak over selection, read the PCRs, verify against what was read.
  struct Quoted {
    Quote quote;
    ima::PcrValues pcrs;
    std::vector<uint8_t> nonce;
  };
  Quoted QuoteAndRead(const AkLocation& ak, const PcrSelection& selection) {
    Quoted q;
    q.nonce = RandomBytes(32);
    auto quote = tpm_->QuotePcrs(ak, selection, q.nonce);
    EXPECT_TRUE(quote.ok()) << quote.error().ToString();
    if (quote.ok()) q.quote = *quote;
    auto pcrs = tpm_->ReadPcrs(selection);
    EXPECT_TRUE(pcrs.ok()) << pcrs.error().ToString();
    if (pcrs.ok()) q.pcrs = *pcrs;
    return q;
  }

  std::unique_ptr<Tpm> tpm_;
};

TEST_F(TpmTest, SwtpmHasFourActiveBanks) {
  auto banks = tpm_->ActiveBanks();
  ASSERT_TRUE(banks.ok()) << banks.error().ToString();
  EXPECT_EQ(*banks, std::vector<HashAlgo>(kFourBanks.begin(), kFourBanks.end()));
}

TEST_F(TpmTest, ReadsAll24PcrsOfFourBanksAndAgreesWithTpm2Pcrread) {
  std::vector<uint32_t> all(24);
  for (uint32_t i = 0; i < 24; ++i) all[i] = i;
  auto pcrs = tpm_->ReadPcrs(kFourBanks, all);
  ASSERT_TRUE(pcrs.ok()) << pcrs.error().ToString();
  EXPECT_EQ(pcrs->size(), 96u);  // twelve times what one TPM2_PCR_Read returns
  for (HashAlgo bank : kFourBanks) {
    EXPECT_EQ(*pcrs->Get(bank, 0), Digest::Zero(bank));
    EXPECT_EQ(*pcrs->Get(bank, 17), Digest::Filled(bank, 0xff));  // DRTM PCRs start at -1 after Startup
  }
  // tpm2-tools reads the same TPM independently (swtpm serves one client: close ours first).
  tpm_.reset();
  auto pcrread = testing::RunCommand(
      {"tpm2_pcrread", "-T", Swtpm().Tcti(), "sha1:all+sha256:all+sha384:all+sha512:all"});
  ASSERT_EQ(pcrread.exit_code, 0) << pcrread.err;
  auto theirs = ima::ParsePcrValues(pcrread.out, "tpm2_pcrread");
  ASSERT_TRUE(theirs.ok()) << theirs.error().ToString();
  EXPECT_EQ(*theirs, *pcrs);
}

TEST_F(TpmTest, ExtendThenReadBackEqualsSoftwareExtend) {
  auto before = tpm_->ReadPcrs(PcrSelection::Of(kFourBanks, std::array{kDebugPcr}));
  ASSERT_TRUE(before.ok()) << before.error().ToString();
  std::vector<Digest> digests;
  for (HashAlgo bank : kFourBanks) digests.push_back(Hash(bank, RandomBytes(40)));
  ASSERT_TRUE(tpm_->ExtendPcr(kDebugPcr, digests).ok());
  auto after = tpm_->ReadPcrs(PcrSelection::Of(kFourBanks, std::array{kDebugPcr}));
  ASSERT_TRUE(after.ok()) << after.error().ToString();
  for (size_t i = 0; i < kFourBanks.size(); ++i) {
    HashAlgo bank = kFourBanks[i];
    Digest expected = Hash(bank, before->Get(bank, kDebugPcr)->view(), digests[i].view());
    EXPECT_EQ(*after->Get(bank, kDebugPcr), expected) << ima::Name(bank);
  }
  // A bank left out of the extend keeps its value, as TPM2_PCR_Extend specifies.
  std::array<Digest, 1> only_sha256 = {Hash(HashAlgo::kSha256, RandomBytes(8))};
  ASSERT_TRUE(tpm_->ExtendPcr(kDebugPcr, only_sha256).ok());
  auto last = tpm_->ReadPcrs(PcrSelection::Of(kFourBanks, std::array{kDebugPcr}));
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last->Get(HashAlgo::kSha1, kDebugPcr), *after->Get(HashAlgo::kSha1, kDebugPcr));
  EXPECT_NE(*last->Get(HashAlgo::kSha256, kDebugPcr), *after->Get(HashAlgo::kSha256, kDebugPcr));
}

TEST_F(TpmTest, ExtendRejectsBadInputWithoutTouchingTheTpm) {
  std::array<Digest, 1> one = {Digest::Zero(HashAlgo::kSha256)};
  EXPECT_EQ(tpm_->ExtendPcr(24, one).error().kind(), ErrorKind::kInvalidInput);
  std::array<Digest, 2> twice = {Digest::Zero(HashAlgo::kSha256), Digest::Zero(HashAlgo::kSha256)};
  EXPECT_EQ(tpm_->ExtendPcr(kDebugPcr, twice).error().kind(), ErrorKind::kInvalidInput);
  EXPECT_FALSE(tpm_->ExtendPcr(kDebugPcr, {}).ok());
  EXPECT_TRUE(tpm_->connected());
}

class QuoteTest : public TpmTest, public ::testing::WithParamInterface<AkType> {};

TEST_P(QuoteTest, QuoteVerifiesAndEachTamperingIsNamed) {
  auto ak = tpm_->CreateAk(GetParam(), std::nullopt);
  ASSERT_TRUE(ak.ok()) << ak.error().ToString();
  EXPECT_EQ(ak->type, GetParam());
  EXPECT_NE(ak->pem.find("BEGIN PUBLIC KEY"), std::string::npos);
  EXPECT_EQ(ak->name.size(), 34u);  // sha256 nameAlg: 2 + 32
  auto selection = ParsePcrSelection("sha1:0-10+sha256:0-10,16+sha384:10");
  ASSERT_TRUE(selection.ok());
  Quoted q = QuoteAndRead(ak->location, *selection);

  auto openssl = q.quote.openssl_signature();
  ASSERT_TRUE(openssl.ok()) << openssl.error().ToString();
  EXPECT_EQ(openssl->scheme, GetParam() == AkType::kEcc ? SignatureScheme::kEcdsa : SignatureScheme::kRsassa);
  EXPECT_EQ(openssl->hash, HashAlgo::kSha256);
  if (GetParam() == AkType::kRsa) {
    EXPECT_EQ(openssl->bytes.size(), 256u);
  }

  QuoteExpectation expect{q.nonce, q.pcrs, *selection};
  auto good = VerifyQuote(q.quote, ak->pem, expect);
  ASSERT_TRUE(good.ok()) << good.error().ToString();
  EXPECT_TRUE(good->ok()) << good->failures.front().check << ": " << good->failures.front().detail;
  EXPECT_TRUE(good->decoded);
  EXPECT_EQ(good->selection, *selection);
  EXPECT_EQ(good->extra_data, q.nonce);
  EXPECT_EQ(good->qualified_signer.size(), 34u);
  EXPECT_GT(good->clock.clock, 0u);

  auto only = [](const Result<QuoteVerification>& v, std::string_view check) {
    return v.ok() && v->failures.size() == 1 && v->failures[0].check == check;
  };
  // One byte of the attestation changed: the signature no longer covers it.
  for (size_t at : {size_t{0}, q.quote.attest.size() / 2, q.quote.attest.size() - 1}) {
    Quote tampered = q.quote;
    tampered.attest[at] ^= 0x01;
    auto v = VerifyQuote(tampered, ak->pem, expect);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->Failed(kCheckSignature)) << "byte " << at;
  }
  // The quote answers another nonce: a replay.
  QuoteExpectation other_nonce = expect;
  other_nonce.nonce = RandomBytes(32);
  EXPECT_TRUE(only(VerifyQuote(q.quote, ak->pem, other_nonce), kCheckNonce));
  // A claimed PCR value the TPM did not hold.
  QuoteExpectation wrong_pcr = expect;
  wrong_pcr.pcrs.Set(HashAlgo::kSha256, 10, Digest::Filled(HashAlgo::kSha256, 0x42));
  EXPECT_TRUE(only(VerifyQuote(q.quote, ak->pem, wrong_pcr), kCheckPcrDigest));
  // Claimed values that do not cover the quote, and a quote that covers other PCRs.
  QuoteExpectation missing = expect;
  missing.pcrs = ima::PcrValues();
  EXPECT_TRUE(only(VerifyQuote(q.quote, ak->pem, missing), kCheckSelection));
  QuoteExpectation other_selection = expect;
  other_selection.selection = ParsePcrSelection("sha256:0-10").value();
  EXPECT_TRUE(only(VerifyQuote(q.quote, ak->pem, other_selection), kCheckSelection));
  // Another AK (same type, same TPM) did not sign it.
  auto other_ak = tpm_->CreateAk(GetParam(), std::nullopt);
  ASSERT_TRUE(other_ak.ok()) << other_ak.error().ToString();
  EXPECT_NE(other_ak->pem, ak->pem);
  EXPECT_TRUE(only(VerifyQuote(q.quote, other_ak->pem, expect), kCheckSignature));
}

INSTANTIATE_TEST_SUITE_P(BothKeyTypes, QuoteTest, ::testing::Values(AkType::kEcc, AkType::kRsa),
                         [](const auto& param_info) { return std::string(AkTypeName(param_info.param)); });

TEST_F(TpmTest, RebootShowsAsNewResetCount) {
  auto ak = tpm_->CreateAk(AkType::kEcc, std::nullopt);
  ASSERT_TRUE(ak.ok()) << ak.error().ToString();
  auto selection = ParsePcrSelection("sha256:0-10").value();
  Quoted before = QuoteAndRead(ak->location, selection);
  auto v1 = VerifyQuote(before.quote, ak->pem, {before.nonce, before.pcrs, selection});
  ASSERT_TRUE(v1.ok() && v1->ok());

  tpm_.reset();  // a reboot takes every client down with it
  Swtpm().PowerCycle();
  auto tpm = Tpm::Open(Swtpm().Tcti());
  ASSERT_TRUE(tpm.ok()) << tpm.error().ToString();
  tpm_ = std::move(*tpm);
  // A saved transient object does not survive a TPM reset (the TPM fails the context's
  // integrity check): context-file AKs last one boot, persistent ones (below) survive.
  auto stale = tpm_->LoadAk(ak->location);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().kind(), ErrorKind::kTpm) << stale.error().ToString();
  auto ak2 = tpm_->CreateAk(AkType::kEcc, std::nullopt);
  ASSERT_TRUE(ak2.ok()) << ak2.error().ToString();
  Quoted after = QuoteAndRead(ak2->location, selection);
  auto v2 = VerifyQuote(after.quote, ak2->pem, {after.nonce, after.pcrs, selection});
  ASSERT_TRUE(v2.ok() && v2->ok());
  EXPECT_EQ(v2->clock.reset_count, v1->clock.reset_count + 1);
  EXPECT_EQ(v2->clock.restart_count, 0u);
}

TEST_F(TpmTest, TpmVanishingMidRunIsAnErrorThenReconnectWorks) {
  auto selection = PcrSelection::Of(kFourBanks, std::array{0u, 10u});
  ASSERT_TRUE(tpm_->ReadPcrs(selection).ok());
  auto ak = tpm_->CreateAk(AkType::kEcc, std::nullopt);
  ASSERT_TRUE(ak.ok());

  Swtpm().Kill();
  auto pcrs = tpm_->ReadPcrs(selection);
  ASSERT_FALSE(pcrs.ok());
  EXPECT_EQ(pcrs.error().kind(), ErrorKind::kTpm);
  EXPECT_FALSE(tpm_->connected());
  // Every later call fails cleanly too: never a false success.
  EXPECT_FALSE(tpm_->QuotePcrs(ak->location, selection, RandomBytes(16)).ok());
  EXPECT_FALSE(tpm_->ActiveBanks().ok());
  std::array<Digest, 1> d = {Digest::Zero(HashAlgo::kSha256)};
  EXPECT_FALSE(tpm_->ExtendPcr(kDebugPcr, d).ok());
  EXPECT_FALSE(tpm_->Reconnect().ok());  // nobody listening yet

  Swtpm().Restart();
  Status reconnected = tpm_->Reconnect();
  ASSERT_TRUE(reconnected.ok()) << reconnected.error().ToString();
  EXPECT_TRUE(tpm_->connected());
  auto again = tpm_->ReadPcrs(selection);
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(again->size(), 8u);
}

// TPM_Init without Startup under a live connection (a reset the client did not see coming):
// an error that asks for Reconnect, which starts the TPM again.
TEST_F(TpmTest, TpmResetUnderAConnectionNeedsReconnect) {
  auto selection = PcrSelection::Of(kFourBanks, std::array{kDebugPcr});
  std::array<Digest, 1> d = {Hash(HashAlgo::kSha256, RandomBytes(8))};
  ASSERT_TRUE(tpm_->ExtendPcr(kDebugPcr, d).ok());
  auto init =
      testing::RunCommand({"swtpm_ioctl", "--tcp", "127.0.0.1:" + std::to_string(Swtpm().ctrl_port()), "-i"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  auto pcrs = tpm_->ReadPcrs(selection);
  ASSERT_FALSE(pcrs.ok());
  EXPECT_NE(pcrs.error().message().find("reset"), std::string::npos) << pcrs.error().ToString();
  EXPECT_FALSE(tpm_->connected());
  ASSERT_TRUE(tpm_->Reconnect().ok());
  auto after = tpm_->ReadPcrs(selection);
  ASSERT_TRUE(after.ok()) << after.error().ToString();
  EXPECT_EQ(*after->Get(HashAlgo::kSha256, kDebugPcr), Digest::Zero(HashAlgo::kSha256));  // reset cleared it
}

TEST_F(TpmTest, TpmVanishingDuringAQuote) {
  auto ak = tpm_->CreateAk(AkType::kRsa, std::nullopt);
  ASSERT_TRUE(ak.ok());
  Swtpm().Kill();
  auto quote = tpm_->QuotePcrs(ak->location, ParsePcrSelection("sha256:10").value(), RandomBytes(20));
  ASSERT_FALSE(quote.ok());
  EXPECT_EQ(quote.error().kind(), ErrorKind::kTpm);
  Swtpm().Restart();
  ASSERT_TRUE(tpm_->Reconnect().ok());
  EXPECT_TRUE(tpm_->ActiveBanks().ok());
}

TEST_F(TpmTest, PersistedAkReloadsAndSurvivesReboot) {
  constexpr uint32_t kHandle = 0x81010002;
  (void)tpm_->EvictPersistent(kHandle);  // left over from an earlier run, if any
  auto ak = tpm_->CreateAk(AkType::kEcc, kHandle);
  ASSERT_TRUE(ak.ok()) << ak.error().ToString();
  EXPECT_EQ(ak->location.persistent_handle, kHandle);
  auto loaded = tpm_->LoadAk(AkLocation::Persistent(kHandle));
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(loaded->pem, ak->pem);
  EXPECT_EQ(loaded->name, ak->name);

  // The handle is taken: a second AK there needs an explicit replace.
  auto clash = tpm_->CreateAk(AkType::kRsa, kHandle);
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.error().message().find("already in use"), std::string::npos);

  tpm_.reset();
  Swtpm().PowerCycle();
  tpm_ = std::move(Tpm::Open(Swtpm().Tcti()).value());
  auto selection = ParsePcrSelection("sha256:0-10").value();
  Quoted q = QuoteAndRead(AkLocation::Persistent(kHandle), selection);
  auto v = VerifyQuote(q.quote, ak->pem, {q.nonce, q.pcrs, selection});
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok());

  auto replaced = tpm_->CreateAk(AkType::kRsa, kHandle, /*replace=*/true);
  ASSERT_TRUE(replaced.ok()) << replaced.error().ToString();
  EXPECT_EQ(replaced->type, AkType::kRsa);
  EXPECT_NE(replaced->pem, ak->pem);
  ASSERT_TRUE(tpm_->EvictPersistent(kHandle).ok());
  EXPECT_FALSE(tpm_->LoadAk(AkLocation::Persistent(kHandle)).ok());
}

TEST_F(TpmTest, ContextFileAkReloads) {
  auto ak = tpm_->CreateAk(AkType::kRsa, std::nullopt);
  ASSERT_TRUE(ak.ok()) << ak.error().ToString();
  ASSERT_FALSE(ak->location.saved_context.empty());
  std::string path = testing::MakeTempDir("ak") + "/ak.ctx";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(ak->location.saved_context.data()),
              static_cast<std::streamsize>(ak->location.saved_context.size()));
  }
  std::string bytes = testing::ReadFileOrDie(path);
  AkLocation from_file = AkLocation::Context(std::vector<uint8_t>(bytes.begin(), bytes.end()));
  auto loaded = tpm_->LoadAk(from_file);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(loaded->pem, ak->pem);
  EXPECT_EQ(loaded->name, ak->name);
  auto selection = ParsePcrSelection("sha1:10+sha256:10").value();
  Quoted q = QuoteAndRead(from_file, selection);
  auto v = VerifyQuote(q.quote, loaded->pem, {q.nonce, q.pcrs, selection});
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok());

  // A damaged context file is an input error, not a TPM crash.
  AkLocation damaged = from_file;
  damaged.saved_context.resize(damaged.saved_context.size() / 2);
  auto bad = tpm_->LoadAk(damaged);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), ErrorKind::kInvalidInput);
  AkLocation corrupted = from_file;
  corrupted.saved_context[30] ^= 0xff;  // inside the TPM's integrity-protected blob
  EXPECT_FALSE(tpm_->LoadAk(corrupted).ok());
  EXPECT_TRUE(tpm_->connected());
}

TEST_F(TpmTest, FiftyQuotesInARowLeakNoHandles) {
  auto ecc = tpm_->CreateAk(AkType::kEcc, std::nullopt);
  auto rsa = tpm_->CreateAk(AkType::kRsa, std::nullopt);
  ASSERT_TRUE(ecc.ok() && rsa.ok());
  auto selection = ParsePcrSelection("sha256:0-10").value();
  for (int i = 0; i < 50; ++i) {
    const AttestationKey& ak = i % 2 ? *rsa : *ecc;
    auto quote = tpm_->QuotePcrs(ak.location, selection, RandomBytes(16));
    ASSERT_TRUE(quote.ok()) << "quote " << i << ": " << quote.error().ToString();
    ASSERT_TRUE(tpm_->LoadAk(ak.location).ok()) << "load " << i;
  }
  // Failed loads release what they took, too.
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(tpm_->LoadAk(AkLocation::Persistent(0x81000fff)).ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(tpm_->CreateAk(AkType::kEcc, std::nullopt).ok()) << "create " << i;
}

TEST_F(TpmTest, NonceTooLongAndEmptySelectionAreInputErrors) {
  auto ak = tpm_->CreateAk(AkType::kEcc, std::nullopt);
  ASSERT_TRUE(ak.ok());
  auto selection = ParsePcrSelection("sha256:10").value();
  EXPECT_EQ(tpm_->QuotePcrs(ak->location, selection, RandomBytes(65)).error().kind(),
            ErrorKind::kInvalidInput);
  EXPECT_EQ(tpm_->QuotePcrs(ak->location, PcrSelection{}, RandomBytes(8)).error().kind(),
            ErrorKind::kInvalidInput);
  // An empty nonce and the 64-byte maximum both work.
  EXPECT_TRUE(tpm_->QuotePcrs(ak->location, selection, {}).ok());
  EXPECT_TRUE(tpm_->QuotePcrs(ak->location, selection, RandomBytes(64)).ok());
}

TEST(TpmOpen, UnreachableTpmIsAnErrorValue) {
  auto tpm = Tpm::Open("swtpm:host=127.0.0.1,port=1");
  ASSERT_FALSE(tpm.ok());
  EXPECT_EQ(tpm.error().kind(), ErrorKind::kTpm);
  EXPECT_FALSE(Tpm::Open("device:/nonexistent/tpmrm0").ok());
  EXPECT_FALSE(Tpm::Open("nosuchtcti:").ok());
  EXPECT_FALSE(Tpm::Open("").ok());
}

}  // namespace
}  // namespace imawatch::tpm
