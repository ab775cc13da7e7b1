// imawatch attest and verify-evidence, run as a user would, against swtpm: a node whose PCRs
// 0-9 hold firmware values and whose PCR 10 holds the replay of a list built with
// ImaLogBuilder (every active bank extended per entry, as the kernel does). Bundles made with
// ECC and RSA AKs verify; each kind of tampering is rejected by the check named for it.
#include "monitor/tpm/evidence.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "monitor/base/env.h"
#include "monitor/base/hex.h"
#include "monitor/ima/binary_reader.h"
#include "monitor/ima/hash.h"
#include "monitor/ima/template_hash.h"
#include "monitor/tpm/evidence_verify.h"
#include "monitor/tpm/tpm.h"
#include "tests/testing/ima_log_builder.h"
#include "tests/testing/paths.h"
#include "tests/testing/swtpm.h"

namespace imawatch::tpm {
namespace {

using ima::Digest;
using ima::HashAlgo;
using nlohmann::json;
using testing::CommandResult;

constexpr std::array<HashAlgo, 4> kFourBanks = {HashAlgo::kSha1, HashAlgo::kSha256, HashAlgo::kSha384,
                                                HashAlgo::kSha512};
constexpr uint32_t kEccHandle = 0x81010031;
constexpr int kMeasurements = 6;
const std::string kAllBanksSelection = "sha1:0-10+sha256:0-10+sha384:0-10+sha512:0-10";

testing::SwTpm& Swtpm() {
  static testing::SwTpm swtpm;
  return swtpm;
}

CommandResult Imawatch(std::vector<std::string> args) {
  args.insert(args.begin(), testing::ImawatchBinary());
  return testing::RunCommand(args);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

Digest BankHash(HashAlgo bank, std::string_view text) {
  Digest d = Digest::Zero(bank);
  ima::Hash(bank, {std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size())}, d.bytes.data());
  return d;
}

// Writes the node's list: boot_aggregate over boot_pcrs, kMeasurements files, a violation,
// then `extra` files more (entries the quote will not cover). Deterministic.
ima::PcrValues BuildList(const std::string& path, const ima::PcrValues& boot_pcrs, int extra = 0) {
  testing::ImaLogBuilder builder(path, {.banks = {kFourBanks.begin(), kFourBanks.end()}});
  builder.SetBootPcrs(boot_pcrs);
  builder.AddBootAggregate();
  auto measure = [&](int k) {
    testing::FileMeasurement m{.path = "/usr/bin/tool-" + std::to_string(k)};
    Digest d = BankHash(HashAlgo::kSha256, "content of tool " + std::to_string(k));
    m.digest.assign(d.view().begin(), d.view().end());
    return m;
  };
  for (int k = 0; k < kMeasurements; ++k) builder.AddMeasurement(measure(k));
  builder.AddViolation({.path = "/var/log/written-while-read"});
  ima::PcrValues covered = builder.pcrs();
  for (int k = 0; k < extra; ++k) builder.AddMeasurement(measure(100 + k));
  builder.Finish();
  return covered;
}

// A boot of the node: firmware extends PCRs 0-9, then the "kernel" logs the list and extends
// PCR 10 in every bank with each entry's per-bank template digest.
void Boot(const std::string& list_path) {
  auto opened = Tpm::Open(Swtpm().Tcti());
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  Tpm& tpm = **opened;
  for (uint32_t pcr = 0; pcr < 10; ++pcr) {
    std::vector<Digest> digests;
    for (HashAlgo bank : kFourBanks)
      digests.push_back(BankHash(bank, "firmware event " + std::to_string(pcr)));
    ASSERT_TRUE(tpm.ExtendPcr(pcr, digests).ok());
  }
  std::vector<uint32_t> boot_indexes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto boot_pcrs = tpm.ReadPcrs(kFourBanks, boot_indexes);
  ASSERT_TRUE(boot_pcrs.ok()) << boot_pcrs.error().ToString();
  ima::PcrValues expected = BuildList(list_path, *boot_pcrs);

  auto file = Env::Default().OpenForRead(list_path);
  ASSERT_TRUE(file.ok());
  ima::BinaryLogReader reader(**file, {});
  for (;;) {
    auto batch = reader.Next();
    ASSERT_TRUE(batch.ok()) << batch.error().ToString();
    if (batch->empty()) break;
    for (const ima::EntryView& e : *batch) {
      std::vector<Digest> digests;
      for (HashAlgo bank : kFourBanks) {
        Digest d = Digest::Filled(bank, 0xff);  // a violation extends all-ones
        if (!e.is_violation()) ima::ComputeTemplateDigest(bank, e, d.bytes.data());
        digests.push_back(d);
      }
      ASSERT_TRUE(tpm.ExtendPcr(e.pcr, digests).ok());
    }
  }
  std::vector<uint32_t> ten = {10};
  auto pcr10 = tpm.ReadPcrs(kFourBanks, ten);
  ASSERT_TRUE(pcr10.ok());
  for (HashAlgo bank : kFourBanks) {
    ASSERT_EQ(*pcr10->Get(bank, 10), *expected.Get(bank, 10)) << ima::Name(bank);
  }
}

class EvidenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir("evidence"));
    ASSERT_EQ(mkdir((*dir_ + "/sfs").c_str(), 0700), 0);
    ASSERT_EQ(mkdir((*dir_ + "/sfs/ima").c_str(), 0700), 0);
    Boot(ListPath());
    auto opened = Tpm::Open(Swtpm().Tcti());
    ASSERT_TRUE(opened.ok());
    auto ecc = (*opened)->CreateAk(AkType::kEcc, kEccHandle, /*replace=*/true);
    ASSERT_TRUE(ecc.ok()) << ecc.error().ToString();
    WriteFile(Path("ecc.pem"), ecc->pem);
    auto other = (*opened)->CreateAk(AkType::kEcc, std::nullopt);
    ASSERT_TRUE(other.ok());
    WriteFile(Path("other.pem"), other->pem);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }
  static std::string ListPath() { return *dir_ + "/sfs/ima/binary_runtime_measurements"; }
  static std::string EccHandle() { return "0x81010031"; }

  // imawatch attest ... --tcti <swtpm> --out <path>
  static CommandResult Attest(const std::string& out, std::vector<std::string> args) {
    args.insert(args.begin(), "attest");
    for (const char* a : {"--tcti"}) args.push_back(a);
    args.push_back(Swtpm().Tcti());
    args.push_back("--out");
    args.push_back(out);
    return Imawatch(args);
  }

  // The ECC bundle every tampering test starts from (nonce 5eed).
  static const std::string& EccBundle() {
    static std::string path = [] {
      std::string p = Path("ecc-bundle.json");
      auto r = Attest(p, {"--nonce", "5eed", "--ak-handle", EccHandle(), "--securityfs", *dir_ + "/sfs"});
      EXPECT_EQ(r.exit_code, 0) << r.err;
      return p;
    }();
    return path;
  }

  struct Verified {
    int exit_code = -1;
    json report;
    std::string err;
  };
  static Verified VerifyJson(const std::string& bundle, const std::string& ak_pem, const std::string& nonce) {
    std::vector<std::string> args = {"verify-evidence", bundle, "--ak", ak_pem, "--json"};
    if (!nonce.empty()) {
      args.push_back("--nonce");
      args.push_back(nonce);
    }
    auto r = Imawatch(args);
    Verified v{r.exit_code, json(), r.err};
    if (!r.out.empty()) v.report = json::parse(r.out);
    return v;
  }
  static std::vector<std::string> FailedChecks(const json& report) {
    std::vector<std::string> out;
    for (const auto& f : report["failures"]) out.push_back(f["check"].get<std::string>());
    return out;
  }

  static Evidence Load(const std::string& path) {
    auto e = ParseEvidence(testing::ReadFileOrDie(path), path);
    EXPECT_TRUE(e.ok()) << e.error().ToString();
    return e.ok() ? *e : Evidence{};
  }

  static std::string* dir_;
};
std::string* EvidenceTest::dir_ = nullptr;

