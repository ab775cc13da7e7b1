// imawatch tpm ... run as a process against swtpm: output formats, files, exit codes.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "monitor/base/hex.h"
#include "monitor/ima/pcr_values.h"
#include "monitor/tpm/event_log.h"
#include "monitor/tpm/quote_file.h"
#include "tests/testing/paths.h"
#include "tests/testing/swtpm.h"

namespace imawatch::tpm {
namespace {

using testing::CommandResult;
using testing::RunCommand;

testing::SwTpm& Swtpm() {
  static testing::SwTpm swtpm;
  return swtpm;
}

CommandResult Imawatch(std::vector<std::string> args) {
  args.insert(args.begin(), testing::ImawatchBinary());
  return RunCommand(args);
}

// imawatch tpm <sub> ... --tcti <swtpm>
CommandResult Tpm(std::vector<std::string> args) {
  args.insert(args.begin(), "tpm");
  args.push_back("--tcti");
  args.push_back(Swtpm().Tcti());
  return Imawatch(args);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

class TpmCliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("tpm-cli"); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

TEST_F(TpmCliTest, BanksListsTheFourActiveBanks) {
  auto r = Tpm({"banks"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "sha1\nsha256\nsha384\nsha512\n");
  auto j = Tpm({"banks", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(nlohmann::json::parse(j.out), nlohmann::json({"sha1", "sha256", "sha384", "sha512"}));
}

TEST_F(TpmCliTest, PcrreadPrintsWhatParsePcrValuesReadsAndAgreesWithTpm2Tools) {
  auto r = Tpm({"pcrread"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 96);
  EXPECT_EQ(r.out.substr(0, 7), "sha1:0:");
  auto ours = ima::ParsePcrValues(r.out, "imawatch tpm pcrread");
  ASSERT_TRUE(ours.ok()) << ours.error().ToString();
  auto theirs =
      RunCommand({"tpm2_pcrread", "-T", Swtpm().Tcti(), "sha1:all+sha256:all+sha384:all+sha512:all"});
  ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
  EXPECT_EQ(*ours, ima::ParsePcrValues(theirs.out, "tpm2_pcrread").value());

  auto some = Tpm({"pcrread", "--banks", "sha256,sha1", "--pcrs", "0-3,10", "--json"});
  ASSERT_EQ(some.exit_code, 0) << some.err;
  auto j = nlohmann::json::parse(some.out);
  EXPECT_EQ(j.size(), 2u);
  EXPECT_EQ(j["sha256"].size(), 5u);
  EXPECT_EQ(j["sha1"]["10"], ours->Get(ima::HashAlgo::kSha1, 10)->hex());
  auto selection = Tpm({"pcrread", "--pcrs", "sha384:23+sha1:0"});
  ASSERT_EQ(selection.exit_code, 0) << selection.err;
  EXPECT_EQ(std::count(selection.out.begin(), selection.out.end(), '\n'), 2);
}

TEST_F(TpmCliTest, QuoteAndVerifyWithAContextFileAk) {
  auto created =
      Tpm({"ak", "create", "--type", "ecc", "--context", Path("ak.ctx"), "--pub-pem", Path("ak.pem")});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string pem = testing::ReadFileOrDie(Path("ak.pem"));
  EXPECT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----", 0), 0u);
  auto shown = Tpm({"ak", "show", "--ak", Path("ak.ctx"), "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(nlohmann::json::parse(shown.out)["pem"], pem);
  EXPECT_EQ(nlohmann::json::parse(shown.out)["type"], "ecc");

  auto quoted = Tpm({"quote", "--ak", Path("ak.ctx"), "--pcrs", "sha256:0-10+sha1:10", "--nonce", "00c0ffee",
                     "--out", Path("quote.json")});
  ASSERT_EQ(quoted.exit_code, 0) << quoted.err;
  auto file = ParseQuoteFile(testing::ReadFileOrDie(Path("quote.json")), "quote.json");
  ASSERT_TRUE(file.ok()) << file.error().ToString();
  EXPECT_EQ(file->selection.ToString(), "sha256:0-10+sha1:10");
  EXPECT_EQ(file->pcrs.size(), 12u);
  EXPECT_EQ(ToHex(file->nonce), "00c0ffee");

  auto ok = Imawatch(
      {"tpm", "verify-quote", Path("quote.json"), "--ak-pem", Path("ak.pem"), "--nonce", "00C0FFEE"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("quote verified"), std::string::npos);
  EXPECT_NE(ok.out.find("reset_count"), std::string::npos);

  auto replay =
      Imawatch({"tpm", "verify-quote", Path("quote.json"), "--ak-pem", Path("ak.pem"), "--nonce", "00"});
  EXPECT_EQ(replay.exit_code, 1);
  EXPECT_NE(replay.out.find("FAILED nonce"), std::string::npos) << replay.out;

  auto as_json = Imawatch(
      {"tpm", "verify-quote", Path("quote.json"), "--ak-pem", Path("ak.pem"), "--nonce", "00", "--json"});
  EXPECT_EQ(as_json.exit_code, 1);
  auto report = nlohmann::json::parse(as_json.out);
  EXPECT_EQ(report["verified"], false);
  EXPECT_EQ(report["failures"][0]["check"], "nonce");
  EXPECT_EQ(report["selection"], "sha256:0-10+sha1:10");
  EXPECT_TRUE(report["clock"]["reset_count"].is_number());

  // Required selection differs from what was quoted.
  auto narrower = Imawatch({"tpm", "verify-quote", Path("quote.json"), "--ak-pem", Path("ak.pem"), "--nonce",
                            "00c0ffee", "--pcrs", "sha256:0-10"});
  EXPECT_EQ(narrower.exit_code, 1);
  EXPECT_NE(narrower.out.find("FAILED selection"), std::string::npos) << narrower.out;
}

TEST_F(TpmCliTest, VerifyQuoteAgainstAPcrFileAndTamperedFiles) {
  ASSERT_EQ(Tpm({"ak", "create", "--type", "rsa", "--context", Path("ak.ctx"), "--pub-pem", Path("ak.pem")})
                .exit_code,
            0);
  ASSERT_EQ(
      Tpm({"quote", "--ak", Path("ak.ctx"), "--pcrs", "0-10", "--nonce", "abcd", "--out", Path("q.json")})
          .exit_code,
      0);
  // The claimed PCRs from a pcrread dump: the same values verify, one changed value does not.
  auto dump = Tpm({"pcrread", "--banks", "sha256", "--pcrs", "0-10"});
  ASSERT_EQ(dump.exit_code, 0);
  WriteFile(Path("pcrs.txt"), dump.out);
  auto good = Imawatch({"tpm", "verify-quote", Path("q.json"), "--ak-pem", Path("ak.pem"), "--nonce", "abcd",
                        "--pcrs-file", Path("pcrs.txt")});
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;
  std::string changed = dump.out;
  changed.replace(changed.find("sha256:10:") + 10, 4, "dead");
  WriteFile(Path("pcrs-changed.txt"), changed);
  auto bad = Imawatch({"tpm", "verify-quote", Path("q.json"), "--ak-pem", Path("ak.pem"), "--nonce", "abcd",
                       "--pcrs-file", Path("pcrs-changed.txt")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("FAILED pcr-digest"), std::string::npos) << bad.out;

  // One byte of the signed attestation flipped in the file.
  auto j = nlohmann::json::parse(testing::ReadFileOrDie(Path("q.json")));
  std::string attest = j["attest"];
  attest[attest.size() - 1] = attest.back() == '0' ? '1' : '0';
  j["attest"] = attest;
  WriteFile(Path("tampered.json"), j.dump());
  auto tampered =
      Imawatch({"tpm", "verify-quote", Path("tampered.json"), "--ak-pem", Path("ak.pem"), "--nonce", "abcd"});
  EXPECT_EQ(tampered.exit_code, 1);
  EXPECT_NE(tampered.out.find("FAILED signature"), std::string::npos) << tampered.out;

  // Input errors: exit 2 with a message.
  WriteFile(Path("broken.json"), "{\"format\": ");
  auto broken =
      Imawatch({"tpm", "verify-quote", Path("broken.json"), "--ak-pem", Path("ak.pem"), "--nonce", "ab"});
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.err.find("broken.json"), std::string::npos) << broken.err;
  auto no_pem =
      Imawatch({"tpm", "verify-quote", Path("q.json"), "--ak-pem", Path("q.json"), "--nonce", "abcd"});
  EXPECT_EQ(no_pem.exit_code, 2);
  auto bad_nonce =
      Imawatch({"tpm", "verify-quote", Path("q.json"), "--ak-pem", Path("ak.pem"), "--nonce", "xyz"});
  EXPECT_EQ(bad_nonce.exit_code, 2);
}

TEST_F(TpmCliTest, PersistentAkNeedsReplaceToOverwrite) {
  const std::string handle = "0x81010003";
  auto first =
      Tpm({"ak", "create", "--type", "ecc", "--persist", handle, "--pub-pem", Path("a.pem"), "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(nlohmann::json::parse(first.out)["persistent_handle"], handle);
  auto again = Tpm({"ak", "create", "--type", "rsa", "--persist", handle, "--pub-pem", Path("b.pem")});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("already in use"), std::string::npos) << again.err;
  ASSERT_EQ(Tpm({"quote", "--ak", handle, "--nonce", "01", "--out", Path("q.json")}).exit_code, 0);
  EXPECT_EQ(
      Imawatch({"tpm", "verify-quote", Path("q.json"), "--ak-pem", Path("a.pem"), "--nonce", "01"}).exit_code,
      0);
  auto replaced =
      Tpm({"ak", "create", "--type", "rsa", "--persist", handle, "--pub-pem", Path("b.pem"), "--replace"});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  // The old quote no longer verifies with the new key.
  EXPECT_EQ(
      Imawatch({"tpm", "verify-quote", Path("q.json"), "--ak-pem", Path("b.pem"), "--nonce", "01"}).exit_code,
      1);
  auto shown = Tpm({"ak", "show", "--ak", handle, "--pub-pem", Path("c.pem")});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(testing::ReadFileOrDie(Path("c.pem")), testing::ReadFileOrDie(Path("b.pem")));
}

TEST_F(TpmCliTest, UsageAndTpmErrorsExitTwo) {
  EXPECT_EQ(Imawatch({"tpm", "--help"}).exit_code, 0);
  EXPECT_EQ(Imawatch({"tpm", "quote", "--help"}).exit_code, 0);
  auto unreachable = Imawatch({"tpm", "pcrread", "--tcti", "swtpm:host=127.0.0.1,port=1"});
  EXPECT_EQ(unreachable.exit_code, 2);
  EXPECT_NE(unreachable.err.find("imawatch tpm pcrread"), std::string::npos);
  EXPECT_EQ(Tpm({"pcrread", "--pcrs", "24"}).exit_code, 2);
  EXPECT_EQ(Tpm({"pcrread", "--banks", "md5"}).exit_code, 2);
  EXPECT_EQ(Tpm({"ak", "create", "--type", "dsa", "--context", Path("x"), "--pub-pem", Path("y")}).exit_code,
            2);
  EXPECT_EQ(Tpm({"ak", "create", "--type", "ecc", "--pub-pem", Path("y")}).exit_code,
            2);  // nowhere to keep it
  EXPECT_EQ(
      Tpm({"ak", "create", "--type", "ecc", "--persist", "0x80000000", "--pub-pem", Path("y")}).exit_code, 2);
  EXPECT_EQ(Tpm({"quote", "--ak", Path("missing.ctx"), "--nonce", "00"}).exit_code, 2);
  EXPECT_EQ(Tpm({"quote", "--ak", "0x81000fff", "--nonce", "00"}).exit_code, 2);  // no key there
  EXPECT_EQ(Tpm({"quote", "--ak", "0x81000fff"}).exit_code, 2);                   // no nonce
}

TEST_F(TpmCliTest, EventlogReplaysTheFirmwareLog) {
  std::string log_path = testing::FixturePath("eventlog/sample-binary_bios_measurements-pcrs-8-9");
  auto r = Imawatch({"tpm", "eventlog", log_path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto pcrs = ima::ParsePcrValues(r.out, "eventlog");
  ASSERT_TRUE(pcrs.ok()) << pcrs.error().ToString();
  EXPECT_EQ(*pcrs, ReplayEventLog(LoadEventLog(Env::Default(), log_path).value()));
  EXPECT_EQ(pcrs->Get(ima::HashAlgo::kSha1, 0)->hex(), "92c1850372e9493929aa9a2e9ea953e21ff1be45");

  auto events = Imawatch({"tpm", "eventlog", log_path, "--events", "--json"});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  auto j = nlohmann::json::parse(events.out);
  EXPECT_EQ(j["format"], "crypto-agile");
  EXPECT_EQ(j["events"][0]["type"], "EV_NO_ACTION");
  EXPECT_EQ(j["pcrs"]["sha256"].size(), 11u);

  std::string cut = testing::ReadFileOrDie(log_path).substr(0, 1000);
  WriteFile(Path("cut.bin"), cut);
  auto truncated = Imawatch({"tpm", "eventlog", Path("cut.bin")});
  EXPECT_EQ(truncated.exit_code, 2);
  EXPECT_NE(truncated.err.find("byte offset"), std::string::npos) << truncated.err;
}

}  // namespace
}  // namespace imawatch::tpm
