// The file-integrity/drift subset of CIS Ubuntu 20.04 v2.0.1 through the real evaluator:
// modprobe.d and MODULE_CHECK, sysctl.d order, sshd_config (Include, first value, Match),
// cron and passwd permissions, audit rules, grub.cfg, and IMA as AIDE's compensating control.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "monitor/compliance/benchmark_loader.h"
#include "monitor/compliance/evaluator.h"
#include "tests/testing/paths.h"
#include "tests/unit/compliance/test_node.h"

namespace imawatch::compliance {
namespace {

using testing::TestNode;

const Benchmark& Ubuntu() {
  static const Benchmark b = [] {
    auto loaded = LoadBenchmark(Env::Default(),
                                imawatch::testing::SourceDir() + "/benchmarks/cis-ubuntu-20.04-v2.0.1.yaml");
    if (!loaded) throw std::runtime_error(loaded.error().ToString());
    return *loaded;
  }();
  return b;
}

// Allow lists as the appraisal side would hold them: digests of a golden copy of the tree.
class GoldenDigests : public DigestLookup {
 public:
  explicit GoldenDigests(const Evidence& golden) {
    golden.ForEachFile([&](const MeasuredFile& m) { allowed_.insert(m.file_digest.hex()); });
  }
  DigestVerdict Lookup(std::string_view, const ima::Digest& digest) const override {
    if (allowed_.count(digest.hex())) return {DigestStatus::kAllowed, "golden image"};
    return {DigestStatus::kNotListed, ""};
  }

 private:
  std::set<std::string> allowed_;
};

class UbuntuEvaluation : public ::testing::Test {
 protected:
  Report Run(const Evidence& evidence, const DigestLookup* lookup = nullptr) {
    return Evaluator(Env::Default(), node_.root(), lookup).Evaluate(Ubuntu(), evidence);
  }
  static RecommendationResult Find(const Report& report, const std::string& id) {
    for (const auto& r : report.results) {
      if (r.id == id) return r;
    }
    throw std::runtime_error(id);
  }
  static std::string Explain(const RecommendationResult& r) {
    std::string out = r.id + " " + std::string(VerdictName(r.verdict)) + ": " + r.reason;
    for (const auto& c : r.checks) {
      out += "\n  [" + std::string(VerdictName(c.verdict)) + "] " + c.expected + " | " + c.found + " | " +
             c.message;
    }
    return out;
  }
  void ExpectVerdict(const Report& report, const std::string& id, Verdict v) {
    const RecommendationResult& r = Find(report, id);
    EXPECT_EQ(r.verdict, v) << Explain(r);
  }

