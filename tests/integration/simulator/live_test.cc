// Live verification against swtpm while the simulator appends: every entry proved exactly
// once, tampering caught by the next poll, a reboot a new epoch without a false mismatch, and
// a TPM that vanishes reported without anything proved meanwhile.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "monitor/ima/entry_writer.h"
#include "monitor/ima/live_prover.h"
#include "monitor/simulate/node.h"
#include "monitor/simulate/node_files.h"
#include "monitor/simulate/scenario.h"
#include "monitor/tpm/live_pcr_reader.h"
#include "monitor/tpm/tpm.h"
#include "tests/testing/paths.h"
#include "tests/testing/swtpm.h"

namespace imawatch::simulate {
namespace {

// Unix sockets: tcti-swtpm connects once per command, and this suite sends tens of thousands.
testing::SwTpm& Swtpm() {
  static testing::SwTpm swtpm(testing::SwTpmTransport::kUnixSocket);
  return swtpm;
}

// Everything the polls reported, checked as it arrives.
struct Ledger {
  uint64_t epoch = 1;
  uint64_t next = 0;  // the next entry a proof must start at
  uint64_t proved_entries = 0;
  uint64_t read = 0;  // entries handed out by the tailing reader, over all polls
  uint64_t polls = 0, polls_with_pending = 0, mismatches = 0, epochs = 0, unavailable = 0;

