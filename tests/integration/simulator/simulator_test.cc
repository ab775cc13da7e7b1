// The node simulator against swtpm: its list is the kernel's format byte for byte (checked
// against tests/testing/ima_log_builder, an independent encoder), its TPM holds what that
// kernel's TPM would, and the reader proves it in every active bank.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "monitor/ima/binary_reader.h"
#include "monitor/ima/digest.h"
#include "monitor/ima/fields.h"
#include "monitor/ima/hash.h"
#include "monitor/ima/verify.h"
#include "monitor/simulate/node.h"
#include "monitor/simulate/node_files.h"
#include "monitor/simulate/scenario.h"
#include "monitor/tpm/tpm.h"
#include "tests/testing/ima_log_builder.h"
#include "tests/testing/paths.h"
#include "tests/testing/swtpm.h"

namespace imawatch::simulate {
namespace {

using ima::HashAlgo;

constexpr std::array<HashAlgo, 4> kBanks = {HashAlgo::kSha1, HashAlgo::kSha256, HashAlgo::kSha384,
                                            HashAlgo::kSha512};

testing::SwTpm& Swtpm() {
  static testing::SwTpm swtpm;
  return swtpm;
}

class SimulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("simulator");
    control_ = ControlFor(Swtpm().Tcti(), std::nullopt).value();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Init(NodeSettings settings) {
    auto tpm = tpm::Tpm::Open(Swtpm().Tcti());
    ASSERT_TRUE(tpm.ok()) << tpm.error().ToString();
    auto node = SimulatedNode::Init(Env::Default(), dir_, **tpm, control_, settings);
    ASSERT_TRUE(node.ok()) << node.error().ToString();
  }
  ScenarioReport Run(ScenarioOptions o) {
    o.tcti = Swtpm().Tcti();
    o.control = control_;
    auto report = RunScenario(Env::Default(), dir_, o);
    EXPECT_TRUE(report.ok()) << report.error().ToString();
    return report.ok() ? *report : ScenarioReport{};
  }
  ima::PcrValues ReadTpm() {
    auto tpm = tpm::Tpm::Open(Swtpm().Tcti());
    EXPECT_TRUE(tpm.ok());
    std::vector<uint32_t> all(24);
    for (uint32_t i = 0; i < 24; ++i) all[i] = i;
    auto pcrs = (*tpm)->ReadPcrs(kBanks, all);
    EXPECT_TRUE(pcrs.ok()) << pcrs.error().ToString();
    return *pcrs;
  }
  std::string List() const { return dir_ + "/ima/binary_runtime_measurements"; }
  ima::VerifyReport Verify(const std::string& path, const ima::PcrValues& reading) {
    auto report = ima::VerifyMeasurementList(Env::Default(), path, reading, {});
    EXPECT_TRUE(report.ok()) << report.error().ToString();
    return report.ok() ? *report : ima::VerifyReport{};
  }

