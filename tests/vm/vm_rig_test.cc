// The real-kernel rig: one boot of Debian's stock kernel (IMA built in) under QEMU with swtpm as
// a TIS TPM 2.0 (tests/vm/run-rig). In the guest, `imawatch verify` proves the kernel's real
// measurement list against /dev/tpmrm0 in every active bank and `imawatch attest` bundles it for
// the host's nonce; here the host accepts that bundle with `verify-evidence`, and rejects it,
// naming the failed check, when one byte of its list or its quote is altered.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "monitor/base/base64.h"
#include "monitor/base/hex.h"
#include "monitor/store/store.h"
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

// ---- IMA policies: the real kernel's verdicts (tests/vm/guest/init, `imawatch policy try`) ----

std::string GuestRelease() {
  std::string steps = GuestFile("steps.txt");
  size_t at = steps.find(", kernel ");
  if (at == std::string::npos) return "";
  at += 9;
  return steps.substr(at, steps.find('\n', at) - at);
}

// Flags describing the guest's kernel: its build options from the host's /boot/config-<release>
// (the same Debian package), the LSM it runs (securityfs "lsm") and what its system provides.
std::vector<std::string> GuestKernelSettings() {
  const std::string config_path = "/boot/config-" + GuestRelease();
  EXPECT_TRUE(std::ifstream(config_path).good())
      << "cannot read " << config_path << ": the guest's build options";
  std::vector<std::string> out = {"--kernel-config", config_path};
  const std::string lsms = "," + GuestFile("lsm.txt");
  std::string lsm = "none";
  for (const char* name : {"selinux", "apparmor", "smack"}) {
    if (lsms.find(std::string(",") + name) != std::string::npos) lsm = name;
  }
  out.push_back("--kernel-setting");
  out.push_back("lsm=" + lsm);
  // What the running system provides: the crypto API's algorithms, the loaded AppArmor profiles.
  auto joined = [](const std::string& text, bool first_word) {
    std::istringstream lines(text);
    std::string items;
    for (std::string line; std::getline(lines, line);) {
      if (first_word) line = line.substr(0, line.find(' '));
      if (!line.empty()) items += (items.empty() ? "" : "|") + line;
    }
    return items;
  };
  out.push_back("--kernel-setting");
  out.push_back("hash_algos=" + joined(GuestFile("crypto-names.txt"), false));
  out.push_back("--kernel-setting");
  out.push_back("apparmor_profiles=" + joined(GuestFile("apparmor-profiles.txt"), true));
  return out;
}

struct Verdicts {
  size_t rules = 0, agree = 0, kernel_accepted = 0;
  std::vector<std::string> disagreements;
};

// The kernel's verdict on each rule of one file against the linter's for the guest's kernel.
void CompareFile(const std::string& name, const std::vector<std::string>& settings, Verdicts& total) {
  const std::string rules = TheRig().guest + "/try/" + name;
  const json kernel = GuestJson("try/" + name + ".json");
  EXPECT_EQ(kernel["discarded"], true) << name << ": " << kernel["close_error"];
  std::vector<std::string> args = {"policy", "check", rules, "--kernel", "6.1", "--json"};
  args.insert(args.end(), settings.begin(), settings.end());
  CommandResult lint = Imawatch(args);
  ASSERT_NE(lint.exit_code, 2) << lint.err;
  const json report = json::parse(lint.out);
  std::map<uint32_t, std::string> refused;  // line -> the linter's reason
  for (const auto& d : report["diagnostics"]) {
    if (d["severity"] == "error") refused.emplace(d["line"].get<uint32_t>(), d["code"].get<std::string>());
  }
  for (const auto& v : kernel["verdicts"]) {
    const uint32_t line = v["line"].get<uint32_t>();
    const bool kernel_ok = v["accepted"].get<bool>();
    const bool lint_ok = !refused.contains(line);
    ++total.rules;
    total.kernel_accepted += kernel_ok ? 1 : 0;
    if (kernel_ok == lint_ok) {
      ++total.agree;
    } else {
      total.disagreements.push_back(
          name + ":" + std::to_string(line) + " kernel " +
          (kernel_ok ? "accepts" : "rejects (" + v["error"].get<std::string>() + ")") + ", linter " +
          (lint_ok ? "accepts" : "rejects (" + refused[line] + ")") + ": " + v["rule"].get<std::string>());
    }
  }
}

