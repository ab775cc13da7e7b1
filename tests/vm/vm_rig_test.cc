// The real-kernel rig: one boot of Debian's stock kernel (IMA built in) under QEMU with swtpm as
// a TIS TPM 2.0 (tests/vm/run-rig). In the guest, `imawatch verify` proves the kernel's real
// measurement list against /dev/tpmrm0 in every active bank and `imawatch attest` bundles it for
// the host's nonce; here the host accepts that bundle with `verify-evidence`, and rejects it,
// naming the failed check, when one byte of its list or its quote is altered.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "monitor/base/base64.h"
#include "monitor/base/hex.h"
#include "tests/testing/paths.h"

namespace imawatch {
namespace {

using nlohmann::json;
using testing::CommandResult;
using ::testing::HasSubstr;
using ::testing::Not;

// Entries the guest's file activity alone makes (tests/vm/guest/init reads 40 files as root);
// the boot_aggregate, busybox, imawatch and its libraries come on top.
constexpr uint64_t kMinEntries = 40;

struct Rig {
  std::string out;    // run-rig's OUTDIR
  std::string guest;  // the guest's /out
  std::string nonce;
  CommandResult run;
};

std::string RandomNonce() {
  std::random_device rd;
  std::vector<uint8_t> bytes(20);
  for (auto& b : bytes) b = static_cast<uint8_t>(rd());
  return ToHex(bytes);
}

// Boots the guest once per test binary.
const Rig& TheRig() {
  static const Rig rig = [] {
    Rig r;
    r.out = testing::MakeTempDir("vm-rig");
    r.guest = r.out + "/guest";
    r.nonce = RandomNonce();
    r.run = testing::RunCommand(
        {testing::SourceDir() + "/tests/vm/run-rig", testing::ImawatchBinary(), r.out, r.nonce});
    std::cerr << "run-rig " << r.out << " exit " << r.run.exit_code << "\n" << r.run.err;
    return r;
  }();
  return rig;
}

#ifdef IMAWATCH_SANITIZED
#define REQUIRE_RIG()                                                                                     \
  GTEST_SKIP() << "sanitizer build: the VM rig runs in the RelWithDebInfo build (build/); an ASan/UBSan " \
                  "imawatch in a TCG guest would only be slower, not check anything more"
#else
// Boots (once) and fails the test when the rig could not run; false then.
bool RigRan() {
  const Rig& rig = TheRig();
  EXPECT_EQ(rig.run.exit_code, 0) << "tests/vm/run-rig failed; its log:\n"
                                  << rig.run.err << "\nserial console: " << rig.out << "/console.txt";
  return rig.run.exit_code == 0;
}
#define REQUIRE_RIG() \
  if (!RigRan()) return
#endif

std::string GuestFile(const std::string& name) { return testing::ReadFileOrDie(TheRig().guest + "/" + name); }

int GuestExit(const std::string& step) { return std::atoi(GuestFile(step + ".rc").c_str()); }

json GuestJson(const std::string& name) { return json::parse(GuestFile(name)); }

CommandResult Imawatch(std::vector<std::string> args) {
  args.insert(args.begin(), testing::ImawatchBinary());
  return testing::RunCommand(args);
}

// The banks the guest's TPM quoted: every active one (attest quotes all by default).
std::set<std::string> QuotedBanks() {
  const json bundle = GuestJson("evidence.json");  // outlives the loop: items() refers to it
  std::set<std::string> banks;
  for (const auto& [bank, pcrs] : bundle["pcrs"].items()) banks.insert(bank);
  return banks;
}

std::string WriteBundle(const json& bundle, const std::string& name) {
  std::string path = TheRig().out + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bundle.dump(2);
  return path;
}

CommandResult VerifyEvidence(const std::string& bundle, const std::string& nonce) {
  return Imawatch({"verify-evidence", bundle, "--ak", TheRig().guest + "/ak.pem", "--nonce", nonce});
}

std::vector<uint8_t> Base64Field(const json& j) {
  auto bytes = FromBase64(j.get<std::string>());
  EXPECT_TRUE(bytes.has_value());
  return bytes.value_or(std::vector<uint8_t>{});
}

uint32_t Le32(const std::vector<uint8_t>& b, size_t at) {
  return b.at(at) | b.at(at + 1) << 8 | b.at(at + 2) << 16 | static_cast<uint32_t>(b.at(at + 3)) << 24;
}

// Offset of the first byte of entry `index`'s file digest in a binary list (kernel byte order
// = the host's, x86-64 both): pcr(4) template digest(20) name_len(4) name data_len(4), then
// the d-ng field: len(4) "sha256:\0" digest.
size_t FileDigestOffset(const std::vector<uint8_t>& list, size_t index) {
  size_t at = 0;
  for (size_t i = 0;; ++i) {
    size_t name_len = Le32(list, at + 24);
    size_t data_at = at + 28 + name_len + 4;
    size_t data_len = Le32(list, at + 28 + name_len);
    if (i == index) {
      size_t algo_at = data_at + 4;
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(&list.at(algo_at)), 7), "sha256:");
      return algo_at + 8;
    }
    at = data_at + data_len;
  }
}