  std::string dir_;
  SwtpmControl control_;
};

// Rebuilds the list with the test builder from what the reader sees in each entry (name,
// digest, inode fields), with the TPM's firmware PCRs: the bytes and PCR 10 must agree.
void ExpectBuilderAgrees(const std::string& list_path, testing::ImaTemplate kind, const ima::PcrValues& tpm) {
  testing::ImaLogBuilder builder({.template_kind = kind, .ima_hash = HashAlgo::kSha256});
  builder.SetBootPcrs(tpm);
  auto file = Env::Default().OpenForRead(list_path);
  ASSERT_TRUE(file.ok());
  ima::BinaryLogReader reader(**file, {});
  for (;;) {
    auto batch = reader.Next();
    ASSERT_TRUE(batch.ok()) << batch.error().ToString();
    if (batch->empty()) break;
    for (const ima::EntryView& e : *batch) {
      auto fd = ima::FileDigestOf(e);
      ASSERT_TRUE(fd && fd->algo);
      testing::FileMeasurement m{.path = std::string(ima::FileNameOf(e)), .algo = *fd->algo, .pcr = e.pcr};
      m.digest.assign(fd->digest.begin(), fd->digest.end());
      if (kind == testing::ImaTemplate::kEvmSig && e.index > 0 && !e.is_violation()) {
        m.uid = static_cast<uint32_t>(*ima::DecodeUint(e.field(ima::FieldId::kIuid), false));
        m.gid = static_cast<uint32_t>(*ima::DecodeUint(e.field(ima::FieldId::kIgid), false));
        m.mode = static_cast<uint16_t>(*ima::DecodeUint(e.field(ima::FieldId::kImode), false));
      }
      if (e.index == 0) {
        builder.AddBootAggregate();
      } else if (e.is_violation()) {
        builder.AddViolation(m);
      } else {
        builder.AddMeasurement(m);
      }
    }
  }
  std::string ours = testing::ReadFileOrDie(list_path);
  ASSERT_EQ(ours.size(), builder.bytes().size());
  EXPECT_TRUE(std::equal(builder.bytes().begin(), builder.bytes().end(),
                         reinterpret_cast<const uint8_t*>(ours.data())));
  for (HashAlgo b : kBanks) EXPECT_EQ(*builder.pcrs().Get(b, 10), *tpm.Get(b, 10)) << ima::Name(b);
}

TEST_F(SimulatorTest, EveryTemplateIsTheKernelFormatAndProvesInAllFourBanks) {
  for (auto kind :
       {testing::ImaTemplate::kImaNg, testing::ImaTemplate::kImaSig, testing::ImaTemplate::kEvmSig}) {
    SCOPED_TRACE(std::string(testing::TemplateName(kind)));
    std::filesystem::remove_all(dir_);
    Init({.template_kind = *ima::WritableTemplateFromName(testing::TemplateName(kind))});
    EXPECT_EQ(Run({.scenario = "normal", .entries = 45, .burst = 10}).extended, 45u);
    Run({.scenario = "violation"});
    Run({.scenario = "drift", .path = "/usr/bin/kubelet"});
    Run({.scenario = "unknown-exec", .seed = 7});
    ima::PcrValues tpm = ReadTpm();
    ExpectBuilderAgrees(List(), kind, tpm);

    for (const std::string& path : {List(), dir_ + "/ima/ascii_runtime_measurements"}) {
      ima::VerifyReport r = Verify(path, tpm);
      EXPECT_TRUE(r.verified()) << path;
      EXPECT_EQ(r.entries, 49u);
      EXPECT_EQ(r.proved_entries(), 49u);
      EXPECT_EQ(r.violations, 1u);
      ASSERT_TRUE(r.boot_aggregate);
      EXPECT_EQ(r.boot_aggregate->status, ima::BootAggregateCheck::Status::kMatch);
      ASSERT_EQ(r.banks.size(), 4u);
      for (const auto& b : r.banks) {
        EXPECT_EQ(b.status, ima::BankSummary::Status::kVerified) << ima::Name(b.bank);
        EXPECT_EQ(b.variant, ima::ExtendVariant::kPerBank);
      }
    }
    EXPECT_EQ(testing::ReadFileOrDie(dir_ + "/ima/runtime_measurements_count"), "49\n");
    EXPECT_FALSE(testing::ReadFileOrDie(dir_ + "/ima/policy").empty());
  }
}

TEST_F(SimulatorTest, NormalActivityIsStableKubeletNodeFiles) {
  Init({});
  Run({.scenario = "normal", .entries = 40});
  auto file = Env::Default().OpenForRead(List());
  ima::BinaryLogReader reader(**file, {});
  auto batch = reader.Next();
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 41u);
  std::vector<std::string> names;
  for (size_t i = 1; i < batch->size(); ++i) {
    const auto& e = (*batch)[i];
    auto expected = NodeFiles::Synthetic().Normal(i - 1, HashAlgo::kSha256).value();
    EXPECT_EQ(ima::FileNameOf(e), expected.path);
    EXPECT_TRUE(std::ranges::equal(ima::FileDigestOf(e)->digest, expected.digest));
    names.emplace_back(ima::FileNameOf(e));
  }
  for (const char* path : {"/usr/bin/kubelet", "/usr/bin/containerd", "/etc/kubernetes/kubelet.conf",
                           "/var/lib/kubelet/config.yaml", "/usr/sbin/runc"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), path), names.end()) << path;
  }
}

