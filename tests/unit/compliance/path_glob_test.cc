#include "monitor/compliance/path_glob.h"

#include <gtest/gtest.h>

#include "monitor/compliance/evidence.h"

namespace imawatch::compliance {
namespace {

TEST(PathGlob, StarStaysInOneComponent) {
  EXPECT_TRUE(GlobMatch("/etc/sysctl.d/*.conf", "/etc/sysctl.d/60-cis.conf"));
  EXPECT_FALSE(GlobMatch("/etc/sysctl.d/*.conf", "/etc/sysctl.d/sub/60-cis.conf"));
  EXPECT_FALSE(GlobMatch("/etc/sysctl.d/*.conf", "/etc/sysctl.d/60-cis.conf.bak"));
  EXPECT_TRUE(GlobMatch("/etc/ssh/ssh_host_*_key", "/etc/ssh/ssh_host_ed25519_key"));
  EXPECT_FALSE(GlobMatch("/etc/ssh/ssh_host_*_key", "/etc/ssh/ssh_host_ed25519_key.pub"));
  EXPECT_TRUE(GlobMatch("/etc/sudoers.d/*", "/etc/sudoers.d/ops"));
  EXPECT_TRUE(GlobMatch("/etc/a?c", "/etc/abc"));
  EXPECT_FALSE(GlobMatch("/etc/a?c", "/etc/a/c"));
}

TEST(PathGlob, DoubleStarCrossesComponents) {
  EXPECT_TRUE(GlobMatch("/usr/lib/**", "/usr/lib/x86_64-linux-gnu/libc.so.6"));
  EXPECT_TRUE(GlobMatch("/usr/**/lib*.so", "/usr/x/libfoo/y/libbar.so"));
  EXPECT_FALSE(GlobMatch("/usr/lib/**", "/usr/bin/ls"));
  EXPECT_TRUE(GlobMatch("/usr/**.so", "/usr/lib/a/b.so"));
}

TEST(PathGlob, CanonicalSpellingsForMergedUsr) {
  EXPECT_EQ(CanonicalSpellings("/lib/systemd/system/kubelet.service"),
            (std::vector<std::string>{"/lib/systemd/system/kubelet.service",
                                      "/usr/lib/systemd/system/kubelet.service"}));
  EXPECT_EQ(CanonicalSpellings("/usr/sbin/auditd"),
            (std::vector<std::string>{"/usr/sbin/auditd", "/sbin/auditd"}));
  EXPECT_EQ(CanonicalSpellings("/etc/passwd"), (std::vector<std::string>{"/etc/passwd"}));
}

TEST(Evidence, KeepsLatestProvedMeasurementAndIgnoresViolations) {
  Evidence ev;
  MeasuredFile a{.path = "/etc/x",
                 .file_digest = ima::Digest::Filled(ima::HashAlgo::kSha256, 1),
                 .entry_index = 3,
                 .proved = true};
  MeasuredFile b = a;
  b.entry_index = 7;
  b.file_digest = ima::Digest::Filled(ima::HashAlgo::kSha256, 2);
  MeasuredFile unproved = a;
  unproved.entry_index = 9;
  unproved.proved = false;
  MeasuredFile violation = a;
  violation.entry_index = 8;
  violation.file_digest = ima::Digest::Zero(ima::HashAlgo::kSha256);
  EXPECT_TRUE(ev.AddFile(b));
  EXPECT_FALSE(ev.AddFile(a));  // older
  EXPECT_FALSE(ev.AddFile(unproved));
  EXPECT_FALSE(ev.AddFile(violation));
  ASSERT_NE(ev.Latest("/etc/x"), nullptr);
  EXPECT_EQ(ev.Latest("/etc/x")->entry_index, 7u);
}

TEST(Evidence, FindsMergedUsrSpellingsAndModules) {
  Evidence ev;
  ev.AddFile({.path = "/usr/sbin/auditd",
              .file_digest = ima::Digest::Filled(ima::HashAlgo::kSha256, 1),
              .entry_index = 1,
              .proved = true});
  ASSERT_NE(ev.Latest("/sbin/auditd"), nullptr);
  EXPECT_EQ(ev.Matching("/sbin/audit*").size(), 1u);
  ev.AddModule({.path = "/usr/lib/modules/5.15.0-91-generic/kernel/drivers/usb/storage/usb-storage.ko.zst",
                .file_digest = ima::Digest::Filled(ima::HashAlgo::kSha256, 3),
                .entry_index = 2,
                .proved = true});
  EXPECT_EQ(ev.ModuleEntries("usb_storage").size(), 1u);
  EXPECT_EQ(ev.ModuleEntries("usb-storage").size(), 1u);
  EXPECT_EQ(ModuleNameFromPath("/lib/modules/6.1.0/kernel/fs/cramfs/cramfs.ko"), "cramfs");
}

}  // namespace
}  // namespace imawatch::compliance