  void Record(const ima::PollResult& r) {
    ++polls;
    read += r.read_now;
    if (r.new_epoch) {
      ++epochs;
      EXPECT_EQ(r.epoch, epoch + 1);
      epoch = r.epoch;
      next = 0;
    }
    if (r.newly_proved) {
      // Contiguous from the last proof: no entry proved twice, none skipped.
      EXPECT_EQ(r.newly_proved->first, next);
      EXPECT_GE(r.newly_proved->second, r.newly_proved->first);
      proved_entries += r.newly_proved->second - r.newly_proved->first + 1;
      next = r.newly_proved->second + 1;
      EXPECT_EQ(r.proved, next);
    }
    if (r.pending > 0) ++polls_with_pending;
    if (r.mismatch) ++mismatches;
    if (r.tpm_unavailable) ++unavailable;
  }
};

class LiveTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { setenv("TSS2_LOG", "all+none", 0); }  // before any thread opens a TPM
  void SetUp() override {
    if (!Swtpm().running()) Swtpm().Restart();
    dir_ = testing::MakeTempDir("live");
    control_ = ControlFor(Swtpm().Tcti(), std::nullopt).value();
    auto tpm = tpm::Tpm::Open(Swtpm().Tcti());
    ASSERT_TRUE(tpm.ok()) << tpm.error().ToString();
    auto node = SimulatedNode::Init(Env::Default(), dir_, **tpm, control_, {});
    ASSERT_TRUE(node.ok()) << node.error().ToString();
    tpm->reset();
    auto tail = ima::LogTail::Open(Env::Default(), ima::LogTail::ListPath(dir_));
    ASSERT_TRUE(tail.ok()) << tail.error().ToString();
    reader_ = std::make_shared<tpm::LivePcrReader>(Swtpm().Tcti());
    prover_ = std::make_unique<ima::LiveProver>(
        std::move(*tail), [r = reader_](std::span<const uint32_t> idx) { return r->Read(idx); });
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ScenarioReport Run(ScenarioOptions o) {
    o.tcti = Swtpm().Tcti();
    o.control = control_;
    auto report = RunScenario(Env::Default(), dir_, o);
    EXPECT_TRUE(report.ok()) << report.error().ToString();
    return report.ok() ? *report : ScenarioReport{};
  }
  ima::PollResult Poll() {
    auto r = prover_->Poll();
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    if (!r.ok()) return {};
    ledger_.Record(*r);
    return *r;
  }

  std::string dir_;
  SwtpmControl control_;
  std::shared_ptr<tpm::LivePcrReader> reader_;
  std::unique_ptr<ima::LiveProver> prover_;
  Ledger ledger_;
};

TEST_F(LiveTest, TenThousandEntriesInBurstsAreEachProvedOnceThenTamperingAndRebootAreSeen) {
  constexpr uint64_t kEntries = 10000;
  std::atomic<bool> done = false;
  std::thread simulator([&] {
    Run({.scenario = "normal", .entries = kEntries, .burst = 250, .interval = std::chrono::milliseconds(5)});
    done = true;
  });
  // Poll while the simulator appends, then until everything it wrote is proved.
  ima::PollResult r;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (std::chrono::steady_clock::now() < deadline) {
    bool finished = done;
    r = Poll();
    EXPECT_FALSE(r.mismatch) << r.mismatch_reason;
    EXPECT_FALSE(r.tpm_unavailable) << r.tpm_error;
    if (r.mismatch || r.tpm_unavailable || (finished && r.proved == kEntries + 1)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  simulator.join();
  ASSERT_EQ(r.proved, kEntries + 1);  // boot_aggregate and every measurement
  EXPECT_EQ(r.entries, kEntries + 1);
  EXPECT_EQ(r.pending, 0u);
  EXPECT_EQ(ledger_.proved_entries, kEntries + 1);
  EXPECT_EQ(ledger_.read, kEntries + 1);  // each entry read once, however many polls
  EXPECT_EQ(ledger_.epochs, 0u);
  EXPECT_GT(ledger_.polls, 5u) << "the list was not proved while it grew";
  ASSERT_TRUE(r.boot_aggregate_check);
  EXPECT_EQ(r.boot_aggregate_check->status, ima::BootAggregateCheck::Status::kMatch);
  EXPECT_EQ(r.banks.size(), 4u);
  std::cout << "polls " << ledger_.polls << ", with entries pending " << ledger_.polls_with_pending << "\n";

  // An entry appended without an extend: the next poll says mismatch, and nothing is proved
  // in this epoch from then on.
  Run({.scenario = "tamper-append"});
  r = Poll();
  EXPECT_TRUE(r.mismatch);
  EXPECT_EQ(r.untrusted_from, kEntries + 1);
  EXPECT_NE(r.mismatch_reason.find("without extending"), std::string::npos) << r.mismatch_reason;
  Run({.scenario = "normal", .entries = 20});
  for (int i = 0; i < 3; ++i) {
    r = Poll();
    EXPECT_TRUE(r.untrusted);
    EXPECT_FALSE(r.newly_proved);
  }
  EXPECT_EQ(r.entries, kEntries + 22);

  // A reboot: a new epoch, proved from its boot_aggregate, no mismatch.
  Run({.scenario = "reboot", .entries = 30});
  r = Poll();
  EXPECT_TRUE(r.new_epoch);
  EXPECT_EQ(r.epoch, 2u);
  EXPECT_FALSE(r.mismatch) << r.mismatch_reason;
  EXPECT_FALSE(r.untrusted);
  EXPECT_EQ(r.proved, 31u);
  EXPECT_EQ(ledger_.proved_entries, kEntries + 1 + 31);
}

// The kernel's entry in flight: appended, its extend not yet done when the PCRs are read.
TEST_F(LiveTest, AnExtendThatLagsTheAppendIsWaitedForNotAMismatch) {
  Run({.scenario = "normal", .entries = 5});
  ASSERT_EQ(Poll().proved, 6u);
  auto node = SimulatedNode::Load(Env::Default(), dir_);
  ASSERT_TRUE(node.ok());
  ima::MeasurementRecord record = NodeFiles::Synthetic().Normal(5, ima::HashAlgo::kSha256).value();
  auto entry = ima::EncodeEntry((*node)->settings().template_kind, record);
  ASSERT_TRUE(entry.ok());
  ASSERT_TRUE((*node)->AppendWithoutExtend(record).ok());
  std::thread kernel([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto tpm = tpm::Tpm::Open(Swtpm().Tcti());
    ASSERT_TRUE(tpm.ok());
    auto banks = (*tpm)->ActiveBanks();
    ASSERT_TRUE(banks.ok());
    std::vector<ima::Digest> digests;
    for (ima::HashAlgo b : *banks) digests.push_back(ima::ExtendDigest(*entry, b));
    EXPECT_TRUE((*tpm)->ExtendPcr(10, digests).ok());
  });
  const auto start = std::chrono::steady_clock::now();
  ima::PollResult r = Poll();
  kernel.join();
  EXPECT_FALSE(r.mismatch) << r.mismatch_reason;
  EXPECT_EQ(r.proved, 7u);
  ASSERT_TRUE(r.newly_proved);
  EXPECT_EQ(r.newly_proved->first, 6u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
}

TEST_F(LiveTest, AnEditedEntryIsAMismatchAtTheNextPoll) {
  Run({.scenario = "normal", .entries = 60});
  ima::PollResult r = Poll();
  ASSERT_EQ(r.proved, 61u);
  Run({.scenario = "tamper-edit", .edit_index = 17});
  r = Poll();
  EXPECT_TRUE(r.mismatch);
  EXPECT_FALSE(r.newly_proved);
  EXPECT_FALSE(r.new_epoch);  // not a reboot: the TPM does not prove the rewritten list
  Run({.scenario = "normal", .entries = 5});
  r = Poll();
  EXPECT_TRUE(r.untrusted);
  EXPECT_FALSE(r.newly_proved);
  // Putting the byte back does not make the epoch trusted again.
  Run({.scenario = "tamper-edit", .edit_index = 17});
  r = Poll();
  EXPECT_TRUE(r.untrusted);
  EXPECT_FALSE(r.new_epoch);
  EXPECT_FALSE(r.newly_proved);
  EXPECT_EQ(r.entries, 66u);
  // The next boot is trusted again.
  Run({.scenario = "reboot", .entries = 4});
  r = Poll();
  EXPECT_TRUE(r.new_epoch);
  EXPECT_FALSE(r.mismatch) << r.mismatch_reason;
  EXPECT_EQ(r.proved, 5u);
}

TEST_F(LiveTest, AnEditOfAnEntryNotYetReadIsAMismatchToo) {
  Run({.scenario = "normal", .entries = 10});
  ASSERT_EQ(Poll().proved, 11u);
  Run({.scenario = "normal", .entries = 10});
  Run({.scenario = "tamper-edit"});  // the last entry, before the prover read it
  ima::PollResult r = Poll();
  EXPECT_TRUE(r.mismatch);
  EXPECT_EQ(r.proved, 11u);
  EXPECT_NE(r.mismatch_reason.find("PCR 10"), std::string::npos) << r.mismatch_reason;
}

TEST_F(LiveTest, ATpmThatVanishesIsReportedAndNothingIsProvedUntilItIsBack) {
  Run({.scenario = "normal", .entries = 25});
  ima::PollResult r = Poll();
  ASSERT_EQ(r.proved, 26u);
  Run({.scenario = "normal", .entries = 9});  // appended and extended, not yet proved
  Swtpm().Kill();
  for (int i = 0; i < 3; ++i) {
    r = Poll();
    EXPECT_TRUE(r.tpm_unavailable);
    EXPECT_FALSE(r.tpm_error.empty());
    EXPECT_FALSE(r.newly_proved);
    EXPECT_FALSE(r.mismatch);
    EXPECT_EQ(r.proved, 26u);
  }
  // swtpm comes back without its PCRs (a TPM reset under a running list): reported as a
  // mismatch, never as verified.
  Swtpm().Restart();
  r = Poll();
  EXPECT_FALSE(r.tpm_unavailable) << r.tpm_error;
  EXPECT_TRUE(r.mismatch);
  EXPECT_FALSE(r.newly_proved);
  // A reboot brings the node back to a provable list.
  Run({.scenario = "reboot", .entries = 12});
  r = Poll();
  EXPECT_TRUE(r.new_epoch);
  EXPECT_FALSE(r.mismatch) << r.mismatch_reason;
  EXPECT_EQ(r.proved, 13u);
  EXPECT_EQ(ledger_.unavailable, 3u);
}

TEST_F(LiveTest, ATpmUnavailableAtStartIsRetried) {
  Swtpm().Kill();
  ima::PollResult r = Poll();
  EXPECT_TRUE(r.tpm_unavailable);
  EXPECT_EQ(r.proved, 0u);
  Swtpm().Restart();  // PCRs gone: the list on disk is from before
  Run({.scenario = "reboot", .entries = 3});
  r = Poll();
  EXPECT_FALSE(r.tpm_unavailable) << r.tpm_error;
  EXPECT_FALSE(r.mismatch) << r.mismatch_reason;
  EXPECT_EQ(r.proved, 4u);
}

}  // namespace
}  // namespace imawatch::simulate
