#include "monitor/policy/coverage.h"

#include <gtest/gtest.h>

#include "monitor/policy/lint.h"
#include "tests/testing/paths.h"
#include "tests/unit/policy/test_support.h"

namespace imawatch::policy {
namespace {

using testing::Kernel;

Policy Parse(std::string_view text, KernelVersion kernel = {6, 12}) {
  PolicyParse parsed = ParsePolicy(text, {kernel, {}});
  EXPECT_TRUE(parsed.errors.empty()) << parsed.errors[0].message;
  return parsed.policy;
}

Policy Shipped(const std::string& name) {
  return Parse(imawatch::testing::ReadFileOrDie(imawatch::testing::SourceDir() + "/ima-policies/" + name));
}

TEST(InferFileFacts, KnowsPseudoFilesystemsAndAssumesTheRootFilesystemElsewhere) {
  EXPECT_EQ(InferFileFacts("/proc/1/status").fs_magic, kProcSuperMagic);
  EXPECT_EQ(InferFileFacts("/sys/kernel/security/ima/policy").fs_magic, kSecurityfsMagic);
  EXPECT_EQ(InferFileFacts("/sys/block").fs_magic, kSysfsMagic);
  EXPECT_EQ(InferFileFacts("/run/secrets/x").fs_name, "tmpfs");
  EXPECT_EQ(InferFileFacts("/proceed/file").fs_magic, kExt4SuperMagic);
  FileFacts etc = InferFileFacts("/etc/kubernetes/kubelet.conf", kXfsSuperMagic, "xfs");
  EXPECT_EQ(etc.fs_magic, kXfsSuperMagic);
  EXPECT_EQ(etc.fs_name, "xfs");
  EXPECT_FALSE(etc.owner_uid);
  EXPECT_FALSE(etc.fs_uuid);
}

TEST(Coverage, FirstMatchingMeasureRuleDecidesTemplateAndPcr) {
  Policy p = Parse(
      "dont_measure fsmagic=0x9fa0\n"
      "measure func=BPRM_CHECK mask=MAY_EXEC template=ima-sig\n"
      "measure func=FILE_CHECK mask=^MAY_READ uid=0 template=evm-sig pcr=11\n"
      "measure func=MODULE_CHECK\n");
  auto read =
      EvaluateMeasurement(p, {6, 12}, InferFileFacts("/etc/kubernetes/kubelet.conf"), Access::RootRead());
  EXPECT_EQ(read.measured, Tristate::kYes);
  EXPECT_EQ(read.template_name, "evm-sig");
  EXPECT_EQ(read.pcr, 11);
  EXPECT_EQ(read.line, 3u);
  auto exec = EvaluateMeasurement(p, {6, 12}, InferFileFacts("/usr/bin/kubelet"), Access::Exec());
  EXPECT_EQ(exec.measured, Tristate::kYes);
  EXPECT_EQ(exec.template_name, "ima-sig");
  EXPECT_EQ(exec.pcr, 10);
  auto module = EvaluateMeasurement(p, {6, 12}, InferFileFacts("/usr/lib/modules/x.ko"),
                                    Access::KernelRead(Func::kModuleCheck));
  EXPECT_EQ(module.measured, Tristate::kYes);
  EXPECT_EQ(module.template_name, "ima-ng") << "default template";
  auto proc = EvaluateMeasurement(p, {6, 12}, InferFileFacts("/proc/cmdline"), Access::RootRead());
  EXPECT_EQ(proc.measured, Tristate::kNo);
  EXPECT_EQ(proc.line, 1u);
  Access user = Access::RootRead();
  user.uid = user.euid = user.suid = 1000;
  user.cap_setuid = false;
  auto user_read = EvaluateMeasurement(p, {6, 12}, InferFileFacts("/etc/passwd"), user);
  EXPECT_EQ(user_read.measured, Tristate::kNo);
  EXPECT_FALSE(user_read.rule_index);
  auto mmap = EvaluateMeasurement(p, {6, 12}, InferFileFacts("/usr/lib/libc.so.6"), Access::MmapExec());
  EXPECT_EQ(mmap.measured, Tristate::kNo);
}

TEST(Coverage, ExactMasksAndEffectiveIds) {
  Policy p = Parse("measure func=FILE_CHECK mask=MAY_READ euid=0\n");
  Access rw = Access::RootRead();
  rw.mask = kMayRead | kMayWrite;
  EXPECT_EQ(EvaluateMeasurement(p, {6, 12}, InferFileFacts("/var/lib/db"), rw).measured, Tristate::kNo);
  Access setuid = Access::RootRead();
  setuid.uid = 1000;
  setuid.suid = 0;
  setuid.euid = 0;
  EXPECT_EQ(EvaluateMeasurement(p, {6, 12}, InferFileFacts("/etc/shadow"), setuid).measured, Tristate::kYes);
  Access dropped = setuid;
  dropped.euid = 1000;
  dropped.cap_setuid = false;
  EXPECT_EQ(EvaluateMeasurement(p, {6, 12}, InferFileFacts("/etc/shadow"), dropped).measured, Tristate::kNo);
}

TEST(Coverage, UnknownFactsLeaveTheAnswerOpen) {
  Policy p = Parse(
      "dont_measure fsuuid=6f2b9a5b-3207-4d8b-847c-0f4ff9d90485\n"
      "measure func=FILE_CHECK fowner=0 template=evm-sig\n"
      "measure func=FILE_CHECK\n");
  FileFacts facts = InferFileFacts("/etc/kubernetes/pki/ca.crt");
  auto v = EvaluateMeasurement(p, {6, 12}, facts, Access::RootRead());
  EXPECT_EQ(v.measured, Tristate::kUnknown);
  ASSERT_EQ(v.undecided.size(), 2u);
  EXPECT_EQ(v.undecided[0].line, 1u);
  EXPECT_EQ(v.undecided[0].conditions,
            (std::vector<std::string>{"fsuuid=6f2b9a5b-3207-4d8b-847c-0f4ff9d90485"}));
  EXPECT_EQ(v.undecided[1].conditions, (std::vector<std::string>{"fowner=0"}));
  EXPECT_EQ(v.line, 3u) << "what happens when the undecided rules do not match";
  facts.fs_uuid = std::array<uint8_t, 16>{};
  facts.owner_uid = 0;
  auto known = EvaluateMeasurement(p, {6, 12}, facts, Access::RootRead());
  EXPECT_EQ(known.measured, Tristate::kYes);
  EXPECT_EQ(known.template_name, "evm-sig");
  // Undecided rules that would decide the same way do not matter.
  Policy same = Parse("dont_measure obj_type=tmp_t\ndont_measure fsmagic=0xef53\n");
  EXPECT_EQ(EvaluateMeasurement(same, {6, 12}, InferFileFacts("/tmp/x"), Access::RootRead()).measured,
            Tristate::kNo);
}

TEST(Coverage, BufferHooksNeedTheirFuncAndUseImaBuf) {
  Policy p = Parse("measure\nmeasure func=KEY_CHECK keyrings=.ima\nmeasure func=CRITICAL_DATA\n");
  Access key;
  key.hook = Func::kKeyCheck;
  key.mask = 0;
  key.data_name = ".builtin_trusted_keys";
  EXPECT_EQ(EvaluateMeasurement(p, {6, 12}, {}, key).measured, Tristate::kNo);
  key.data_name = ".ima";
  auto v = EvaluateMeasurement(p, {6, 12}, {}, key);
  EXPECT_EQ(v.measured, Tristate::kYes);
  EXPECT_EQ(v.template_name, "ima-buf");
  Access data;
  data.hook = Func::kCriticalData;
  data.mask = 0;
  EXPECT_EQ(EvaluateMeasurement(p, {6, 12}, {}, data).line, 3u);
}

TEST(Coverage, ShippedKubernetesPolicyCoversTheCisFiles) {
  Policy full = Shipped("cis-kubernetes-worker.policy");
  Policy content = Shipped("cis-kubernetes-worker-ima-ng.policy");
  for (const char* path :
       {"/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", "/var/lib/kubelet/config.yaml",
        "/etc/kubernetes/kubelet.conf", "/etc/kubernetes/pki/ca.crt", "/var/lib/kubelet/kubeadm-flags.env",
        "/etc/default/kubelet"}) {
    SCOPED_TRACE(path);
    auto v = EvaluateMeasurement(full, {6, 12}, InferFileFacts(path), Access::RootRead());
    EXPECT_EQ(v.measured, Tristate::kYes);
    EXPECT_EQ(v.template_name, "evm-sig");
    auto c = EvaluateMeasurement(content, {5, 4}, InferFileFacts(path), Access::RootRead());
    EXPECT_EQ(c.measured, Tristate::kYes);
    EXPECT_EQ(c.template_name, "ima-ng");
  }
  auto kubelet = EvaluateMeasurement(full, {6, 12}, InferFileFacts("/usr/bin/kubelet"), Access::Exec());
  EXPECT_EQ(kubelet.measured, Tristate::kYes);
  EXPECT_EQ(kubelet.template_name, "ima-sig");
  auto secret = EvaluateMeasurement(full, {6, 12}, InferFileFacts("/run/secrets/token"), Access::RootRead());
  EXPECT_EQ(secret.measured, Tristate::kNo);
  auto shm_exec = EvaluateMeasurement(full, {6, 12}, InferFileFacts("/dev/shm/dropper"), Access::Exec());
  EXPECT_EQ(shm_exec.measured, Tristate::kYes) << "programs run from tmpfs stay measured";
  FileFacts container =
      InferFileFacts("/var/lib/containerd/rootfs/etc/passwd", kOverlayfsSuperMagic, "overlay");
  EXPECT_EQ(EvaluateMeasurement(full, {6, 12}, container, Access::RootRead()).measured, Tristate::kNo);
  EXPECT_EQ(EvaluateMeasurement(full, {6, 12}, container, Access::Exec()).measured, Tristate::kYes);
}

}  // namespace
}  // namespace imawatch::policy