TEST(VmRig, TheKernelAndTheLinterAgreeOnEveryRule) {
  REQUIRE_RIG();
  const std::vector<std::string> settings = GuestKernelSettings();
  Verdicts total;
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(TheRig().guest + "/try")) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".json") || name.ends_with(".err")) continue;
    ++files;
    CompareFile(name, settings, total);
    if (name.ends_with(".policy")) {
      // Every shipped policy claims 6.1 (ima-policies/README.md): the kernel takes all of it.
      const json kernel = GuestJson("try/" + name + ".json");
      EXPECT_EQ(kernel["rejected"], 0) << name << ": " << kernel.dump(2);
      EXPECT_GT(kernel["accepted"].get<size_t>(), 0u) << name;
    }
  }
  std::string settings_text;
  for (size_t i = 1; i < settings.size(); i += 2) settings_text += " " + settings[i].substr(0, 40);
  CommandResult resolved = Imawatch([&] {
    std::vector<std::string> args = {"policy", "check", TheRig().guest + "/try/measure-only.policy",
                                     "--json"};
    args.insert(args.end(), settings.begin(), settings.end());
    return args;
  }());
  std::cerr << "linter settings: " << json::parse(resolved.out)["kernel_settings"].dump() << "\n";
  std::cerr << "kernel " << GuestRelease() << " vs linter 6.1" << settings_text << ": " << files << " files, "
            << total.rules << " rules (" << total.kernel_accepted << " accepted by the kernel), "
            << total.agree << " agree, " << total.disagreements.size() << " disagree\n";
  for (const auto& d : total.disagreements) ADD_FAILURE() << d;
  EXPECT_EQ(files, 7u);          // 5 shipped policies, the valid and the invalid corpus
  EXPECT_GE(total.rules, 330u);  // 127 rules of the shipped policies, 213 of the corpora (340 when written)
}

TEST(VmRig, ARejectedLoadLeavesNothingActiveAndSaysWhatTheKernelSaid) {
  REQUIRE_RIG();
  EXPECT_EQ(GuestExit("load-rejected"), 1) << GuestFile("load-rejected.err");
  json report = GuestJson("load-rejected.json");
  EXPECT_EQ(report["outcome"], "rejected") << report.dump(2);
  EXPECT_EQ(report["writes_accepted"], 7);
  EXPECT_EQ(report["kernel_error"]["line"], 8);
  EXPECT_EQ(report["kernel_error"]["errno"], 22);  // EINVAL
  EXPECT_EQ(report["kernel_error"]["rule"], "appraise func=MODULE_CHECK appraise_type=imasig|modsig");
  // What the kernel logged: the refused rule (an audit record printed to the log) and the failed update.
  std::string log;
  for (const auto& line : report["kernel_log"]) log += line.get<std::string>() + "\n";
  EXPECT_THAT(log, HasSubstr("ima: policy update failed")) << log;
  // Nothing of it became active: a root read measured nothing, and the kernel still offers its
  // policy file (it removes it once a policy is applied).
  std::istringstream entries(GuestFile("entries-around-rejected.txt"));
  uint64_t before = 0, after = 0;
  entries >> before >> after;
  EXPECT_EQ(before, after);
  EXPECT_EQ(before, 1u);  // the boot_aggregate only
  EXPECT_EQ(GuestFile("policy-file-after-rejected.txt"), "present\n");
}