void RecomputeListDigest(Evidence& e) {
  e.list.size = e.list.data->size();
  e.list.sha256.resize(32);
  ima::Hash(HashAlgo::kSha256, {*e.list.data}, e.list.sha256.data());
}

TEST_F(EvidenceTest, SwtpmHasTheFourBanksActive) {
  auto r = Imawatch({"tpm", "banks", "--tcti", Swtpm().Tcti()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "sha1\nsha256\nsha384\nsha512\n");
}

TEST_F(EvidenceTest, EccPersistentAkBundleOfFourBanksVerifies) {
  auto made = Attest(Path("ecc.json"), {"--nonce", "00c0ffee", "--ak-handle", EccHandle(), "--securityfs",
                                        *dir_ + "/sfs", "--node-name", "rack7-node3"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_NE(made.out.find("evidence in"), std::string::npos);

  Evidence e = Load(Path("ecc.json"));
  EXPECT_EQ(e.selection.ToString(), kAllBanksSelection);
  EXPECT_EQ(e.pcrs.size(), 44u);
  EXPECT_EQ(e.node_name, "rack7-node3");
  EXPECT_FALSE(e.hostname.empty());
  EXPECT_TRUE(IsRfc3339(e.time)) << e.time;
  EXPECT_EQ(e.ak_type, AkType::kEcc);
  EXPECT_EQ(ToHex(e.nonce), "00c0ffee");
  EXPECT_EQ(e.list.entries, kMeasurements + 2u);
  std::string list = testing::ReadFileOrDie(ListPath());
  ASSERT_TRUE(e.list.data.has_value());
  EXPECT_EQ(std::string(e.list.data->begin(), e.list.data->end()), list);
  EXPECT_EQ(e.list.size, list.size());

  auto v = VerifyJson(Path("ecc.json"), Path("ecc.pem"), "00C0FFEE");
  ASSERT_EQ(v.exit_code, 0) << v.report.dump(2) << v.err;
  EXPECT_EQ(v.report["verified"], true);
  EXPECT_TRUE(v.report["failures"].empty());
  EXPECT_EQ(v.report["nonce_checked"], true);
  EXPECT_EQ(v.report["quote"]["selection"], kAllBanksSelection);
  EXPECT_EQ(v.report["quote"]["reset_count"], e.clock.reset_count);
  EXPECT_EQ(v.report["list"]["entries"], kMeasurements + 2);
  EXPECT_EQ(v.report["list"]["proved"], kMeasurements + 2);
  EXPECT_EQ(v.report["list"]["not_covered"], 0);
  EXPECT_EQ(v.report["list"]["violations"], 1);
  EXPECT_EQ(v.report["list"]["boot_aggregate"], "match");
  ASSERT_EQ(v.report["list"]["banks"].size(), 4u);
  for (const auto& bank : v.report["list"]["banks"]) {
    EXPECT_EQ(bank["status"], "verified") << bank.dump();
    EXPECT_EQ(bank["variant"], "per-bank") << bank.dump();
  }

  auto text = Imawatch({"verify-evidence", Path("ecc.json"), "--ak", Path("ecc.pem"), "--nonce", "00c0ffee"});
  EXPECT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_EQ(text.out.rfind("evidence verified\n", 0), 0u) << text.out;
  EXPECT_NE(text.out.find("rack7-node3"), std::string::npos);

  // Without --nonce the quote is only held to its own nonce: verified, but says so.
  auto unchallenged = Imawatch({"verify-evidence", Path("ecc.json"), "--ak", Path("ecc.pem")});
  EXPECT_EQ(unchallenged.exit_code, 0) << unchallenged.out;
  EXPECT_NE(unchallenged.out.find("freshness unknown"), std::string::npos);
}

TEST_F(EvidenceTest, RsaContextAkBundleVerifies) {
  auto created = Imawatch({"tpm", "ak", "create", "--type", "rsa", "--context", Path("rsa.ctx"), "--pub-pem",
                           Path("rsa.pem"), "--tcti", Swtpm().Tcti()});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto made = Attest(Path("rsa.json"),
                     {"--nonce", "0123456789abcdef", "--ak-context", Path("rsa.ctx"), "--log", ListPath()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  Evidence e = Load(Path("rsa.json"));
  EXPECT_EQ(e.ak_type, AkType::kRsa);
  EXPECT_EQ(e.selection.ToString(), kAllBanksSelection);
  auto v = VerifyJson(Path("rsa.json"), Path("rsa.pem"), "0123456789abcdef");
  ASSERT_EQ(v.exit_code, 0) << v.report.dump(2) << v.err;
  EXPECT_EQ(v.report["list"]["proved"], kMeasurements + 2);

  // An RSA bundle checked with the ECC AK: another key.
  auto wrong = VerifyJson(Path("rsa.json"), Path("ecc.pem"), "0123456789abcdef");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(FailedChecks(wrong.report), ::testing::Contains("ak"));
  EXPECT_THAT(FailedChecks(wrong.report), ::testing::Contains("signature"));
}

TEST_F(EvidenceTest, SelectedBanksAndPcrsOnly) {
  auto made = Attest(Path("two-banks.json"), {"--nonce", "aa", "--ak-handle", EccHandle(), "--securityfs",
                                              *dir_ + "/sfs", "--banks", "sha256,sha1"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_EQ(Load(Path("two-banks.json")).selection.ToString(), "sha256:0-10+sha1:0-10");
  auto v = VerifyJson(Path("two-banks.json"), Path("ecc.pem"), "aa");
  EXPECT_EQ(v.exit_code, 0) << v.report.dump(2);
  EXPECT_EQ(v.report["list"]["banks"].size(), 2u);
  // A verifier may insist on banks: sha1 alone would not do for one that requires sha384.
  auto required = Imawatch({"verify-evidence", Path("two-banks.json"), "--ak", Path("ecc.pem"), "--nonce",
                            "aa", "--banks", "sha256,sha384", "--json"});
  EXPECT_EQ(required.exit_code, 1);
  ASSERT_FALSE(required.out.empty()) << required.err;
  EXPECT_EQ(FailedChecks(json::parse(required.out)), std::vector<std::string>{"selection"}) << required.out;
  EXPECT_NE(required.out.find("sha384 PCRs 0-10"), std::string::npos);
  auto satisfied = Imawatch({"verify-evidence", Path("two-banks.json"), "--ak", Path("ecc.pem"), "--nonce",
                             "aa", "--banks", "sha256"});
  EXPECT_EQ(satisfied.exit_code, 0) << satisfied.out;

  // PCR 10 alone: the list replays, but its boot_aggregate is not proved.
  auto ten = Attest(Path("pcr10.json"), {"--nonce", "aa", "--ak-handle", EccHandle(), "--securityfs",
                                         *dir_ + "/sfs", "--pcrs", "10"});
  ASSERT_EQ(ten.exit_code, 0) << ten.err;
  auto v10 = VerifyJson(Path("pcr10.json"), Path("ecc.pem"), "aa");
  EXPECT_EQ(v10.exit_code, 1);
  EXPECT_EQ(FailedChecks(v10.report), std::vector<std::string>{"boot-aggregate"}) << v10.report.dump(2);
}

// The list read after the quote may have grown: the quoted PCR 10 is the replay of a prefix.
TEST_F(EvidenceTest, EntriesAppendedAfterTheQuoteAreReportedNotCovered) {
  std::string sfs = Path("grown");
  ASSERT_EQ(mkdir(sfs.c_str(), 0700), 0);
  ASSERT_EQ(mkdir((sfs + "/ima").c_str(), 0700), 0);
  Evidence base = Load(EccBundle());
  ima::PcrValues boot;
  for (HashAlgo bank : kFourBanks) {
    for (uint32_t i = 0; i < 10; ++i) boot.Set(bank, i, *base.pcrs.Get(bank, i));
  }
  BuildList(sfs + "/ima/binary_runtime_measurements", boot, /*extra=*/3);
  auto made = Attest(Path("grown.json"), {"--nonce", "bb", "--ak-handle", EccHandle(), "--securityfs", sfs});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  auto v = VerifyJson(Path("grown.json"), Path("ecc.pem"), "bb");
  ASSERT_EQ(v.exit_code, 0) << v.report.dump(2);
  EXPECT_EQ(v.report["list"]["entries"], kMeasurements + 5);
  EXPECT_EQ(v.report["list"]["proved"], kMeasurements + 2);
  EXPECT_EQ(v.report["list"]["not_covered"], 3);
  auto text = Imawatch({"verify-evidence", Path("grown.json"), "--ak", Path("ecc.pem"), "--nonce", "bb"});
  EXPECT_NE(text.out.find("3 appended after it (not attested)"), std::string::npos) << text.out;
}

struct Tampering {
  std::string name;
  std::function<void(Evidence&)> change;
  std::vector<std::string> checks;  // each must be among the failures
};

TEST_F(EvidenceTest, EachTamperingIsRejectedByItsCheck) {
  const Evidence original = Load(EccBundle());
  // Offset of the third entry (index 2): 4 + 20 + 4 + 6 bytes of header, then the template data.
  const auto edit_entry_digest = [](Evidence& e) {
    auto file = NewMemoryFile("list", *e.list.data);
    ima::BinaryLogReader reader(*file, {});
    auto batch = reader.Next();
    ASSERT_TRUE(batch.ok());
    const ima::EntryView& third = (*batch)[2];
    size_t at = third.offset + third.size - 1;  // last byte of the file name field
    (*e.list.data)[at] ^= 0x20;
    RecomputeListDigest(e);
  };
  const std::vector<Tampering> cases = {
      {"quote attest byte",
       [](Evidence& e) { e.quote.attest[e.quote.attest.size() / 2] ^= 0x01; },
       {"signature"}},
      {"quote magic", [](Evidence& e) { e.quote.attest[0] ^= 0x01; }, {"signature", "magic"}},
      {"signature byte", [](Evidence& e) { e.quote.signature.back() ^= 0x80; }, {"signature"}},
      {"PCR value",
       [](Evidence& e) { e.pcrs.Set(HashAlgo::kSha256, 10, Digest::Filled(HashAlgo::kSha256, 0x42)); },
       {"pcr-digest"}},
      {"firmware PCR value",
       [](Evidence& e) { e.pcrs.Set(HashAlgo::kSha256, 0, Digest::Filled(HashAlgo::kSha256, 0x42)); },
       {"pcr-digest", "boot-aggregate"}},
      {"bundle nonce",
       [](Evidence& e) {
         e.nonce = {0x5e, 0xee};
       },
       {"nonce"}},
      {"embedded AK", [](Evidence& e) { e.ak_pem = testing::ReadFileOrDie(Path("other.pem")); }, {"ak"}},
      {"AK type", [](Evidence& e) { e.ak_type = AkType::kRsa; }, {"ak"}},
      {"AK name", [](Evidence& e) { e.ak_name.back() ^= 0x01; }, {"ak-name"}},
      {"reset count", [](Evidence& e) { e.clock.reset_count += 1; }, {"clock"}},
      {"list entry edited", edit_entry_digest, {"template-digest", "replay"}},
      {"list truncated below the quote",
       [](Evidence& e) {
         auto file = NewMemoryFile("list", *e.list.data);
         ima::BinaryLogReader reader(*file, {});
         auto batch = reader.Next();
         ASSERT_TRUE(batch.ok());
         e.list.data->resize(batch->back().offset);  // drop the last entry
         e.list.entries -= 1;
         RecomputeListDigest(e);
       },
       {"replay"}},
      {"list byte without a new digest", [](Evidence& e) { (*e.list.data)[100] ^= 0x01; }, {"list-digest"}},
      {"list entry count", [](Evidence& e) { e.list.entries += 1; }, {"list-count"}},
      {"list cut mid-entry",
       [](Evidence& e) {
         e.list.data->resize(e.list.data->size() - 3);
         RecomputeListDigest(e);
       },
       {"list-format"}},
      {"list left out", [](Evidence& e) { e.list.data.reset(); }, {"list-missing"}},
      {"claimed selection",
       [](Evidence& e) { e.selection = *ParsePcrSelection("sha256:10"); },
       {"selection"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Evidence e = original;
    c.change(e);
    std::string path = Path("tampered.json");
    WriteFile(path, EvidenceToJson(e));
    auto v = VerifyJson(path, Path("ecc.pem"), "5eed");
    EXPECT_EQ(v.exit_code, 1) << v.err;
    for (const auto& check : c.checks) {
      EXPECT_THAT(FailedChecks(v.report), ::testing::Contains(check)) << v.report["failures"].dump(2);
    }
  }

  auto wrong_nonce = VerifyJson(EccBundle(), Path("ecc.pem"), "5eee");
  EXPECT_EQ(wrong_nonce.exit_code, 1);
  EXPECT_EQ(FailedChecks(wrong_nonce.report), std::vector<std::string>{"nonce"});

  auto wrong_nonce_text =
      Imawatch({"verify-evidence", EccBundle(), "--ak", Path("ecc.pem"), "--nonce", "5eee"});
  EXPECT_EQ(wrong_nonce_text.exit_code, 1);
  EXPECT_EQ(wrong_nonce_text.out.rfind(
                "evidence NOT verified\nFAILED nonce: quote carries nonce 5eed, expected 5eee\n", 0),
            0u)
      << wrong_nonce_text.out;

  auto wrong_ak = VerifyJson(EccBundle(), Path("other.pem"), "5eed");
  EXPECT_EQ(wrong_ak.exit_code, 1);
  EXPECT_THAT(FailedChecks(wrong_ak.report), ::testing::Contains("ak"));
  EXPECT_THAT(FailedChecks(wrong_ak.report), ::testing::Contains("signature"));

  auto untouched = VerifyJson(EccBundle(), Path("ecc.pem"), "5eed");
  EXPECT_EQ(untouched.exit_code, 0) << untouched.report.dump(2);
}

// One byte altered anywhere in the quote or the list fails verification, even when the forger
// also rewrites the list's digest and size.
TEST_F(EvidenceTest, EveryByteOfTheQuoteAndTheListIsBound) {
  const Evidence original = Load(EccBundle());
  const std::string pem = testing::ReadFileOrDie(Path("ecc.pem"));
  const EvidenceExpectation expect{.nonce = std::vector<uint8_t>{0x5e, 0xed}};
  auto verify = [&](const Evidence& e) {
    auto v = VerifyEvidence(e, pem, expect);
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : EvidenceVerification{};
  };
  ASSERT_TRUE(verify(original).ok());
  for (size_t i = 0; i < original.quote.attest.size(); ++i) {
    Evidence e = original;
    e.quote.attest[i] ^= 0x01;
    EXPECT_TRUE(verify(e).Failed(kCheckSignature)) << "attest byte " << i;
  }
  for (size_t i = 0; i < original.quote.signature.size(); ++i) {
    Evidence e = original;
    e.quote.signature[i] ^= 0x01;
    EXPECT_TRUE(verify(e).Failed(kCheckSignature)) << "signature byte " << i;
  }
  // The one exception is IMA's: a violation is extended as all-ones, not as the hash of its
  // template data, so the file name and digest logged with a violation are the node's word.
  auto file = NewMemoryFile("list", *original.list.data);
  ima::BinaryLogReader reader(*file, {});
  auto batch = reader.Next();
  ASSERT_TRUE(batch.ok());
  const ima::EntryView& violation = batch->back();
  ASSERT_TRUE(violation.is_violation());
  // The template data is the entry's tail.
  const size_t violation_data = violation.offset + violation.size - violation.template_data.size();
  const size_t violation_end = violation_data + violation.template_data.size();
  size_t unbound = 0;
  for (size_t i = 0; i < original.list.data->size(); ++i) {
    Evidence e = original;
    (*e.list.data)[i] ^= 0x01;
    EXPECT_TRUE(verify(e).Failed(kCheckListDigest)) << "list byte " << i;
    RecomputeListDigest(e);
    auto v = verify(e);
    EXPECT_FALSE(v.Failed(kCheckListDigest));
    if (v.ok()) {
      ++unbound;
      EXPECT_TRUE(i >= violation_data && i < violation_end)
          << "list byte " << i << " altered, digest recomputed";
    }
  }
  // Of the violation's data, only its fields' length prefixes are bound (they shape the parse).
  EXPECT_EQ(unbound, violation.template_data.size() - 8);
}

TEST_F(EvidenceTest, DigestOnlyBundleIsVerifiedWithTheListGivenApart) {
  auto made = Attest(Path("digest-only.json"), {"--nonce", "cc", "--ak-handle", EccHandle(), "--securityfs",
                                                *dir_ + "/sfs", "--digest-only"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  Evidence e = Load(Path("digest-only.json"));
  EXPECT_FALSE(e.list.data.has_value());
  EXPECT_EQ(e.list.entries, kMeasurements + 2u);

  auto alone = VerifyJson(Path("digest-only.json"), Path("ecc.pem"), "cc");
  EXPECT_EQ(alone.exit_code, 1);
  EXPECT_EQ(FailedChecks(alone.report), std::vector<std::string>{"list-missing"});

  auto with_list = Imawatch({"verify-evidence", Path("digest-only.json"), "--ak", Path("ecc.pem"), "--nonce",
                             "cc", "--list", ListPath()});
  EXPECT_EQ(with_list.exit_code, 0) << with_list.out;

  std::string other = testing::ReadFileOrDie(ListPath());
  other[other.size() - 1] ^= 1;
  WriteFile(Path("other-list"), other);
  auto wrong_list = Imawatch({"verify-evidence", Path("digest-only.json"), "--ak", Path("ecc.pem"), "--nonce",
                              "cc", "--list", Path("other-list"), "--json"});
  EXPECT_EQ(wrong_list.exit_code, 1);
  EXPECT_THAT(FailedChecks(json::parse(wrong_list.out)), ::testing::Contains("list-digest"));
}

TEST_F(EvidenceTest, MalformedBundlesAreInputErrorsWithTheirPosition) {
  std::string text = testing::ReadFileOrDie(EccBundle());
  WriteFile(Path("cut.json"), text.substr(0, 200));
  auto cut = Imawatch({"verify-evidence", Path("cut.json"), "--ak", Path("ecc.pem")});
  EXPECT_EQ(cut.exit_code, 2);
  EXPECT_NE(cut.err.find("cut.json:"), std::string::npos) << cut.err;
  EXPECT_NE(cut.err.find("not JSON"), std::string::npos) << cut.err;

  json j = json::parse(text);
  j["quote"].erase("attest");
  WriteFile(Path("no-attest.json"), j.dump(2));
  auto missing = Imawatch({"verify-evidence", Path("no-attest.json"), "--ak", Path("ecc.pem")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("/quote/attest: missing"), std::string::npos) << missing.err;

  auto bad_ak = Imawatch({"verify-evidence", EccBundle(), "--ak", EccBundle()});
  EXPECT_EQ(bad_ak.exit_code, 2) << bad_ak.out;
  auto no_ak = Imawatch({"attest", "--nonce", "aa", "--tcti", Swtpm().Tcti()});
  EXPECT_EQ(no_ak.exit_code, 2);
  auto bad_nonce = Attest(Path("x.json"), {"--nonce", "xyz", "--ak-handle", EccHandle()});
  EXPECT_EQ(bad_nonce.exit_code, 2);
  auto no_list =
      Attest(Path("x.json"), {"--nonce", "aa", "--ak-handle", EccHandle(), "--log", Path("absent")});
  EXPECT_EQ(no_list.exit_code, 2);
  EXPECT_NE(no_list.err.find("absent"), std::string::npos) << no_list.err;
}

TEST_F(EvidenceTest, ProducedBundlesMatchTheJsonSchema) {
  const std::string schema = testing::SourceDir() + "/doc/schemas/evidence.schema.json";
  auto made = Attest(Path("schema-digest-only.json"), {"--nonce", "dd", "--ak-handle", EccHandle(),
                                                       "--securityfs", *dir_ + "/sfs", "--digest-only"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  json broken = json::parse(testing::ReadFileOrDie(EccBundle()));
  broken["tpm"].erase("reset_count");
  WriteFile(Path("schema-broken.json"), broken.dump());
  // Debian's python3-jsonschema (scripts/bootstrap), draft 2020-12 with format checks.
  const std::string validate =
      "import json, sys, jsonschema\n"
      "schema = json.load(open(sys.argv[1]))\n"
      "jsonschema.Draft202012Validator.check_schema(schema)\n"
      "v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())\n"
      "errors = list(v.iter_errors(json.load(open(sys.argv[2]))))\n"
      "for e in errors: print('/'.join(map(str, e.absolute_path)) + ': ' + e.message)\n"
      "sys.exit(1 if errors else 0)\n";
  for (const std::string& bundle : {EccBundle(), Path("schema-digest-only.json")}) {
    auto r = testing::RunCommand({"/usr/bin/python3", "-c", validate, schema, bundle});
    EXPECT_EQ(r.exit_code, 0) << bundle << "\n" << r.out << r.err;
  }
  auto r = testing::RunCommand({"/usr/bin/python3", "-c", validate, schema, Path("schema-broken.json")});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("reset_count"), std::string::npos) << r.out;
}

// A reboot (TPM reset) shows in the signed resetCount; the persistent AK survives it.
TEST_F(EvidenceTest, ARebootIsVisibleInTheResetCount) {
  Evidence before = Load(EccBundle());
  Swtpm().PowerCycle();
  Boot(ListPath());
  auto made = Attest(Path("after-reboot.json"),
                     {"--nonce", "ee", "--ak-handle", EccHandle(), "--securityfs", *dir_ + "/sfs"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  Evidence after = Load(Path("after-reboot.json"));
  EXPECT_EQ(after.clock.reset_count, before.clock.reset_count + 1);
  auto v = VerifyJson(Path("after-reboot.json"), Path("ecc.pem"), "ee");
  EXPECT_EQ(v.exit_code, 0) << v.report.dump(2);
  EXPECT_EQ(v.report["quote"]["reset_count"], after.clock.reset_count);
}

}  // namespace
}  // namespace imawatch::tpm
