// evmctl (ima-evm-utils) as the outside oracle of the replay: on genuine kernel lists and on
// generated ones, `evmctl ima_measurement` and `imawatch verify` must reach the same verdict,
// both on the list as it is and on a copy where one entry's file digest was changed and its
// template digest recomputed (a self-consistent entry: only the PCR replay can catch it).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "monitor/base/env.h"
#include "monitor/ima/pcr_values.h"
#include "tests/testing/ima_log_builder.h"
#include "tests/testing/paths.h"

namespace imawatch::testing {
namespace {

using ima::HashAlgo;

constexpr std::string_view kEvmctlMatched = "Matched per TPM bank calculated digest(s).";
constexpr std::string_view kEvmctlMismatch = "Failed to match per TPM bank";

enum class Verdict { kVerified, kRejected, kUnclear };

std::string Describe(Verdict v) {
  return v == Verdict::kVerified ? "verified" : v == Verdict::kRejected ? "rejected" : "unclear";
}

// What to replay: a list, its PCRs as pcrs.txt and in evmctl's per-bank files.
struct Evidence {
  std::string list;
  std::string pcrs;
  std::string evmctl_sha1;
  std::string evmctl_sha256;
};

std::string FixtureDir(const std::string& name) {
  std::string dir = FixturePath("ima/" + name);
  return Env::Default().IsDirectory(dir) ? dir : SharedPath("fixtures/ima/" + name);
}

Evidence FixtureEvidence(const std::string& name) {
  const std::string dir = FixtureDir(name), tmp = MakeTempDir("evmctl-" + name);
  auto reading = ima::LoadPcrValues(Env::Default(), dir + "/pcrs.txt");
  if (!reading) throw std::runtime_error(reading.error().ToString());
  Evidence e{dir + "/binary_runtime_measurements", dir + "/pcrs.txt", tmp + "/sha1.pcrs",
             tmp + "/sha256.pcrs"};
  WriteTextFile(e.evmctl_sha1, EvmctlPcrsText(*reading, HashAlgo::kSha1));
  WriteTextFile(e.evmctl_sha256, EvmctlPcrsText(*reading, HashAlgo::kSha256));
  return e;
}

Evidence Generate(const std::string& tag, const std::vector<std::string>& args) {
  const std::string dir = MakeTempDir(tag);
  std::vector<std::string> argv = {GENERATE_IMA_LOG_BINARY, "--out", dir};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = RunCommand(argv);
  if (r.exit_code != 0) throw std::runtime_error("generate_ima_log failed: " + r.err);
  return {dir + "/binary_runtime_measurements", dir + "/pcrs.txt", dir + "/pcrs-sha1.evmctl",
          dir + "/pcrs-sha256.evmctl"};
}

// One bank per run: given several --pcrs files, evmctl 1.4 reports a match when only some
// banks match.
Verdict Evmctl(const Evidence& e, HashAlgo bank, std::string& transcript) {
  const std::string file = bank == HashAlgo::kSha1 ? e.evmctl_sha1 : e.evmctl_sha256;
  CommandResult r = RunCommand({"evmctl", "ima_measurement", "--ignore-violations", "--pcrs",
                                std::string(ima::Name(bank)) + "," + file, e.list});
  transcript = "exit " + std::to_string(r.exit_code) + "\n" + r.out + r.err.substr(0, 4000);
  const bool matched = r.err.find(kEvmctlMatched) != std::string::npos;
  const bool mismatch = r.err.find(kEvmctlMismatch) != std::string::npos;
  if (r.exit_code == 0 && matched && !mismatch) return Verdict::kVerified;
  if (r.exit_code != 0 && mismatch && !matched) return Verdict::kRejected;
  return Verdict::kUnclear;
}

struct ImawatchResult {
  Verdict verdict = Verdict::kUnclear;
  nlohmann::json report;
  std::string transcript;
};

ImawatchResult Imawatch(const Evidence& e) {
  CommandResult r = RunCommand(
      {ImawatchBinary(), "verify", "--log", e.list, "--pcrs", e.pcrs, "--bank", "sha1,sha256", "--json"});
  ImawatchResult out;
  out.transcript = "exit " + std::to_string(r.exit_code) + "\n" + r.out.substr(0, 4000) + r.err;
  out.report = nlohmann::json::parse(r.out, nullptr, false);
  if (out.report.is_discarded() || !out.report.contains("verified")) return out;
  const bool verified = out.report["verified"].get<bool>();
  if (r.exit_code == 0 && verified) out.verdict = Verdict::kVerified;
  if (r.exit_code == 1 && !verified) out.verdict = Verdict::kRejected;
  return out;
}

// Both tools, both banks: the same verdict everywhere.
void ExpectAgreement(const Evidence& e, Verdict expected) {
  std::string transcript;
  for (HashAlgo bank : {HashAlgo::kSha1, HashAlgo::kSha256}) {
    Verdict v = Evmctl(e, bank, transcript);
    EXPECT_EQ(Describe(v), Describe(expected)) << "evmctl " << ima::Name(bank) << " on " << e.list << "\n"
                                               << transcript;
  }
  ImawatchResult ours = Imawatch(e);
  ASSERT_EQ(Describe(ours.verdict), Describe(expected)) << "imawatch on " << e.list << "\n"
                                                        << ours.transcript;
  for (const auto& bank : ours.report["banks"]) {
    EXPECT_EQ(bank["status"], expected == Verdict::kVerified ? "verified" : "mismatch") << bank.dump();
  }
  // A tampered entry is self-consistent: the replay, not the template-digest check, rejects it.
  EXPECT_EQ(ours.report["template_digest_mismatches"], 0);
}

uint32_t U32(const std::string& b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b[at + static_cast<size_t>(i)]);
  return v;
}

std::array<uint8_t, 20> Sha1(std::string_view a, std::string_view b = {}) {
  std::array<uint8_t, 20> out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex2(ctx, EVP_sha1(), nullptr);
  EVP_DigestUpdate(ctx, a.data(), a.size());
  EVP_DigestUpdate(ctx, b.data(), b.size());
  EVP_DigestFinal_ex(ctx, out.data(), nullptr);
  EVP_MD_CTX_free(ctx);
  return out;
}

// Flips the last byte of the file digest of the first measurement (not a violation) at or after
// entry `from` and recomputes its template digest. Walks a little-endian list with SHA1
// template digests (the kernel's binary_runtime_measurements). Returns the entry's index.
size_t TamperFileDigest(const std::string& path, size_t from) {
  std::string list = ReadFileOrDie(path);
  size_t at = 0;
  for (size_t index = 0; at < list.size(); ++index) {
    const size_t digest_at = at + 4;
    const size_t name_len = U32(list, at + 24);
    const std::string name = list.substr(at + 28, name_len);
    const size_t p = at + 28 + name_len;
    const bool violation = list.substr(digest_at, 20) == std::string(20, '\0');
    size_t end;
    std::array<uint8_t, 20> digest{};
    if (name == "ima") {  // legacy: 20-byte digest, name length, name; hashed with the name padded to 256
      const size_t len = U32(list, p + 20);
      end = p + 24 + len;
      if (index >= from && !violation) {
        list[p + 19] = static_cast<char>(list[p + 19] ^ 1);
        std::string padded = list.substr(p + 24, len);
        padded.resize(256, '\0');
        digest = Sha1(std::string_view(list).substr(p, 20), padded);
      }
    } else {  // template data: <u32 len>[<u32 len><field>...], the file digest ends the first field
      const size_t data_len = U32(list, p);
      end = p + 4 + data_len;
      if (index >= from && !violation) {
        const size_t field_end = p + 8 + U32(list, p + 4);
        list[field_end - 1] = static_cast<char>(list[field_end - 1] ^ 1);
        digest = Sha1(std::string_view(list).substr(p + 4, data_len));
      }
    }
    if (index >= from && !violation) {
      std::copy(digest.begin(), digest.end(), list.begin() + static_cast<std::ptrdiff_t>(digest_at));
      WriteTextFile(path, list);
      return index;
    }
    at = end;
  }
  throw std::runtime_error("no measurement at or after entry " + std::to_string(from) + " in " + path);
}

// A copy of the evidence whose list has one tampered entry.
Evidence Tampered(const Evidence& e, size_t from, size_t* index = nullptr) {
  Evidence t = e;
  t.list = MakeTempDir("tampered") + "/binary_runtime_measurements";
  WriteTextFile(t.list, ReadFileOrDie(e.list));
  size_t i = TamperFileDigest(t.list, from);
  if (index) *index = i;
  return t;
}

class GenuineFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GenuineFixtureTest, BothVerifyTheKernelsList) {
  ExpectAgreement(FixtureEvidence(GetParam()), Verdict::kVerified);
}

