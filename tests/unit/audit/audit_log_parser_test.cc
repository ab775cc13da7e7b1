#include "monitor/audit/audit_log_parser.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/testing/paths.h"

namespace imawatch::audit {
namespace {

std::vector<ImaAuditEvent> ParseFixture(const std::string& rel) {
  std::string text = testing::ReadFileOrDie(testing::FixturePath(rel));
  auto events = ParseAuditLog(text, rel);
  EXPECT_TRUE(events.ok()) << events.error().ToString();
  return events.ok() ? *events : std::vector<ImaAuditEvent>{};
}

std::map<std::string, int> CountByKind(const std::vector<ImaAuditEvent>& events) {
  std::map<std::string, int> counts;
  for (const auto& e : events) ++counts[std::string(Name(e.kind))];
  return counts;
}

const ImaAuditEvent& BySerial(const std::vector<ImaAuditEvent>& events, uint64_t serial, size_t nth = 0) {
  for (const auto& e : events) {
    if (e.serial == serial && nth-- == 0) return e;
  }
  ADD_FAILURE() << "no record with serial " << serial;
  static const ImaAuditEvent none;
  return none;
}

Error ParseError(std::string_view text) {
  auto events = ParseAuditLog(text, "test.log");
  EXPECT_FALSE(events.ok());
  return events.ok() ? Error(ErrorKind::kInternal, "parsed") : events.error();
}

TEST(AuditLogParser, SampleLogCountsPerKind) {
  auto events = ParseFixture("audit/sample-audit.log");
  ASSERT_EQ(events.size(), 25u);
  EXPECT_EQ(CountByKind(events), (std::map<std::string, int>{{"INTEGRITY_POLICY_RULE", 8},
                                                             {"INTEGRITY_STATUS", 2},
                                                             {"INTEGRITY_RULE", 7},
                                                             {"INTEGRITY_DATA", 4},
                                                             {"INTEGRITY_METADATA", 1},
                                                             {"INTEGRITY_PCR", 3}}));
  // In line order, SYSCALL/PATH/… of the same event left out.
  for (size_t i = 1; i < events.size(); ++i) EXPECT_LE(events[i - 1].time_ms, events[i].time_ms);
}

TEST(AuditLogParser, SampleAppraisalRecordFields) {
  auto events = ParseFixture("audit/sample-audit.log");
  const ImaAuditEvent& e = BySerial(events, 4170);
  EXPECT_EQ(e.kind, ImaAuditKind::kIntegrityData);
  EXPECT_EQ(e.time_ms, 1718002920076);
  EXPECT_EQ(e.op, "appraise_data");
  EXPECT_EQ(e.cause, "invalid-signature");
  EXPECT_EQ(e.path, "/root/keys/modules/foo.ko");
  EXPECT_EQ(e.comm, "insmod");
  EXPECT_EQ(e.result, 0);
  EXPECT_EQ(e.pid, 1474);
  EXPECT_EQ(e.uid, 0);
  EXPECT_EQ(e.auid, 1000);
  EXPECT_EQ(e.fields.at("dev"), "dm-0");
  EXPECT_EQ(e.fields.at("ino"), "10918365");
  EXPECT_EQ(e.fields.at("subj"), "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023");
  EXPECT_EQ(e.fields.at("errno"), "0");
  // ENRICHED interpretations after the GS byte are not fields.
  EXPECT_FALSE(e.fields.contains("AUID"));
}

TEST(AuditLogParser, SampleMeasurementRecords) {
  auto events = ParseFixture("audit/sample-audit.log");
  const ImaAuditEvent& bashrc = BySerial(events, 4150);
  EXPECT_EQ(bashrc.kind, ImaAuditKind::kIntegrityRule);
  EXPECT_EQ(bashrc.path, "/home/alice/.bashrc");
  EXPECT_EQ(bashrc.hash, "sha256:654897e5d6ff41bffac650f7f545975757380ae0bf1bb5459c0dc054cb342084");
  EXPECT_EQ(bashrc.comm, "more");
  EXPECT_EQ(bashrc.fields.at("exe"), "/usr/bin/more");
  EXPECT_EQ(bashrc.uid, 1000);  // a number, whatever this machine's passwd says
  EXPECT_FALSE(bashrc.result.has_value());
  EXPECT_EQ(BySerial(events, 4151).hash, "28cf7810e3b4d891dba68f0ccd4f30c5736f2c5c");
  // Two measurement records in one event (exec + ld.so mmap), each its own ImaAuditEvent.
  EXPECT_EQ(BySerial(events, 4152, 0).path, "/usr/bin/cp");
  EXPECT_EQ(BySerial(events, 4152, 1).path, "/usr/lib64/ld-linux-x86-64.so.2");
  // audit_log_untrustedstring() hex-encodes a name with a space.
  EXPECT_EQ(BySerial(events, 4160).path, "/tmp/my scripts/run.sh");
  EXPECT_EQ(BySerial(events, 4160).fields.at("file"), "/tmp/my scripts/run.sh");
}

TEST(AuditLogParser, SamplePolicyRecords) {
  auto events = ParseFixture("audit/sample-audit.log");
  const ImaAuditEvent& rule = BySerial(events, 4127);
  EXPECT_EQ(rule.kind, ImaAuditKind::kIntegrityPolicyRule);
  EXPECT_EQ(rule.fields.at("action"), "measure");  // not auparse's "ACCEPT" interpretation
  EXPECT_EQ(rule.fields.at("func"), "FILE_CHECK");
  EXPECT_EQ(rule.fields.at("mask"), "MAY_READ");
  EXPECT_EQ(rule.uid, 0);
  EXPECT_EQ(rule.result, 1);
  EXPECT_EQ(BySerial(events, 4128).fields.at("UNKNOWN"), "dnt_measure");
  EXPECT_EQ(BySerial(events, 4128).result, 0);
  // Old kernels: policy rules as INTEGRITY_RULE with quoted values.
  EXPECT_EQ(BySerial(events, 4131).kind, ImaAuditKind::kIntegrityRule);
  EXPECT_EQ(BySerial(events, 4131).fields.at("action"), "audit");
  // auditd's spelling for a type it has no name for.
  EXPECT_EQ(BySerial(events, 4182).kind, ImaAuditKind::kIntegrityPolicyRule);
  EXPECT_EQ(BySerial(events, 4182).fields.at("func"), "POLICY_CHECK");
  const ImaAuditEvent& update = BySerial(events, 4130);
  EXPECT_EQ(update.kind, ImaAuditKind::kIntegrityStatus);
  EXPECT_EQ(update.op, "policy_update");
  EXPECT_EQ(update.cause, "completed");
  EXPECT_EQ(update.result, 1);
  EXPECT_EQ(update.auid, 4294967295);
}

TEST(AuditLogParser, SampleViolationsAndNode) {
  auto events = ParseFixture("audit/sample-audit.log");
  EXPECT_EQ(BySerial(events, 4180).cause, "open_writers");
  EXPECT_EQ(BySerial(events, 4181).cause, "ToMToU");
  EXPECT_EQ(BySerial(events, 4181).comm, "ima_violations.");
  const ImaAuditEvent& remote = BySerial(events, 9001);
  EXPECT_EQ(remote.kind, ImaAuditKind::kIntegrityPcr);
  EXPECT_EQ(remote.fields.at("node"), "web01");
  EXPECT_EQ(remote.path, "/var/log/audit/audit.log");
}

struct Genuine {
  const char* folder;
  std::map<std::string, int> counts;
};

TEST(AuditLogParser, GenuineKernelRecords) {
  const std::vector<Genuine> expected = {
      {"ngsha256", {{"INTEGRITY_POLICY_RULE", 7}, {"INTEGRITY_STATUS", 1}, {"INTEGRITY_PCR", 1}}},
      {"imasha1", {{"INTEGRITY_POLICY_RULE", 7}, {"INTEGRITY_STATUS", 1}, {"INTEGRITY_PCR", 1}}},
      {"evmsig", {{"INTEGRITY_POLICY_RULE", 7}, {"INTEGRITY_STATUS", 1}, {"INTEGRITY_PCR", 1}}},
      {"pcr11", {{"INTEGRITY_POLICY_RULE", 6}, {"INTEGRITY_STATUS", 1}, {"INTEGRITY_PCR", 1}}},
      {"race",
       {{"INTEGRITY_POLICY_RULE", 3}, {"INTEGRITY_STATUS", 1}, {"INTEGRITY_PCR", 1}, {"INTEGRITY_DATA", 12}}},
  };
  for (const auto& g : expected) {
    SCOPED_TRACE(g.folder);
    auto events = ParseFixture(std::string("ima/") + g.folder + "/kernel-audit-records.txt");
    EXPECT_EQ(CountByKind(events), g.counts);
  }
}

TEST(AuditLogParser, GenuineKernelRecordFields) {
  auto events = ParseFixture("ima/ngsha256/kernel-audit-records.txt");
  ASSERT_EQ(events.size(), 9u);
  EXPECT_EQ(events[0].serial, 2u);
  EXPECT_EQ(events[0].time_ms, 1795418441962);
  EXPECT_EQ(events[0].fields.at("fsmagic"), "0x9fa0");
  EXPECT_EQ(events[6].fields.at("mask"), "^MAY_READ");
  const ImaAuditEvent& pcr = events[8];
  EXPECT_EQ(pcr.kind, ImaAuditKind::kIntegrityPcr);
  EXPECT_EQ(pcr.serial, 10u);
  EXPECT_EQ(pcr.op, "invalid_pcr");
  EXPECT_EQ(pcr.cause, "open_writers");
  EXPECT_EQ(pcr.path, "/data/a.conf");
  EXPECT_EQ(pcr.comm, "cat");
  EXPECT_EQ(pcr.pid, 102);
  EXPECT_EQ(pcr.fields.at("subj"), "unconfined");
  EXPECT_EQ(pcr.fields.at("dev"), "rootfs");
  EXPECT_EQ(pcr.result, 1);

  auto pcr11 = ParseFixture("ima/pcr11/kernel-audit-records.txt");
  EXPECT_EQ(pcr11[4].fields.at("pcr"), "11");

  auto race = ParseFixture("ima/race/kernel-audit-records.txt");
  const ImaAuditEvent& failed = race.back();
  EXPECT_EQ(failed.serial, 50u);
  EXPECT_EQ(failed.op, "collect_data");
  EXPECT_EQ(failed.cause, "failed");
  EXPECT_EQ(failed.path, "10");
  EXPECT_EQ(failed.fields.at("dev"), "sysfs");
  EXPECT_EQ(failed.result, 0);
}

TEST(AuditLogParser, EmptyAndNonImaInput) {
  EXPECT_TRUE(ParseAuditLog("", "x")->empty());
  EXPECT_TRUE(ParseAuditLog("\n\n  \n", "x")->empty());
  auto events = ParseAuditLog(
      "type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=59\r\n"
      "type=1804 msg=audit(2.500:2): pid=1 op=invalid_pcr cause=ToMToU comm=\"sh\" name=\"/a\" res=1\r\n",
      "crlf");
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].time_ms, 2500);
  EXPECT_EQ((*events)[0].fields.at("res"), "1");
}