TEST(VmRig, GuestVerifyProvesTheRealListInEveryActiveBank) {
  REQUIRE_RIG();
  EXPECT_EQ(GuestExit("verify"), 0) << GuestFile("verify.err") << GuestFile("verify.json");
  json report = GuestJson("verify.json");
  EXPECT_EQ(report["source"], "/sys/kernel/security/ima/binary_runtime_measurements");
  EXPECT_EQ(report["verified"], true) << report.dump(2);
  EXPECT_GT(report["entries"].get<uint64_t>(), kMinEntries);
  EXPECT_GT(report["proved_entries"].get<uint64_t>(), kMinEntries);
  EXPECT_EQ(report["template_digest_mismatches"], 0);
  EXPECT_EQ(report["boot_aggregate"]["status"], "match") << report["boot_aggregate"].dump();
  std::set<std::string> verified;
  for (const auto& bank : report["banks"]) {
    EXPECT_EQ(bank["status"], "verified") << bank.dump();
    EXPECT_GT(bank["proved"].get<uint64_t>(), kMinEntries) << bank.dump();
    verified.insert(bank["bank"].get<std::string>());
    std::cerr << "guest verify: " << bank["bank"].get<std::string>() << " "
              << bank["status"].get<std::string>() << ", " << bank["proved"] << " of " << report["entries"]
              << " entries proved\n";
  }
  // Every bank the TPM has active (the quote covers all of them) was proved, sha1 and sha256 at least.
  EXPECT_EQ(verified, QuotedBanks());
  EXPECT_TRUE(verified.contains("sha1") && verified.contains("sha256"));
}

TEST(VmRig, GuestCreatedAnAkAndAttestedWithTheHostsNonce) {
  REQUIRE_RIG();
  EXPECT_EQ(GuestExit("ak"), 0) << GuestFile("ak.err");
  EXPECT_EQ(GuestExit("attest"), 0) << GuestFile("attest.err");
  EXPECT_THAT(GuestFile("ak.pem"), HasSubstr("-----BEGIN PUBLIC KEY-----"));
  json bundle = GuestJson("evidence.json");
  EXPECT_EQ(bundle["nonce"], TheRig().nonce);
  EXPECT_EQ(bundle["node"]["name"], "rig-guest");
  EXPECT_EQ(bundle["measurement_list"]["source"], "/sys/kernel/security/ima/binary_runtime_measurements");
  EXPECT_GT(bundle["measurement_list"]["entries"].get<uint64_t>(), kMinEntries);
}