TEST_P(GenuineFixtureTest, BothRejectATamperedEntry) {
  // Entry 1 (/bin/busybox) lies inside every PCR-proved prefix, the race capture's included.
  size_t index = 0;
  Evidence t = Tampered(FixtureEvidence(GetParam()), 1, &index);
  EXPECT_EQ(index, 1u);
  ExpectAgreement(t, Verdict::kRejected);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GenuineFixtureTest,
                         ::testing::Values("ngsha256", "imasha1", "evmsig", "pcr11", "race"));

TEST(GeneratedListTest, BothVerifyA50kEntryListWithViolations) {
  Evidence e = Generate("gen50k", {"--entries", "50000", "--violations", "50", "--seed", "7"});
  ExpectAgreement(e, Verdict::kVerified);
  ImawatchResult ours = Imawatch(e);
  EXPECT_EQ(ours.report["entries"], 50000);
  EXPECT_EQ(ours.report["violations"], 50);
  EXPECT_EQ(ours.report["proved_entries"], 50000);
  EXPECT_EQ(ours.report["boot_aggregate"]["status"], "match");

  size_t index = 0;
  Evidence t = Tampered(e, 25000, &index);
  EXPECT_GE(index, 25000u);
  EXPECT_LE(index, 25001u);  // 25000 is one of the evenly spread violations
  ExpectAgreement(t, Verdict::kRejected);
}

TEST(GeneratedListTest, BothVerifyImaSigAndEvmSigLists) {
  for (std::string tmpl : {"ima-sig", "evm-sig"}) {
    SCOPED_TRACE(tmpl);
    Evidence e = Generate("gen-" + tmpl, {"--entries", "3000", "--violations", "3", "--template", tmpl});
    ExpectAgreement(e, Verdict::kVerified);
    ExpectAgreement(Tampered(e, 1500), Verdict::kRejected);
  }
}

TEST(GeneratedListTest, GeneratorRejectsBadArguments) {
  const std::string dir = MakeTempDir("gen-bad");
  EXPECT_EQ(RunCommand({GENERATE_IMA_LOG_BINARY, "--out", dir}).exit_code, 2);  // --entries missing
  EXPECT_EQ(
      RunCommand({GENERATE_IMA_LOG_BINARY, "--out", dir, "--entries", "5", "--violations", "5"}).exit_code,
      2);
  EXPECT_EQ(
      RunCommand({GENERATE_IMA_LOG_BINARY, "--out", dir, "--entries", "5", "--template", "ima"}).exit_code,
      2);
}

}  // namespace
}  // namespace imawatch::testing