TEST(AuditLogParser, CauseWithSpacesAsTheKernelPrintsIt) {
  // ima_fs.c: integrity_audit_msg(..., "policy_update", "signed policy required", 1, 0)
  auto events = ParseAuditLog(
      "type=INTEGRITY_STATUS msg=audit(1.000:7): pid=9 uid=0 auid=0 ses=1 subj=unconfined "
      "op=policy_update cause=signed policy required comm=\"sh\" res=0 errno=0\n",
      "x");
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  EXPECT_EQ((*events)[0].cause, "signed policy required");
  EXPECT_EQ((*events)[0].comm, "sh");
}

TEST(AuditLogParser, NonUtf8NamesStayBytes) {
  auto events = ParseAuditLog(
      "type=1800 msg=audit(1.000:8): pid=1 op=appraise_data cause=invalid-hash comm=\"x\" "
      "name=2F746D702FFFFE20C3 res=0\n",
      "x");
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  EXPECT_EQ((*events)[0].path, std::string("/tmp/\xff\xfe \xc3"));
}

TEST(AuditLogParser, MalformedLinesNameLineAndColumn) {
  const std::string good = "type=1804 msg=audit(1.000:1): op=invalid_pcr cause=ToMToU res=1\n";
  Error e = ParseError(good + good + "this is not an audit record\n" + good);
  EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(e.where().source, "test.log");
  EXPECT_EQ(e.where().line, 3u);
  EXPECT_EQ(e.where().column, 1u);

  e = ParseError(good + "type=1804 msg=audit(1.00:2): op=x res=1\n");
  EXPECT_EQ(e.where().line, 2u);
  EXPECT_EQ(e.where().column, 23u);  // the milliseconds
  EXPECT_NE(e.message().find("milliseconds"), std::string::npos);

  e = ParseError("type=1804 msg=audit(99999999999999999999.000:2): op=x\n");
  EXPECT_EQ(e.where().column, 21u);
  e = ParseError("type=1804 msg=audit(1.000:18446744073709551616): op=x\n");
  EXPECT_EQ(e.where().column, 27u);
  e = ParseError("type=1804 msg=audit(1.000:5):op=x\n");
  EXPECT_EQ(e.where().column, 30u);
  // ausearch -i output is not audit.log.
  e = ParseError("type=INTEGRITY_DATA msg=audit(07/09/2020 12:30:27.778:1691) : pid=4976\n");
  EXPECT_EQ(e.where().line, 1u);
  // A header fine but no fields at all.
  e = ParseError(good + "type=1800 msg=audit(1.000:3): garbage without fields\n");
  EXPECT_EQ(e.where().line, 2u);
  EXPECT_NE(e.ToString().find("test.log:2"), std::string::npos) << e.ToString();
}