TEST(VmRig, HostAcceptsTheGuestsEvidence) {
  REQUIRE_RIG();
  const std::string bundle = TheRig().guest + "/evidence.json";
  CommandResult r = VerifyEvidence(bundle, TheRig().nonce);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("evidence verified"));
  CommandResult j = Imawatch(
      {"verify-evidence", bundle, "--ak", TheRig().guest + "/ak.pem", "--nonce", TheRig().nonce, "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.out << j.err;
  json report = json::parse(j.out);
  EXPECT_EQ(report["verified"], true);
  EXPECT_EQ(report["nonce_checked"], true);
  EXPECT_GT(report["list"]["proved"].get<uint64_t>(), kMinEntries);
  EXPECT_EQ(report["list"]["boot_aggregate"], "match");
  std::set<std::string> banks;
  for (const auto& b : report["list"]["banks"]) {
    EXPECT_EQ(b["status"], "verified") << b.dump();
    banks.insert(b["bank"].get<std::string>());
  }
  EXPECT_EQ(banks, QuotedBanks());
  std::cerr << "host verify-evidence: " << report["list"]["proved"] << " of " << report["list"]["entries"]
            << " entries proved, quote " << report["quote"]["selection"].get<std::string>() << "\n";
}

TEST(VmRig, HostRejectsAnotherNonce) {
  REQUIRE_RIG();
  std::string other = TheRig().nonce;
  other[0] = other[0] == '0' ? '1' : '0';
  CommandResult r = VerifyEvidence(TheRig().guest + "/evidence.json", other);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("FAILED nonce"));
}

TEST(VmRig, OneByteOfTheListAlteredIsRejected) {
  REQUIRE_RIG();
  json bundle = GuestJson("evidence.json");
  std::vector<uint8_t> list = Base64Field(bundle["measurement_list"]["data"]);
  ASSERT_FALSE(list.empty());
  // Entry 1's file digest (entry 0 is the boot_aggregate): the kernel measured another file.
  list.at(FileDigestOffset(list, 1)) ^= 0x01;
  bundle["measurement_list"]["data"] = ToBase64(list);
  CommandResult r = VerifyEvidence(WriteBundle(bundle, "list-byte.json"), TheRig().nonce);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("FAILED list-digest"));
  EXPECT_THAT(r.out, HasSubstr("FAILED template-digest"));

  // The same byte, with the bundle's claims about the list made to fit it: the TPM's word
  // (the replay) still rejects it.
  bundle["measurement_list"]["sha256"] = [&] {
    std::string path = TheRig().out + "/list-byte.bin";
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(list.data()), static_cast<std::streamsize>(list.size()));
    CommandResult sum = testing::RunCommand({"sha256sum", path});
    return sum.out.substr(0, 64);
  }();
  r = VerifyEvidence(WriteBundle(bundle, "list-byte-fitted.json"), TheRig().nonce);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("FAILED list-digest")));
  EXPECT_THAT(r.out, HasSubstr("FAILED template-digest"));
}

TEST(VmRig, OneByteOfTheQuoteAlteredIsRejected) {
  REQUIRE_RIG();
  json bundle = GuestJson("evidence.json");
  std::vector<uint8_t> attest = Base64Field(bundle["quote"]["attest"]);
  ASSERT_GT(attest.size(), 32u);
  // The last byte: the end of pcrDigest, the value the AK signed for the PCRs.
  attest.back() ^= 0x01;
  bundle["quote"]["attest"] = ToBase64(attest);
  CommandResult r = VerifyEvidence(WriteBundle(bundle, "quote-byte.json"), TheRig().nonce);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("FAILED signature"));
  EXPECT_THAT(r.out, HasSubstr("FAILED pcr-digest"));
}

TEST(VmRig, OneByteOfAQuotedPcrAlteredIsRejected) {
  REQUIRE_RIG();
  json bundle = GuestJson("evidence.json");
  std::string& pcr10 = bundle["pcrs"]["sha256"]["10"].get_ref<std::string&>();
  pcr10.replace(0, 2, pcr10.substr(0, 2) == "00" ? "01" : "00");
  CommandResult r = VerifyEvidence(WriteBundle(bundle, "pcr-byte.json"), TheRig().nonce);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("FAILED pcr-digest"));
}

}  // namespace
}  // namespace imawatch