TEST_F(SimulatorTest, BanksTheKernelCannotHashGetThePaddedSha1Digest) {
  Init({.hashed_banks = {HashAlgo::kSha1, HashAlgo::kSha256}});
  Run({.scenario = "normal", .entries = 12});
  Run({.scenario = "violation"});
  ima::VerifyReport r = Verify(List(), ReadTpm());
  EXPECT_TRUE(r.verified());
  for (const auto& b : r.banks) {
    bool hashed = b.bank == HashAlgo::kSha1 || b.bank == HashAlgo::kSha256;
    EXPECT_EQ(b.variant, hashed ? ima::ExtendVariant::kPerBank : ima::ExtendVariant::kPaddedSha1)
        << ima::Name(b.bank);
  }
}

TEST_F(SimulatorTest, TamperingIsWhatVerificationCatches) {
  Init({});
  Run({.scenario = "normal", .entries = 20});
  ScenarioReport appended = Run({.scenario = "tamper-append"});
  EXPECT_EQ(appended.appended, 1u);
  EXPECT_EQ(appended.extended, 0u);
  ima::VerifyReport r = Verify(List(), ReadTpm());
  EXPECT_EQ(r.entries, 22u);
  EXPECT_EQ(r.proved_entries(), 21u);  // the forged entry is never covered by the TPM

  ScenarioReport edited = Run({.scenario = "tamper-edit", .edit_index = 5});
  EXPECT_EQ(edited.edited, 5u);
  r = Verify(List(), ReadTpm());
  EXPECT_FALSE(r.verified());
  EXPECT_EQ(r.template_digest_mismatches, 1u);
  EXPECT_EQ(r.template_digest_mismatch_examples, std::vector<uint64_t>{5});
}

TEST_F(SimulatorTest, RebootResetsTheTpmAndStartsANewList) {
  Init({});
  Run({.scenario = "normal", .entries = 30});
  ScenarioReport rebooted = Run({.scenario = "reboot", .entries = 7});
  EXPECT_EQ(rebooted.boot, 2u);
  EXPECT_EQ(rebooted.list_entries, 8u);
  ima::VerifyReport r = Verify(List(), ReadTpm());
  EXPECT_TRUE(r.verified());
  EXPECT_EQ(r.entries, 8u);
  EXPECT_EQ(r.proved_entries(), 8u);
  // The normal scenario carries on with new files after the reboot.
  EXPECT_EQ(testing::ReadFileOrDie(dir_ + "/ima/runtime_measurements_count"), "8\n");
}

TEST_F(SimulatorTest, BadInputIsAnErrorValue) {
  auto missing = RunScenario(Env::Default(), dir_ + "/none", {.scenario = "normal", .tcti = Swtpm().Tcti()});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("simulate init"), std::string::npos);
  Init({});
  auto unknown = RunScenario(Env::Default(), dir_, {.scenario = "meltdown", .tcti = Swtpm().Tcti()});
  ASSERT_FALSE(unknown.ok());
  auto bad_edit = RunScenario(Env::Default(), dir_, {.scenario = "tamper-edit", .edit_index = 99});
  ASSERT_FALSE(bad_edit.ok());
  EXPECT_FALSE(ControlFor("device:/dev/tpmrm0", std::nullopt).ok());
  EXPECT_EQ(ControlFor("swtpm:host=127.0.0.1,port=4000", std::nullopt)->port, 4001);
  EXPECT_EQ(ControlFor("swtpm:path=/run/tpm.sock", std::nullopt)->socket, "/run/tpm.sock.ctrl");
}

std::string Sha256Hex(const std::string& bytes) {
  std::vector<uint8_t> d(32);
  ima::Hash(HashAlgo::kSha256, {std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())},
            d.data());
  return ima::Digest(HashAlgo::kSha256, d).hex();
}