TEST(AuditLogParser, BinaryGarbage) {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 131 + 7) % 256);
  EXPECT_FALSE(ParseAuditLog(garbage, "garbage").ok());
  Error e = ParseError("type=1800 msg=audit(1.000:3): op=x na" + std::string(1, '\0') + "me=y\n");
  EXPECT_EQ(e.where().column, 38u);
  EXPECT_NE(e.message().find("NUL"), std::string::npos);
}

TEST(AuditLogParser, HugeLines) {
  // A long but plausible name parses...
  std::string long_name(100000, 'a');
  auto events = ParseAuditLog(
      "type=1800 msg=audit(1.000:3): op=appraise_data cause=missing-hash name=\"/" + long_name + "\" res=0\n",
      "x");
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  EXPECT_EQ((*events)[0].path.size(), long_name.size() + 1);
  // ...a line past any audit record's size is refused with its line number.
  std::string huge = "type=1800 msg=audit(1.000:4): name=\"" + std::string(kMaxAuditLineBytes, 'b') + "\"\n";
  Error e = ParseError("\n" + huge);
  EXPECT_EQ(e.where().line, 2u);
}

TEST(AuditLogParser, ParseAuditLinesGoesOnAfterTheBadLine) {
  const std::string good = "type=1804 msg=audit(1.000:1): op=invalid_pcr cause=ToMToU res=1\n";
  std::string text = good + "junk\n" + good;
  AuditParse first = ParseAuditLines(text, "t", 10);
  ASSERT_TRUE(first.error.has_value());
  EXPECT_EQ(first.error->where().line, 11u);
  EXPECT_EQ(first.events.size(), 1u);
  EXPECT_EQ(first.consumed, good.size() + 5);
  EXPECT_EQ(first.lines, 2u);
  AuditParse rest = ParseAuditLines(std::string_view(text).substr(first.consumed), "t", 12);
  EXPECT_FALSE(rest.error.has_value());
  EXPECT_EQ(rest.events.size(), 1u);
}

}  // namespace
}  // namespace imawatch::audit
