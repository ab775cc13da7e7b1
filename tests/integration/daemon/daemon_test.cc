// imawatch daemon as a process against the node simulator and a real TPM (swtpm): proof,
// drift and its resolution, tampering, reboot, reload, quotes and the HTTP API.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "monitor/base/env.h"
#include "monitor/store/store.h"
#include "tests/integration/daemon/daemon_node.h"
#include "tests/testing/ajv.h"
#include "tests/testing/ima_log_builder.h"

namespace imawatch {
namespace {

using nlohmann::json;
using testing::DaemonNode;
using testing::DaemonProcess;
using testing::HttpGet;
using testing::WaitUntil;
using namespace std::chrono_literals;

json Status(DaemonProcess& d, const DaemonNode& node) {
  testing::HttpReply r = HttpGet(d.Port(), "/v1/status", node.token());
  if (r.status != 200) return json::object();
  return json::parse(r.body, nullptr, false);
}

bool StatusIs(DaemonProcess& d, const DaemonNode& node, const std::string& state, uint64_t proved) {
  json s = Status(d, node);
  return s.value("state", "") == state && s.value("proved_entries", uint64_t{0}) == proved;
}

std::string Metrics(DaemonProcess& d) { return HttpGet(d.Port(), "/metrics").body; }

json Findings(DaemonProcess& d, const DaemonNode& node, bool all = false) {
  testing::HttpReply r =
      HttpGet(d.Port(), std::string("/v1/findings") + (all ? "?include_resolved=true" : ""), node.token());
  json j = json::parse(r.body, nullptr, false);
  return j.is_object() ? j["findings"] : json::array();
}

bool HasFinding(const json& findings, const std::string& key) {
  for (const json& f : findings) {
    if (f["key"] == key) return true;
  }
  return false;
}

TEST(Daemon, ProvesDetectsDriftAndItsResolutionAndTampering) {
  DaemonNode node;
  ASSERT_EQ(node.Simulate({"init", "--template", "evm-sig"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "60"}).exit_code, 0);
  node.WriteAllowList(200);
  node.WriteConfig();
  DaemonProcess d(node.config());
  ASSERT_NE(d.Port(), 0) << d.Log();

  ASSERT_TRUE(WaitUntil([&] { return StatusIs(d, node, "verified", 61); }, 30s))
      << Status(d, node).dump(2) << d.Log();
  EXPECT_EQ(HttpGet(d.Port(), "/healthz").status, 200);
  EXPECT_EQ(HttpGet(d.Port(), "/readyz").status, 200);
  EXPECT_EQ(HttpGet(d.Port(), "/v1/status").status, 401);
  EXPECT_EQ(HttpGet(d.Port(), "/v1/status", "wrong").status, 401);
  std::string metrics = Metrics(d);
  EXPECT_NE(metrics.find("imawatch_state{state=\"verified\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("imawatch_pcr_replay_match{bank=\"sha256\",pcr=\"10\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("imawatch_measurement_entries_proved_total 61"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("imawatch_build_info{version="), std::string::npos);
  EXPECT_EQ(metrics.find("/etc/"), std::string::npos) << "no path labels";

  // The report: evm-sig owner/mode proved by the TPM (the simulator's drop-in is 0644: 4.1.1 fails).
  testing::HttpReply report =
      HttpGet(d.Port(), "/v1/reports/cis-kubernetes-v1.7.1?format=json", node.token());
  ASSERT_EQ(report.status, 200) << report.body;
  json r = json::parse(report.body);
  EXPECT_TRUE(r["proof"]["verified"].get<bool>()) << r["proof"].dump(2);
  EXPECT_EQ(r["proof"]["proved_entries"], 61);
  bool found = false;
  for (const json& rec : r["results"]) {
    if (rec["id"] != "4.1.1") continue;
    found = true;
    EXPECT_EQ(rec["result"], "fail") << rec.dump(2);
    ASSERT_FALSE(rec["evidence"].empty());
    EXPECT_NE(rec["evidence"][0]["proof"].get<std::string>().find("PCR 10 replay of entries 0.."),
              std::string::npos);
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(HasFinding(Findings(d, node), "recommendation:cis-kubernetes-v1.7.1:4.1.1"));

  // Evaluated incrementally as entries were proved, the verdicts equal a one-shot check's.
  testing::CommandResult checked = testing::RunCommand(
      {testing::ImawatchBinary(), "check", "--benchmark", "cis-kubernetes-v1.7.1", "--benchmarks-dir",
       testing::SourceDir() + "/benchmarks", "--securityfs", node.securityfs(), "--tcti",
       DaemonNode::Tpm().Tcti(), "--root", testing::FixturePath("compliance/node"), "--allowlist",
       node.allow_list(), "--level", "1", "--json"});
  json one_shot = json::parse(checked.out, nullptr, false);
  ASSERT_TRUE(one_shot.is_object()) << checked.err;
  ASSERT_EQ(one_shot["results"].size(), r["results"].size());
  for (size_t i = 0; i < r["results"].size(); ++i) {
    EXPECT_EQ(r["results"][i]["id"], one_shot["results"][i]["id"]);
    EXPECT_EQ(r["results"][i]["result"], one_shot["results"][i]["result"]) << r["results"][i]["id"];
    EXPECT_EQ(r["results"][i]["reason"], one_shot["results"][i]["reason"]) << r["results"][i]["id"];
  }
  EXPECT_EQ(r["overall"], one_shot["overall"]);
  testing::HttpReply text = HttpGet(d.Port(), "/v1/reports/cis-kubernetes-v1.7.1?format=text", node.token());
  EXPECT_NE(text.body.find("VERIFIED, 61 of 61 entries proved"), std::string::npos) << text.body;
  EXPECT_EQ(HttpGet(d.Port(), "/v1/reports/nope", node.token()).status, 404);
  // Every other format from the same report; the standard ones pass ajv (doc/report-format.md).
  const std::string reports_dir = testing::MakeTempDir("daemon-reports");
  for (const auto& [format, schema] : std::vector<std::pair<std::string, std::optional<testing::AjvSchema>>>{
           {"oscal", testing::OscalSchema()},
           {"ocsf", testing::OcsfSchema("1.6")},
           {"ocsf&ocsf_version=1.1", testing::OcsfSchema("1.1")},
           {"asff", testing::AsffSchema()},
           {"csv", std::nullopt},
           {"junit", std::nullopt},
           {"html", std::nullopt}}) {
    testing::HttpReply reply =
        HttpGet(d.Port(), "/v1/reports/cis-kubernetes-v1.7.1?format=" + format, node.token());
    ASSERT_EQ(reply.status, 200) << format << ": " << reply.body;
    EXPECT_FALSE(reply.body.empty()) << format;
    if (!schema) continue;
    const std::string doc =
        reports_dir + "/" + format.substr(0, 4) + std::to_string(reply.body.size()) + ".json";
    testing::WriteTextFile(doc, reply.body);
    testing::CommandResult valid = testing::AjvValidate(*schema, doc);
    EXPECT_EQ(valid.exit_code, 0) << format << "\n" << valid.out << valid.err;
  }
  EXPECT_EQ(HttpGet(d.Port(), "/v1/reports/cis-kubernetes-v1.7.1?format=pdf", node.token()).status, 406);

  // Drift: kubelet.conf measured with content no allow list knows.
  ASSERT_EQ(node.Simulate({"run", "--scenario", "drift"}).exit_code, 0);
  ASSERT_TRUE(
      WaitUntil([&] { return HasFinding(Findings(d, node), "drift:/etc/kubernetes/kubelet.conf"); }, 20s))
      << d.Log();
  metrics = Metrics(d);
  EXPECT_NE(
      metrics.find("imawatch_drift_findings_open{benchmark=\"cis-kubernetes-v1.7.1\",recommendation=\"4.1."),
      std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("imawatch_drift_paths_open 1"), std::string::npos);

  // Resolution: the admin accepts the new content (the allow list changes; inotify reloads it).
  node.WriteAllowList(200, 2);
  ASSERT_TRUE(
      WaitUntil([&] { return !HasFinding(Findings(d, node), "drift:/etc/kubernetes/kubelet.conf"); }, 20s))
      << d.Log();
  EXPECT_TRUE(HasFinding(Findings(d, node, true), "drift:/etc/kubernetes/kubelet.conf"));  // resolved, kept
  ASSERT_TRUE(
      WaitUntil([&] { return Metrics(d).find("imawatch_drift_findings_open{") == std::string::npos; }, 10s));
  EXPECT_NE(d.Log().find("config.reloaded"), std::string::npos);

  // Tampering: an entry the TPM never received.
  ASSERT_EQ(node.Simulate({"run", "--scenario", "tamper-append"}).exit_code, 0);
  ASSERT_TRUE(WaitUntil([&] { return Status(d, node).value("state", "") == "mismatch"; }, 20s)) << d.Log();
  metrics = Metrics(d);
  EXPECT_NE(metrics.find("imawatch_state{state=\"mismatch\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("imawatch_pcr_replay_match{bank=\"sha256\",pcr=\"10\"} 0"), std::string::npos)
      << metrics;
  r = json::parse(HttpGet(d.Port(), "/v1/reports/cis-kubernetes-v1.7.1", node.token()).body);
  EXPECT_FALSE(r["proof"]["verified"].get<bool>());
  EXPECT_EQ(r["overall"]["pass"], 0);

  d.Signal(SIGTERM);
  EXPECT_EQ(d.Wait(), 0) << d.Log();
  EXPECT_NE(d.Log().find("daemon.stop"), std::string::npos);
}

TEST(Daemon, ARebootStartsANewEpochAndClosesTheOldFindings) {
  DaemonNode node;
  ASSERT_EQ(node.Simulate({"init", "--template", "evm-sig"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "30"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "unknown-exec"}).exit_code, 0);
  node.WriteAllowList(200);
  node.WriteConfig();
  DaemonProcess d(node.config());
  ASSERT_TRUE(WaitUntil([&] { return StatusIs(d, node, "verified", 32); }, 30s)) << d.Log();
  const int64_t first_epoch = Status(d, node)["epoch"];
  EXPECT_EQ(Findings(d, node).size(), 2u) << Findings(d, node).dump(2);  // unknown exec + 4.1.1

  ASSERT_EQ(node.Simulate({"run", "--scenario", "reboot", "--entries", "10"}).exit_code, 0);
  ASSERT_TRUE(WaitUntil(
      [&] { return StatusIs(d, node, "verified", 11) && Status(d, node)["epoch"] != first_epoch; }, 30s))
      << Status(d, node).dump(2) << d.Log();
  // The unknown executable belonged to the old boot; 4.1.1 is not decided yet in this one
  // (the drop-in was not measured in the first 10 entries) or fails again as a new finding.
  for (const json& f : Findings(d, node)) EXPECT_NE(f["key"], "drift:/tmp/.cache/kworker-1") << f.dump();
  d.Signal(SIGTERM);
  EXPECT_EQ(d.Wait(), 0);
}

TEST(Daemon, ABrokenConfigOnReloadKeepsTheRunningOne) {
  DaemonNode node;
  ASSERT_EQ(node.Simulate({"init"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "10"}).exit_code, 0);
  node.WriteAllowList(20);
  node.WriteConfig("watch_typo: true\n");
  {
    // A bad config refuses to start, naming the key.
    DaemonProcess refused(node.config());
    EXPECT_EQ(refused.Wait(), 2);
    EXPECT_NE(refused.Log().find("watch_typo"), std::string::npos) << refused.Log();
  }
  node.WriteConfig();
  DaemonProcess d(node.config());
  ASSERT_TRUE(WaitUntil([&] { return StatusIs(d, node, "verified", 11); }, 30s)) << d.Log();

  node.WriteConfig("store:\n  retention: nonsense\n");  // duplicate key + wrong type
  const size_t mark = d.Log().size();
  d.Signal(SIGHUP);
  ASSERT_TRUE(d.WaitForLog("config.reload_failed", 10s, mark)) << d.Log();
  EXPECT_NE(d.Log().find("keeping the running configuration", mark), std::string::npos);
  EXPECT_TRUE(d.running());
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "5"}).exit_code, 0);
  EXPECT_TRUE(WaitUntil([&] { return StatusIs(d, node, "verified", 16); }, 20s)) << d.Log();

  node.WriteConfig();
  const size_t mark2 = d.Log().size();
  d.Signal(SIGHUP);
  EXPECT_TRUE(d.WaitForLog("config.reloaded", 10s, mark2)) << d.Log();
  d.Signal(SIGTERM);
  EXPECT_EQ(d.Wait(), 0);
}

TEST(Daemon, QuotesOnItsIntervalAndServesTheLatestEvidence) {
  DaemonNode node;
  ASSERT_EQ(node.Simulate({"init"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "10"}).exit_code, 0);
  const std::string ak = node.dir() + "/ak.ctx", pem = node.dir() + "/ak.pem";
  testing::CommandResult created =
      testing::RunCommand({testing::ImawatchBinary(), "tpm", "ak", "create", "--tcti",
                           DaemonNode::Tpm().Tcti(), "--type", "ecc", "--context", ak, "--pub-pem", pem});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  node.WriteAllowList(20);
  node.WriteConfig("", ak);
  DaemonProcess d(node.config());
  ASSERT_NE(d.Port(), 0) << d.Log();
  ASSERT_TRUE(WaitUntil([&] { return HttpGet(d.Port(), "/v1/evidence", node.token()).status == 200; }, 30s))
      << d.Log();
  const std::string path = node.dir() + "/evidence.json";
  testing::HttpReply evidence = HttpGet(d.Port(), "/v1/evidence", node.token());
  ASSERT_TRUE(Env::Default().WriteFileAtomically(path, evidence.body).ok());
  // An auditor verifies it offline with the AK's public key (digest-only bundle: no list).
  // The list has grown since the quote: the bundle's list is its prefix.
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "5"}).exit_code, 0);
  testing::CommandResult verified =
      testing::RunCommand({testing::ImawatchBinary(), "verify-evidence", path, "--ak", pem, "--list",
                           node.securityfs() + "/ima/binary_runtime_measurements"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("evidence verified"), std::string::npos) << verified.out;
  EXPECT_NE(Metrics(d).find("imawatch_quotes_total{result=\"success\"}"), std::string::npos);
  d.Signal(SIGTERM);
  EXPECT_EQ(d.Wait(), 0);
}

TEST(Daemon, AFileChangedOnDiskIsFlaggedUntilIMAMeasuresItAgain) {
  DaemonNode node;
  const std::string root = node.dir() + "/root";
  std::filesystem::copy(testing::FixturePath("compliance/node"), root,
                        std::filesystem::copy_options::recursive);
  node.set_root(root);
  ASSERT_EQ(node.Simulate({"init", "--template", "evm-sig"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "40"}).exit_code, 0);
  node.WriteAllowList(200, 2);
  node.WriteConfig();
  DaemonProcess d(node.config());
  ASSERT_TRUE(WaitUntil([&] { return StatusIs(d, node, "verified", 41); }, 30s)) << d.Log();
  EXPECT_EQ(Metrics(d).find("imawatch_recommendation_changed_on_disk{"), std::string::npos);

  std::ofstream(root + "/etc/kubernetes/kubelet.conf", std::ios::app) << "# edited by hand\n";
  const std::string flagged = "imawatch_recommendation_changed_on_disk{benchmark=\"cis-kubernetes-v1.7.1\"";
  ASSERT_TRUE(WaitUntil([&] { return Metrics(d).find(flagged) != std::string::npos; }, 10s)) << d.Log();
  // /v1/status is published after the metrics of the same poll.
  EXPECT_TRUE(WaitUntil(
      [&] { return Status(d, node)["changed_on_disk"] == json::array({"/etc/kubernetes/kubelet.conf"}); },
      5s))
      << Status(d, node).dump(2);
  EXPECT_NE(d.Log().find("file.changed_on_disk"), std::string::npos);

  // IMA measures the file again: the flag clears (the verdict rests on the new measurement).
  ASSERT_EQ(node.Simulate({"run", "--scenario", "drift"}).exit_code, 0);
  ASSERT_TRUE(WaitUntil([&] { return Metrics(d).find(flagged) == std::string::npos; }, 10s)) << d.Log();
  EXPECT_TRUE(WaitUntil([&] { return Status(d, node)["changed_on_disk"].empty(); }, 5s))
      << Status(d, node).dump(2);
  d.Signal(SIGTERM);
  EXPECT_EQ(d.Wait(), 0);
}

// `imawatch policy load --store` records each load in the daemon's store; the daemon exports
// the latest accepted one (rules, time, digest prefix as a number: no digest label) and the
// loads by result.
TEST(Daemon, ExportsTheIMAPolicyLoadsRecordedInItsStore) {
  DaemonNode node;
  ASSERT_EQ(node.Simulate({"init"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "5"}).exit_code, 0);
  node.WriteAllowList(10);
  node.WriteConfig();
  DaemonProcess d(node.config());
  ASSERT_TRUE(WaitUntil([&] { return StatusIs(d, node, "verified", 6); }, 30s)) << d.Log();
  EXPECT_EQ(Metrics(d).find("\nimawatch_ima_policy_rules "), std::string::npos) << "no series before a load";

  const std::string policy = node.dir() + "/base.policy";
  std::ofstream(policy) << "# base\ndont_measure fsmagic=0x9fa0\nmeasure func=BPRM_CHECK mask=MAY_EXEC\n"
                           "measure func=FILE_CHECK mask=^MAY_READ uid=0\n";
  const std::string bad = node.dir() + "/bad.policy";
  std::ofstream(bad) << "measure func=BPRM_CHECK # a comment the kernel refuses\n";
  std::filesystem::create_directories(node.securityfs() + "/ima");
  std::ofstream(node.securityfs() + "/ima/policy").flush();
  auto load = [&](const std::string& file) {
    return testing::RunCommand({testing::ImawatchBinary(), "policy", "load", file, "--kernel", "6.1",
                                "--securityfs", node.securityfs(), "--store", node.store(), "--json"});
  };
  testing::CommandResult loaded = load(policy);
  ASSERT_EQ(loaded.exit_code, 0) << loaded.out << loaded.err;
  EXPECT_EQ(load(bad).exit_code, 1);
  const std::string digest = json::parse(loaded.out)["digest"];
  const uint64_t prefix = std::stoull(digest.substr(std::string("sha256:").size(), 12), nullptr, 16);

  auto metric = [&](const std::string& series) {
    std::string text = Metrics(d);
    size_t at = text.find("\n" + series + " ");
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + series.size() + 2));
  };
  // Both loads were recorded before this wait; a poll between them shows only the first.
  ASSERT_TRUE(WaitUntil([&] { return metric("imawatch_ima_policy_loads{result=\"refused\"}") == 1; }, 10s))
      << Metrics(d);
  EXPECT_EQ(metric("imawatch_ima_policy_rules"), 3);
  EXPECT_EQ(metric("imawatch_ima_policy_digest_prefix"), static_cast<double>(prefix));
  EXPECT_NEAR(metric("imawatch_ima_policy_last_load_timestamp_seconds"),
              static_cast<double>(std::time(nullptr)), 60);
  EXPECT_EQ(metric("imawatch_ima_policy_loads{result=\"loaded\"}"), 1);
  EXPECT_EQ(metric("imawatch_ima_policy_loads{result=\"refused\"}"), 1);
  EXPECT_EQ(Metrics(d).find(digest.substr(7, 12)), std::string::npos) << "the digest is never a label";
  d.Signal(SIGTERM);
  EXPECT_EQ(d.Wait(), 0);
}

TEST(Daemon, IMAAuditRecordsBecomeEventsAndFindings) {
  DaemonNode node;
  ASSERT_EQ(node.Simulate({"init"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "10"}).exit_code, 0);
  node.WriteAllowList(20);
  const std::string audit_log = node.dir() + "/audit.log";
  ASSERT_TRUE(
      Env::Default().WriteFileAtomically(audit_log, "type=DAEMON_START msg=audit(1.000:1): op=start\n").ok());
  node.WriteConfig();
  std::string yaml = testing::ReadFileOrDie(node.config());
  const std::string no_audit = "audit:\n  source: none";
  yaml.replace(yaml.find(no_audit), no_audit.size(), "audit:\n  source: file\n  file: " + audit_log);
  ASSERT_TRUE(Env::Default().WriteFileAtomically(node.config(), yaml).ok());
  DaemonProcess d(node.config());
  ASSERT_TRUE(WaitUntil([&] { return StatusIs(d, node, "verified", 11); }, 30s)) << d.Log();

  // auditd appends: the sample's IMA records (policy load, appraisal failures, violations).
  std::ofstream(audit_log, std::ios::app)
      << testing::ReadFileOrDie(testing::FixturePath("audit/sample-audit.log"));
  ASSERT_TRUE(WaitUntil(
      [&] { return HasFinding(Findings(d, node), "audit:appraise_data:invalid-hash:/usr/bin/sm-dump"); },
      20s))
      << Findings(d, node).dump(2) << d.Log();
  const json findings = Findings(d, node);
  EXPECT_TRUE(HasFinding(findings, "audit:appraise_data:invalid-signature:/root/keys/modules/foo.ko"));
  std::string metrics = Metrics(d);
  EXPECT_NE(metrics.find("imawatch_audit_events_total{type=\"INTEGRITY_DATA\"}"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("imawatch_audit_events_total{type=\"INTEGRITY_STATUS\"}"), std::string::npos);
  EXPECT_NE(d.Log().find("audit.finding"), std::string::npos);
  d.Signal(SIGTERM);
  EXPECT_EQ(d.Wait(), 0);
}

TEST(Daemon, TellsSystemdWhenReadyReloadingAndStopping) {
  DaemonNode node;
  ASSERT_EQ(node.Simulate({"init"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "5"}).exit_code, 0);
  node.WriteAllowList(10);
  node.WriteConfig();
  const std::string socket_path = node.dir() + "/notify.sock";
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(socket_path.size(), sizeof(addr.sun_path));
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  timeval tv{.tv_sec = 30, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  auto receive = [&] {
    char buffer[256];
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
  };
  setenv("NOTIFY_SOCKET", socket_path.c_str(), 1);
  DaemonProcess d(node.config());
  unsetenv("NOTIFY_SOCKET");
  EXPECT_EQ(receive(), "READY=1") << d.Log();
  d.Signal(SIGHUP);
  EXPECT_EQ(receive(), "RELOADING=1");
  EXPECT_EQ(receive(), "READY=1");
  d.Signal(SIGTERM);
  EXPECT_EQ(receive(), "STOPPING=1");
  EXPECT_EQ(d.Wait(), 0);
  close(fd);
}

// Last in this file: it restarts the shared swtpm (the next init resets it anyway).
TEST(Daemon, ATpmThatStopsAnsweringIsReportedNeverVerified) {
  DaemonNode node;
  ASSERT_EQ(node.Simulate({"init"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "10"}).exit_code, 0);
  node.WriteAllowList(20);
  node.WriteConfig();
  DaemonProcess d(node.config());
  ASSERT_TRUE(WaitUntil([&] { return StatusIs(d, node, "verified", 11); }, 30s)) << d.Log();

  DaemonNode::Tpm().Kill();
  ASSERT_TRUE(WaitUntil([&] { return Status(d, node).value("state", "") == "tpm-unavailable"; }, 20s))
      << d.Log();
  std::string metrics = Metrics(d);
  EXPECT_NE(metrics.find("imawatch_state{state=\"tpm-unavailable\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("imawatch_tpm_errors_total{reason="), std::string::npos) << metrics;
  EXPECT_TRUE(d.running());

  // Back with its PCRs reset under a list that still holds this boot's entries: not this boot's
  // TPM any more, so never verified again.
  DaemonNode::Tpm().Restart();
  ASSERT_TRUE(WaitUntil([&] { return Status(d, node).value("state", "") == "mismatch"; }, 20s)) << d.Log();
  d.Signal(SIGTERM);
  EXPECT_EQ(d.Wait(), 0);
}

}  // namespace
}  // namespace imawatch