TEST(VmRig, AnAcceptedLoadIsReportedAndRecordedInTheStore) {
  REQUIRE_RIG();
  EXPECT_EQ(GuestExit("load"), 0) << GuestFile("load.err");
  json report = GuestJson("load.json");
  EXPECT_EQ(report["outcome"], "loaded") << report.dump(2);
  EXPECT_EQ(report["rules"], 7);
  EXPECT_EQ(report["writes_accepted"], 7);
  // Debian's 6.1 has neither CONFIG_IMA_READ_POLICY nor CONFIG_IMA_WRITE_POLICY: the kernel
  // shows the policy to nobody and removes the file once it applied it.
  EXPECT_EQ(report["active_policy"]["readable"], false);
  EXPECT_EQ(report["policy_file_removed"], true);
  EXPECT_EQ(GuestFile("policy-file-after-load.txt"), "absent\n");
  std::string log;
  for (const auto& line : report["kernel_log"]) log += line.get<std::string>() + "\n";
  EXPECT_THAT(log, HasSubstr("ima: policy update completed")) << log;

  auto store = store::Store::Open(TheRig().guest + "/store.db");
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  auto loaded = store->LatestPolicyLoad("loaded");
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->digest, report["digest"]);
  EXPECT_EQ((*loaded)->rules, 7);
  EXPECT_EQ((*loaded)->source, "/etc/ima/rig.policy");
  EXPECT_THAT((*loaded)->policy, HasSubstr("measure func=FILE_CHECK mask=^MAY_READ uid=0"));
  auto rejected = store->LatestPolicyLoad("rejected");
  ASSERT_TRUE(rejected.ok() && rejected->has_value());
  EXPECT_THAT((*rejected)->kernel_message, HasSubstr("Invalid argument"));
  EXPECT_THAT((*rejected)->kernel_message, HasSubstr("ima: policy update failed"));
  auto counts = store->CountPolicyLoads();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts, (std::map<std::string, uint64_t>{{"loaded", 1}, {"rejected", 1}}));
}

// The guest's `imawatch audit watch --netlink` (the daemon's audit source) while it tried the
// rules, loaded policies and provoked violations: the kernel multicasts its integrity records
// with no audit daemon running.
TEST(VmRig, TheGuestSawTheKernelsImaAuditRecordsOverNetlink) {
  REQUIRE_RIG();
  EXPECT_THAT(GuestFile("audit.err"), HasSubstr("listening on audit netlink"));
  std::map<std::string, size_t> kinds;
  size_t rules_accepted = 0, rules_rejected = 0;
  bool completed = false, failed = false, open_writers = false, tomtou = false;
  std::istringstream lines(GuestFile("audit.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    json e = json::parse(line);
    const std::string kind = e["kind"];
    ++kinds[kind];
    if (kind == "INTEGRITY_POLICY_RULE") (e["result"] == 1 ? rules_accepted : rules_rejected)++;
    if (kind == "INTEGRITY_STATUS" && e["op"] == "policy_update") {
      completed |= e["cause"] == "completed";
      failed |= e["cause"] == "failed";
    }
    if (kind == "INTEGRITY_PCR" && e["op"] == "invalid_pcr") {
      open_writers |= e["cause"] == "open_writers" && e["path"] == "/data/open-writers";
      tomtou |= e["cause"] == "ToMToU" && e["path"] == "/data/tomtou";
    }
  }
  for (const auto& [kind, n] : kinds) std::cerr << "guest audit netlink: " << n << " " << kind << "\n";
  std::cerr << "guest audit netlink: policy rules " << rules_accepted << " accepted, " << rules_rejected
            << " rejected\n";
  // None lost: one record per rule the kernel parsed: each tried rule and each trial's discard
  // rule, the rejected load's writes up to the refused one, the accepted load's writes.
  size_t written = 0;
  for (const auto& entry : std::filesystem::directory_iterator(TheRig().guest + "/try")) {
    if (entry.path().extension() != ".json") continue;
    written += GuestJson("try/" + entry.path().filename().string())["verdicts"].size() + 1;
  }
  written += GuestJson("load-rejected.json")["writes_accepted"].get<size_t>() + 1;
  written += GuestJson("load.json")["writes_accepted"].get<size_t>();
  EXPECT_EQ(rules_accepted + rules_rejected, written);
  EXPECT_THAT(GuestFile("audit.err"), Not(HasSubstr("lost")));
  EXPECT_GT(rules_accepted, 100u);
  EXPECT_GT(rules_rejected, 100u);
  EXPECT_TRUE(completed) << "no policy_update completed record";
  EXPECT_TRUE(failed) << "no policy_update failed record";
  EXPECT_TRUE(open_writers) << "no invalid_pcr open_writers record for /data/open-writers";
  EXPECT_TRUE(tomtou) << "no invalid_pcr ToMToU record for /data/tomtou";
}

}  // namespace
}  // namespace imawatch