  TestNode node_;
};

TEST_F(UbuntuEvaluation, EveryRecommendationGetsAResultWithAReason) {
  Report report = Run(node_.Measure());
  ASSERT_EQ(report.results.size(), 285u);
  int manual_with_source = 0;
  for (const auto& r : report.results) {
    if (r.verdict != Verdict::kPass) {
      EXPECT_FALSE(r.reason.empty()) << r.id;
    }
    if (r.verdict == Verdict::kManual && r.reason.starts_with("needs ")) ++manual_with_source;
  }
  EXPECT_GT(manual_with_source, 100);
  EXPECT_EQ(Find(report, "2.2.1").reason.rfind("needs package-database: ", 0), 0u);
  // Sections roll up: "1" counts 1.1 to 1.8.
  int one = 0;
  for (const auto& r : report.results) one += r.section.starts_with("1") ? 1 : 0;
  EXPECT_EQ(report.sections.front().id, "1");
  EXPECT_EQ(report.sections.front().counts.total(), one);
  EXPECT_EQ(report.overall.total(), 285);
}

TEST_F(UbuntuEvaluation, ModulesDisabledInModprobeAndNeverLoaded) {
  Evidence evidence = node_.Measure();
  Report report = Run(evidence);
  for (const char* id : {"1.1.1.1", "1.1.1.7", "1.1.10", "3.1.4", "3.1.7"})
    ExpectVerdict(report, id, Verdict::kPass);

  // A MODULE_CHECK entry for cramfs: it was loaded this boot despite modprobe.d.
  Evidence loaded = evidence;
  MeasuredFile module = testing::MeasuredContent(
      "/usr/lib/modules/5.15.0-91-generic/kernel/fs/cramfs/cramfs.ko", "module bytes", 5000);
  loaded.AddModule(module);
  const RecommendationResult& r = Find(Run(loaded), "1.1.1.1");
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_EQ(r.reason, "cramfs was loaded this boot");
  EXPECT_EQ(r.checks[2].evidence.at(0).entry_index, 5000u);

  // Without MODULE_CHECK in the policy the absence of an entry proves nothing.
  Evidence blind = evidence;
  blind.set_measures_module_loads(false);
  const RecommendationResult& unknown = Find(Run(blind), "1.1.1.2");
  EXPECT_EQ(unknown.verdict, Verdict::kError);
  EXPECT_NE(unknown.reason.find("does not measure module loads"), std::string::npos);

  // modprobe.d no longer disables udf.
  node_.Replace("/etc/modprobe.d/cis.conf", "install udf /bin/false\n", "");
  const RecommendationResult& udf = Find(Run(node_.Measure()), "1.1.1.7");
  EXPECT_EQ(udf.verdict, Verdict::kFail) << Explain(udf);
  EXPECT_EQ(udf.checks[0].found, "not set");
}

TEST_F(UbuntuEvaluation, SysctlFilesInSystemdOrder) {
  // /usr/lib/sysctl.d/50-default.conf sets weaker values; /etc/sysctl.d/60-cis.conf is read later.
  Report report = Run(node_.Measure());
  for (const char* id : {"1.5.2", "1.5.3", "3.2.1", "3.2.2", "3.3.1", "3.3.2", "3.3.3", "3.3.4", "3.3.5",
                         "3.3.6", "3.3.7", "3.3.8", "3.3.9"}) {
    ExpectVerdict(report, id, Verdict::kPass);
  }
  EXPECT_EQ(Find(report, "1.5.3").checks[0].found, "1 (/etc/sysctl.d/60-cis.conf:3)");
  EXPECT_EQ(Find(report, "3.3.7").checks[0].found, "1 (/etc/sysctl.d/60-cis.conf:23)");  // written with '/'

  // A later file turns forwarding back on.
  node_.Write("/etc/sysctl.d/99-router.conf", "net.ipv4.ip_forward = 1\n");
  const RecommendationResult& fwd = Find(Run(node_.Measure()), "3.2.2");
  EXPECT_EQ(fwd.verdict, Verdict::kFail);
  EXPECT_EQ(fwd.checks[0].found, "1 (/etc/sysctl.d/99-router.conf:1)");

  // /etc/sysctl.d/60-cis.conf masks a vendor file of the same name entirely.
  node_.Remove("/etc/sysctl.d/99-router.conf");
  node_.Write("/usr/lib/sysctl.d/60-cis.conf", "kernel.randomize_va_space = 0\n");
  ExpectVerdict(Run(node_.Measure()), "1.5.2", Verdict::kPass);

  // A file added after boot and never read is not in force: noted, not judged.
  Evidence before = node_.Measure();
  node_.Write("/etc/sysctl.d/70-late.conf", "net.ipv4.tcp_syncookies = 0\n");
  const RecommendationResult& late = Find(Run(before), "3.3.8");
  EXPECT_EQ(late.verdict, Verdict::kPass);
  ASSERT_FALSE(late.checks[0].notes.empty());
  EXPECT_NE(late.checks[0].notes[0].find("/etc/sysctl.d/70-late.conf is on disk but was not measured"),
            std::string::npos);
}

TEST_F(UbuntuEvaluation, SshdConfigIncludeFirstValueAndMatchBlocks) {
  Report report = Run(node_.Measure());
  for (int i = 4; i <= 22; ++i) ExpectVerdict(report, "4.2." + std::to_string(i), Verdict::kPass);
  EXPECT_EQ(Find(report, "4.2.20").checks[0].found, "60 (/etc/ssh/sshd_config:9)");

  // The Include comes first in sshd_config, so a drop-in's value wins over the main file's.
  node_.Write("/etc/ssh/sshd_config.d/50-site.conf", "PermitRootLogin yes\n");
  const RecommendationResult& root = Find(Run(node_.Measure()), "4.2.7");
  EXPECT_EQ(root.verdict, Verdict::kFail);
  EXPECT_EQ(root.checks[0].found, "yes (/etc/ssh/sshd_config.d/50-site.conf:1)");

  // A Match block that weakens a setting fails it for those connections.
  node_.Write("/etc/ssh/sshd_config.d/50-site.conf", "PasswordAuthentication no\n");
  node_.Replace("/etc/ssh/sshd_config", "    X11Forwarding no\n", "    X11Forwarding yes\n");
  const RecommendationResult& x11 = Find(Run(node_.Measure()), "4.2.12");
  EXPECT_EQ(x11.verdict, Verdict::kFail);
  EXPECT_EQ(x11.reason, "in Match User backup: yes is not no");

  // Unset settings take OpenSSH's compiled default: MaxAuthTries 6 is too many.
  node_.Replace("/etc/ssh/sshd_config", "MaxAuthTries 4\n", "");
  const RecommendationResult& tries = Find(Run(node_.Measure()), "4.2.18");
  EXPECT_EQ(tries.verdict, Verdict::kFail);
  EXPECT_EQ(tries.checks[0].found, "not set; default 6");
  // Ciphers "-" removes from the default list.
  node_.Replace(
      "/etc/ssh/sshd_config",
      "Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr",
      "Ciphers -aes1*-ctr");
  ExpectVerdict(Run(node_.Measure()), "4.2.13", Verdict::kPass);
  node_.Replace("/etc/ssh/sshd_config", "Ciphers -aes1*-ctr", "Ciphers +aes256-cbc");
  ExpectVerdict(Run(node_.Measure()), "4.2.13", Verdict::kFail);

  // A drop-in on disk that sshd has not read is reported, not judged.
  Evidence before = node_.Measure();
  node_.Write("/etc/ssh/sshd_config.d/90-new.conf", "PermitRootLogin yes\n");
  const RecommendationResult& pending = Find(Run(before), "4.2.7");
  EXPECT_EQ(pending.verdict, Verdict::kPass);
  EXPECT_NE(
      pending.checks[0].notes.at(0).find("90-new.conf (Include /etc/ssh/sshd_config.d/*.conf) is on disk"),
      std::string::npos);
}

TEST_F(UbuntuEvaluation, FilePermissionsFromEvmSig) {
  node_.SetOwner("/etc/crontab", {0, 0, 0600});
  node_.SetOwner("/etc/passwd", {0, 0, 0644});
  node_.SetOwner("/etc/group", {0, 0, 0644});
  node_.SetOwner("/etc/shadow", {0, 42, 0640});  // group shadow, resolved from the node's /etc/group
  node_.SetOwner("/etc/ssh/sshd_config", {0, 0, 0600});
  Report report = Run(node_.Measure());
  for (const char* id : {"4.1.2", "6.1.1", "6.1.3", "6.1.5", "4.2.1"})
    ExpectVerdict(report, id, Verdict::kPass);
  EXPECT_EQ(Find(report, "6.1.5").checks[0].found, "/etc/shadow: mode 0640 owner root group shadow");
  ExpectVerdict(report, "6.1.2", Verdict::kError);           // /etc/passwd- was never measured
  ExpectVerdict(report, "6.1.10", Verdict::kNotApplicable);  // no opasswd on this node
  ExpectVerdict(report, "4.1.3", Verdict::kManual);          // directories are never measured

  node_.SetOwner("/etc/crontab", {0, 0, 0644});
  node_.SetOwner("/etc/shadow", {0, 1000, 0640});
  Report bad = Run(node_.Measure());
  EXPECT_EQ(Find(bad, "4.1.2").reason, "/etc/crontab: mode 0644");
  EXPECT_EQ(Find(bad, "6.1.5").reason, "/etc/shadow: group gid 1000");
  // Content-only evidence cannot decide them.
  ExpectVerdict(Run(node_.Measure("ima-ng")), "6.1.5", Verdict::kManual);
}

TEST_F(UbuntuEvaluation, AuditRulesAndAuditdConf) {
  Report report = Run(node_.Measure());
  for (const char* id : {"5.2.3.1", "5.2.3.4", "5.2.3.20", "5.2.2.1", "5.2.2.2", "5.2.2.3"}) {
    ExpectVerdict(report, id, Verdict::kPass);
  }
  const RecommendationResult& users = Find(report, "5.2.3.8");  // no identity rules on this node
  EXPECT_EQ(users.verdict, Verdict::kFail);
  EXPECT_EQ(users.checks[0].found, "not set");
  node_.Replace("/etc/audit/auditd.conf", "max_log_file_action = keep_logs", "max_log_file_action = ROTATE");
  node_.Write("/etc/audit/rules.d/99-finalize.rules", "# -e 2\n");
  Report bad = Run(node_.Measure());
  EXPECT_EQ(Find(bad, "5.2.2.2").reason, "ROTATE is not keep_logs");
  ExpectVerdict(bad, "5.2.3.20", Verdict::kFail);  // a commented rule does not count
}

TEST_F(UbuntuEvaluation, BootloaderAndAccountFiles) {
  Report report = Run(node_.Measure());
  for (const char* id : {"1.4.1", "1.6.1.2", "5.2.1.3", "5.2.1.4", "1.4.3", "6.2.1", "6.2.2", "6.2.10",
                         "4.5.3", "4.3.2", "4.3.3", "4.3.4", "4.3.6", "4.3.7", "4.4.4"}) {
    ExpectVerdict(report, id, Verdict::kPass);
  }
  // Shadow content is judged on the node but never reported.
  node_.Replace("/etc/shadow", "root:$6$fixture$", "root:!$6$fixture$");
  const RecommendationResult& single_user = Find(Run(node_.Measure()), "1.4.3");
  EXPECT_EQ(single_user.verdict, Verdict::kFail);
  for (const auto& c : single_user.checks) {
    EXPECT_EQ(c.found.find("fixture"), std::string::npos) << c.found;
    EXPECT_EQ(c.message.find("fixture"), std::string::npos) << c.message;
  }
  node_.Replace("/boot/grub/grub.cfg", " audit=1", "");
  ExpectVerdict(Run(node_.Measure()), "5.2.1.3", Verdict::kFail);
  node_.Write("/etc/sudoers.d/ci", "ci ALL=(ALL) NOPASSWD: ALL\n");
  ExpectVerdict(Run(node_.Measure()), "4.3.4", Verdict::kFail);
}

TEST_F(UbuntuEvaluation, ImaMeetsAideAsCompensatingControl) {
  Evidence golden = node_.Measure();
  GoldenDigests lists(golden);
  const RecommendationResult& aide = Find(Run(golden, &lists), "1.2.1");
  EXPECT_EQ(aide.verdict, Verdict::kPass);
  EXPECT_EQ(aide.reason.rfind("met by IMA as a compensating control: ", 0), 0u) << aide.reason;
  // /usr/sbin/{cron,auditctl} and the three files under /usr/lib
  EXPECT_EQ(aide.checks[0].found, "5 of 5 measured files allowed");

  // A tampered daemon binary is measured with a digest no list knows.
  node_.Write("/usr/sbin/cron", "#!/bin/sh\necho owned\n");
  const RecommendationResult& tampered = Find(Run(node_.Measure(), &lists), "1.2.1");
  EXPECT_EQ(tampered.verdict, Verdict::kFail);
  EXPECT_NE(tampered.reason.find("/usr/sbin/cron sha256:"), std::string::npos);
  EXPECT_NE(tampered.reason.find("is in no allow list"), std::string::npos);
  // Without allow lists, digest checks cannot be decided.
  ExpectVerdict(Run(golden), "1.2.1", Verdict::kError);
  // The audit tools' integrity (5.2.4.11), and that cron ran this boot (4.1.1 is then manual:
  // enablement is systemd state).
  ExpectVerdict(Run(golden, &lists), "5.2.4.11", Verdict::kPass);
  ExpectVerdict(Run(golden, &lists), "4.1.1", Verdict::kManual);
  node_.Unmeasure("/usr/sbin/cron");
  ExpectVerdict(Run(node_.Measure(), &lists), "4.1.1", Verdict::kError);
}

}  // namespace
}  // namespace imawatch::compliance