TEST(NodeFiles, RootFilesAreMeasuredAsTheyAreOnDiskAndProgramsStaySynthetic) {
  const std::string dir = testing::MakeTempDir("nodefiles");
  std::filesystem::create_directories(dir + "/etc/kubernetes");
  std::filesystem::create_directories(dir + "/var/lib/kubelet");
  testing::WriteFileOrDie(dir + "/etc/kubernetes/kubelet.conf", "apiVersion: v1\n");
  testing::WriteFileOrDie(dir + "/var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\n");
  std::filesystem::permissions(dir + "/etc/kubernetes/kubelet.conf", std::filesystem::perms::owner_read);
  std::filesystem::create_symlink("kubelet.conf", dir + "/etc/kubernetes/admin.conf");

  auto files = NodeFiles::FromRoot(Env::Default(), dir);
  ASSERT_TRUE(files.ok()) << files.error().ToString();
  const NodeFiles synthetic = NodeFiles::Synthetic();
  std::map<std::string, ima::MeasurementRecord> measured;
  for (uint64_t i = 0; i < files->node_file_count(); ++i) {
    auto r = files->Normal(i, HashAlgo::kSha256);
    ASSERT_TRUE(r.ok());
    measured[r->path] = *r;
  }
  // The root's two regular files, hashed; the symbolic link is not a file IMA measures.
  const auto& conf = measured.at("/etc/kubernetes/kubelet.conf");
  EXPECT_EQ(ima::Digest(HashAlgo::kSha256, conf.digest).hex(), Sha256Hex("apiVersion: v1\n"));
  EXPECT_EQ(conf.mode, 0100400);
  EXPECT_EQ(conf.uid, ::getuid());
  EXPECT_EQ(measured.count("/etc/kubernetes/admin.conf"), 0u);
  // The built-in configuration the root lacks is not measured; its programs are, synthetically.
  EXPECT_EQ(measured.count("/etc/containerd/config.toml"), 0u);
  ASSERT_EQ(measured.count("/usr/bin/kubelet"), 1u);
  EXPECT_EQ(measured.at("/usr/bin/kubelet").digest,
            synthetic.Changed("/usr/bin/kubelet", HashAlgo::kSha256, 0)->digest);
  // Image files follow the node's own.
  EXPECT_NE(files->Normal(files->node_file_count(), HashAlgo::kSha256)->path.find("/snapshots/1/fs/"),
            std::string::npos);

  // A change is measured as the file now is; the allow list lists the current content once.
  testing::WriteFileOrDie(dir + "/var/lib/kubelet/config.yaml",
                          "kind: KubeletConfiguration\nreadOnlyPort: 10255\n");
  auto changed = files->Changed("/var/lib/kubelet/config.yaml", HashAlgo::kSha256, 7);
  ASSERT_TRUE(changed.ok());
  const std::string changed_hex = ima::Digest(HashAlgo::kSha256, changed->digest).hex();
  EXPECT_EQ(changed_hex, Sha256Hex("kind: KubeletConfiguration\nreadOnlyPort: 10255\n"));
  auto list = files->AllowList(files->node_file_count(), HashAlgo::kSha256, 2);
  ASSERT_TRUE(list.ok());
  EXPECT_NE(list->find("sha256:" + changed_hex + " /var/lib/kubelet/config.yaml\n"), std::string::npos);
  EXPECT_EQ(list->find("sha256:" + changed_hex), list->rfind("sha256:" + changed_hex));
  // Two versions of each synthetic program.
  EXPECT_NE(list->find(ima::Digest(HashAlgo::kSha256,
                                   synthetic.Changed("/usr/bin/kubelet", HashAlgo::kSha256, 1)->digest)
                           .hex()),
            std::string::npos);

  // A root file that became unreadable is an error, not a guessed digest.
  std::filesystem::remove(dir + "/var/lib/kubelet/config.yaml");
  EXPECT_FALSE(files->Changed("/var/lib/kubelet/config.yaml", HashAlgo::kSha256, 0).ok());
  EXPECT_FALSE(NodeFiles::FromRoot(Env::Default(), dir + "/missing").ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace imawatch::simulate
