#include "monitor/audit/ima_audit_event.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "monitor/audit/audit_log_parser.h"
#include "tests/testing/paths.h"

namespace imawatch::audit {
namespace {

std::vector<ImaAuditEvent> Sample() {
  auto events =
      ParseAuditLog(testing::ReadFileOrDie(testing::FixturePath("audit/sample-audit.log")), "sample");
  EXPECT_TRUE(events.ok());
  return events.ok() ? *events : std::vector<ImaAuditEvent>{};
}

const ImaAuditEvent& BySerial(const std::vector<ImaAuditEvent>& events, uint64_t serial) {
  for (const auto& e : events) {
    if (e.serial == serial) return e;
  }
  ADD_FAILURE() << "no record with serial " << serial;
  static const ImaAuditEvent none;
  return none;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ImaAuditKind, NamesAndTypes) {
  EXPECT_EQ(Name(ImaAuditKind::kIntegrityData), "INTEGRITY_DATA");
  EXPECT_EQ(Name(ImaAuditKind::kEvmXattr), "INTEGRITY_EVM_XATTR");
  EXPECT_EQ(Name(ImaAuditKind::kIntegrityPolicyRule), "INTEGRITY_POLICY_RULE");
  EXPECT_EQ(AuditType(ImaAuditKind::kIntegrityPcr), 1804);
  EXPECT_EQ(KindOfAuditType(1805), ImaAuditKind::kIntegrityRule);
  EXPECT_FALSE(KindOfAuditType(1799).has_value());
  EXPECT_FALSE(KindOfAuditType(1808).has_value());
}

TEST(ImaAuditEvent, FindingsInTheSample) {
  std::set<uint64_t> findings;
  for (const auto& e : Sample()) {
    if (e.is_finding()) findings.insert(e.serial);
  }
  // update_policy invalid-policy, policy_update, three appraise_data failures, appraise_metadata.
  EXPECT_EQ(findings, (std::set<uint64_t>{4129, 4130, 4170, 4171, 4172, 4174}));
}

TEST(ImaAuditEvent, AppraisalFailure) {
  auto events = Sample();
  const ImaAuditEvent& e = BySerial(events, 4171);
  EXPECT_TRUE(e.is_finding());
  EXPECT_EQ(e.FindingKey(), "audit:appraise_data:invalid-hash:/usr/bin/sm-dump");
  EXPECT_TRUE(Contains(e.Explanation(), "/usr/bin/sm-dump failed appraisal: invalid-hash"))
      << e.Explanation();
  EXPECT_TRUE(Contains(e.Explanation(), "does not match the hash in security.ima")) << e.Explanation();
  EXPECT_TRUE(Contains(e.Explanation(), "bash (pid 1496)")) << e.Explanation();
  const ImaAuditEvent& sig = BySerial(events, 4170);
  EXPECT_EQ(sig.FindingKey(), "audit:appraise_data:invalid-signature:/root/keys/modules/foo.ko");
  EXPECT_TRUE(Contains(sig.Explanation(), "failed appraisal: invalid-signature")) << sig.Explanation();
  const ImaAuditEvent& evm = BySerial(events, 4174);
  EXPECT_EQ(evm.FindingKey(), "audit:appraise_metadata:invalid-HMAC:/etc/shadow");
  EXPECT_TRUE(Contains(evm.Explanation(), "security.evm")) << evm.Explanation();
}

TEST(ImaAuditEvent, FindingKeyIgnoresSerialAndTime) {
  auto events = Sample();
  ImaAuditEvent again = BySerial(events, 4171);
  again.serial = 99999;
  again.time_ms += 3600000;
  again.pid = 4242;
  EXPECT_EQ(again.FindingKey(), BySerial(events, 4171).FindingKey());
}

TEST(ImaAuditEvent, PolicyUpdate) {
  auto events = Sample();
  const ImaAuditEvent& done = BySerial(events, 4130);
  EXPECT_TRUE(done.is_finding());
  EXPECT_EQ(done.FindingKey(), "audit:policy_update:completed");
  EXPECT_TRUE(Contains(done.Explanation(), "the IMA policy was updated")) << done.Explanation();
  const ImaAuditEvent& rejected = BySerial(events, 4129);
  EXPECT_TRUE(rejected.is_finding());
  EXPECT_EQ(rejected.FindingKey(), "audit:update_policy:invalid-policy");
  EXPECT_TRUE(Contains(rejected.Explanation(), "rejected an IMA policy rule")) << rejected.Explanation();

  auto genuine = ParseAuditLog(
      testing::ReadFileOrDie(testing::FixturePath("ima/evmsig/kernel-audit-records.txt")), "evmsig");
  ASSERT_TRUE(genuine.ok());
  const ImaAuditEvent& boot = (*genuine)[7];
  EXPECT_EQ(boot.op, "policy_update");
  EXPECT_TRUE(boot.is_finding());
  EXPECT_TRUE(Contains(boot.Explanation(), "written by init (pid 1)")) << boot.Explanation();

  auto unsigned_policy = ParseAuditLog(
      "type=1802 msg=audit(1.000:7): pid=9 uid=0 auid=0 ses=1 op=policy_update "
      "cause=signed policy required comm=\"sh\" res=0 errno=0\n",
      "x");
  ASSERT_TRUE(unsigned_policy.ok());
  EXPECT_TRUE((*unsigned_policy)[0].is_finding());
  EXPECT_EQ((*unsigned_policy)[0].FindingKey(), "audit:policy_update:signed policy required");
  EXPECT_TRUE(Contains((*unsigned_policy)[0].Explanation(), "only a signed policy file"));
}

TEST(ImaAuditEvent, ViolationsAreExplainedNotFindings) {
  auto events = Sample();
  const ImaAuditEvent& writers = BySerial(events, 4180);
  EXPECT_FALSE(writers.is_finding());
  EXPECT_EQ(writers.Explanation(),
            "a measured file was open for write: IMA logged a violation (PCR extended with 0xff..) for "
            "/var/log/audit/audit.log, read by grep (pid 1538)");
  EXPECT_EQ(writers.FindingKey(), "audit:invalid_pcr:open_writers:/var/log/audit/audit.log");
  const ImaAuditEvent& tomtou = BySerial(events, 4181);
  EXPECT_FALSE(tomtou.is_finding());
  EXPECT_TRUE(Contains(tomtou.Explanation(), "time of measure, time of use")) << tomtou.Explanation();
  EXPECT_TRUE(Contains(tomtou.Explanation(), "PCR extended with 0xff")) << tomtou.Explanation();
  EXPECT_TRUE(Contains(tomtou.Explanation(), "/tmp/test.txt")) << tomtou.Explanation();
}

TEST(ImaAuditEvent, OtherRecordsAreNotFindings) {
  auto events = Sample();
  const ImaAuditEvent& collect = BySerial(events, 4173);
  EXPECT_FALSE(collect.is_finding());
  EXPECT_TRUE(Contains(collect.Explanation(), "could not read /proc/1/mem")) << collect.Explanation();
  const ImaAuditEvent& measured = BySerial(events, 4150);
  EXPECT_FALSE(measured.is_finding());
  EXPECT_TRUE(Contains(measured.Explanation(), "/home/alice/.bashrc has hash sha256:6548"))
      << measured.Explanation();
  const ImaAuditEvent& rule = BySerial(events, 4124);
  EXPECT_FALSE(rule.is_finding());
  EXPECT_EQ(rule.Explanation(), "IMA policy rule loaded: action=measure func=BPRM_CHECK mask=MAY_EXEC");
  EXPECT_EQ(BySerial(events, 4128).Explanation(), "IMA policy rule rejected: UNKNOWN=dnt_measure");
}

}  // namespace
}  // namespace imawatch::audit
