#include "monitor/daemon/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "monitor/base/utf8.h"
#include "monitor/compliance/benchmark_catalog.h"
#include "tests/testing/paths.h"

namespace imawatch::daemon {
namespace {

using namespace std::chrono_literals;
using Kind = DaemonConfig::AuditSourceKind;

DaemonConfig Parse(const std::string& text, const std::string& source = "/etc/imawatch/imawatch.yaml") {
  auto c = ParseConfig(text, source);
  EXPECT_TRUE(c.ok()) << c.error().ToString();
  return c.ok() ? *c : DaemonConfig{};
}

Error ParseError(const std::string& text) {
  auto c = ParseConfig(text, "cfg.yaml");
  EXPECT_FALSE(c.ok()) << "parsed unexpectedly:\n" << text;
  return c.ok() ? Error(ErrorKind::kInternal, "no error") : c.error();
}

// The message starts with the key path, and the position is the offending node's.
void ExpectError(const std::string& text, uint32_t line, uint32_t column, const std::string& message) {
  Error e = ParseError(text);
  EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(e.where().source, "cfg.yaml");
  EXPECT_EQ(e.where().line, line) << e.ToString();
  EXPECT_EQ(e.where().column, column) << e.ToString();
  EXPECT_EQ(e.message(), message) << e.ToString();
}

std::string Hostname() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  return name;
}

TEST(Config, EmptyDocumentIsAllDefaults) {
  for (const char* text : {"", "# nothing\n", "---\n", "~\n"}) {
    DaemonConfig c = Parse(text);
    EXPECT_EQ(c.node_name, Hostname());
    EXPECT_EQ(c.securityfs, "/sys/kernel/security");
    EXPECT_EQ(c.root, "/");
    EXPECT_EQ(c.tcti, "device:/dev/tpmrm0");
    EXPECT_TRUE(c.banks.empty());
    EXPECT_EQ(c.ak_context, "");
    EXPECT_EQ(c.quote_interval, 5min);
    EXPECT_EQ(c.poll_interval, 1s);
    EXPECT_EQ(c.ima_pcrs, std::vector<uint32_t>{10});
    EXPECT_EQ(c.extend_grace, 1s);
    EXPECT_FALSE(c.measures_module_loads);
    EXPECT_TRUE(c.allow_lists.empty());
    EXPECT_TRUE(c.certificates.empty());
    EXPECT_EQ(c.benchmarks_dir, compliance::DefaultBenchmarksDir());
    EXPECT_TRUE(c.benchmarks.empty());
    EXPECT_EQ(c.store_path, "/var/lib/imawatch/imawatch.db");
    EXPECT_EQ(c.retention.verdict_history, std::chrono::days(30));
    EXPECT_EQ(c.retention.resolved_findings, std::chrono::days(90));
    EXPECT_EQ(c.retention.quotes, std::chrono::days(7));
    EXPECT_EQ(c.retention.report_snapshots, 50u);
    EXPECT_EQ(c.retention.delivered_outbox, std::chrono::days(7));
    EXPECT_EQ(c.http_listen, "127.0.0.1:9464");
    EXPECT_EQ(c.token_file, "");
    EXPECT_FALSE(c.metrics_require_token);
    EXPECT_EQ(c.audit_source, Kind::kAuto);
    EXPECT_EQ(c.audit_log, "/var/log/audit/audit.log");
    EXPECT_TRUE(c.watch_enabled);
    EXPECT_EQ(c.watch_debounce, 500ms);
    EXPECT_EQ(c.log_format, LogFormat::kJson);
    EXPECT_EQ(c.log_level, LogLevel::kInfo);
    EXPECT_TRUE(c.sinks.empty());
  }
}

TEST(Config, EmptySectionsAreDefaults) {
  DaemonConfig c = Parse(
      "node:\ntpm:\nima:\nappraisal:\nbenchmarks:\nstore:\n  retention:\nhttp:\naudit:\n"
      "watch:\nlog:\nsinks:\n");
  EXPECT_EQ(c.tcti, "device:/dev/tpmrm0");
  EXPECT_EQ(c.retention.report_snapshots, 50u);
}

TEST(Config, EveryKey) {
  DaemonConfig c = Parse(R"(
node:
  name: worker-7
  root: /host
tpm:
  tcti: swtpm:host=127.0.0.1,port=2321
  banks: [sha256, SHA1, sha384, sha512, sm3_256]
  ak_context: /var/lib/imawatch/ak.ctx
  quote_interval: 30s
ima:
  securityfs: /host/sys/kernel/security
  poll_interval: 250ms
  pcrs: [10, 11]
  extend_grace: 2s
  measures_module_loads: true
appraisal:
  allow_lists: [/a.list, /b.list]
  certificates: /c.der
benchmarks:
  dir: /opt/benchmarks
  enabled:
    - cis-ubuntu-20.04-v2.0.1
    - id: cis-kubernetes-v1.7.1
      level: 2
      profile: level2-worker
store:
  path: /data/db.sqlite
  retention:
    verdict_history: 1d
    resolved_findings: 2h
    quotes: 600
    report_snapshots: 5
    delivered_outbox: 3m
http:
  listen: "[::1]:8080"
  token_file: /run/secrets/token
  metrics_require_token: yes
audit:
  source: netlink
  file: /audit.log
watch:
  enabled: false
  debounce: 0
log:
  format: logfmt
  level: debug
sinks:
  - type: webhook
    url: https://example.com/hook
  - type: file
    name: drop
    dir: spool
  - {type: syslog, name: siem, address: "siem.example:6514", transport: tls, format: cef}
)");
  EXPECT_EQ(c.node_name, "worker-7");
  EXPECT_EQ(c.root, "/host");
  EXPECT_EQ(c.tcti, "swtpm:host=127.0.0.1,port=2321");
  using ima::HashAlgo;
  EXPECT_EQ(c.banks, (std::vector<HashAlgo>{HashAlgo::kSha256, HashAlgo::kSha1, HashAlgo::kSha384,
                                            HashAlgo::kSha512, HashAlgo::kSm3_256}));
  EXPECT_EQ(c.ak_context, "/var/lib/imawatch/ak.ctx");
  EXPECT_EQ(c.quote_interval, 30s);
  EXPECT_EQ(c.securityfs, "/host/sys/kernel/security");
  EXPECT_EQ(c.poll_interval, 250ms);
  EXPECT_EQ(c.ima_pcrs, (std::vector<uint32_t>{10, 11}));
  EXPECT_EQ(c.extend_grace, 2s);
  EXPECT_TRUE(c.measures_module_loads);
  EXPECT_EQ(c.allow_lists, (std::vector<std::string>{"/a.list", "/b.list"}));
  EXPECT_EQ(c.certificates, std::vector<std::string>{"/c.der"});
  EXPECT_EQ(c.benchmarks_dir, "/opt/benchmarks");
  ASSERT_EQ(c.benchmarks.size(), 2u);
  EXPECT_EQ(c.benchmarks[0].id, "cis-ubuntu-20.04-v2.0.1");
  EXPECT_FALSE(c.benchmarks[0].level);
  EXPECT_FALSE(c.benchmarks[0].profile);
  EXPECT_EQ(c.benchmarks[0].where.line, 22u);
  EXPECT_EQ(c.benchmarks[1].id, "cis-kubernetes-v1.7.1");
  EXPECT_EQ(c.benchmarks[1].level, 2);
  EXPECT_EQ(c.benchmarks[1].profile, "level2-worker");
  EXPECT_EQ(c.benchmarks[1].where.line, 23u);
  EXPECT_EQ(c.benchmarks[1].where.source, "/etc/imawatch/imawatch.yaml");
  EXPECT_EQ(c.store_path, "/data/db.sqlite");
  EXPECT_EQ(c.retention.verdict_history, std::chrono::days(1));
  EXPECT_EQ(c.retention.resolved_findings, 2h);
  EXPECT_EQ(c.retention.quotes, 10min);
  EXPECT_EQ(c.retention.report_snapshots, 5u);
  EXPECT_EQ(c.retention.delivered_outbox, 3min);
  EXPECT_EQ(c.http_listen, "[::1]:8080");
  EXPECT_EQ(c.token_file, "/run/secrets/token");
  EXPECT_TRUE(c.metrics_require_token);
  EXPECT_EQ(c.audit_source, Kind::kNetlink);
  EXPECT_EQ(c.audit_log, "/audit.log");
  EXPECT_FALSE(c.watch_enabled);
  EXPECT_EQ(c.watch_debounce, 0ms);
  EXPECT_EQ(c.log_format, LogFormat::kLogfmt);
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
  ASSERT_EQ(c.sinks.size(), 3u);
  EXPECT_EQ(c.sinks[0].type, "webhook");
  EXPECT_EQ(c.sinks[0].name, "webhook");
  EXPECT_EQ(std::get<sinks::WebhookOptions>(c.sinks[0].options).url, "https://example.com/hook");
  EXPECT_EQ(c.sinks[0].where.line, 48u);
  EXPECT_EQ(c.sinks[1].name, "drop");
  EXPECT_EQ(std::get<sinks::FileDropOptions>(c.sinks[1].options).dir, "/etc/imawatch/spool");
  EXPECT_EQ(c.sinks[2].type, "syslog");
  EXPECT_EQ(c.sinks[2].name, "siem");
  const auto& siem = std::get<sinks::SyslogOptions>(c.sinks[2].options);
  EXPECT_EQ(siem.host, "siem.example");
  EXPECT_EQ(siem.port, 6514);
  EXPECT_EQ(siem.transport, sinks::SyslogOptions::Transport::kTls);
  EXPECT_EQ(siem.format, sinks::SyslogOptions::Format::kCef);
}

TEST(Config, EnumsAndLevels) {
  EXPECT_EQ(Parse("audit: {source: none}").audit_source, Kind::kNone);
  EXPECT_EQ(Parse("audit: {source: file}").audit_source, Kind::kFile);
  EXPECT_EQ(Parse("audit: {source: auto}").audit_source, Kind::kAuto);
  EXPECT_EQ(Parse("log: {level: info}").log_level, LogLevel::kInfo);
  EXPECT_EQ(Parse("log: {level: warn}").log_level, LogLevel::kWarn);
  EXPECT_EQ(Parse("log: {level: error}").log_level, LogLevel::kError);
  EXPECT_EQ(Parse("log: {format: json}").log_format, LogFormat::kJson);
  EXPECT_EQ(Parse("ima: {pcrs: 11}").ima_pcrs, std::vector<uint32_t>{11});
  EXPECT_EQ(Parse("http: {listen: ''}").http_listen, "");
  EXPECT_EQ(Parse("http: {listen: 0.0.0.0:0}").http_listen, "0.0.0.0:0");
  EXPECT_EQ(Parse("http: {listen: 'metrics.node-3.internal:9464'}").http_listen,
            "metrics.node-3.internal:9464");
  EXPECT_EQ(Parse("tpm: {ak_context: '0x81010002'}").ak_context, "0x81010002");
  EXPECT_EQ(Parse("tpm: {ak_context: ''}").ak_context, "");
}

TEST(Config, DurationsInEveryForm) {
  EXPECT_EQ(Parse("tpm: {quote_interval: 2h}").quote_interval, 2h);
  EXPECT_EQ(Parse("tpm: {quote_interval: 90}").quote_interval, 90s);
  EXPECT_EQ(Parse("ima: {poll_interval: 50ms}").poll_interval, 50ms);
  EXPECT_EQ(Parse("ima: {poll_interval: 1m}").poll_interval, 1min);
  EXPECT_EQ(Parse("ima: {extend_grace: 0ms}").extend_grace, 0ms);
  EXPECT_EQ(Parse("store: {retention: {quotes: 36500d}}").retention.quotes, std::chrono::days(36500));
}

TEST(Config, RelativePathsResolveAgainstTheConfigDirectory) {
  const std::string text = R"(
node: {root: host}
tpm: {ak_context: ak.ctx}
ima: {securityfs: sec}
appraisal: {allow_lists: [lists/a.list, /abs/b.list], certificates: [../keys/c.der]}
benchmarks: {dir: bench}
store: {path: db/imawatch.db}
http: {token_file: token}
audit: {file: audit.log}
sinks: [{type: file, dir: drop}]
)";
  DaemonConfig c = Parse(text, "/etc/imawatch/imawatch.yaml");
  EXPECT_EQ(c.root, "/etc/imawatch/host");
  EXPECT_EQ(c.ak_context, "/etc/imawatch/ak.ctx");
  EXPECT_EQ(c.securityfs, "/etc/imawatch/sec");
  EXPECT_EQ(c.allow_lists, (std::vector<std::string>{"/etc/imawatch/lists/a.list", "/abs/b.list"}));
  EXPECT_EQ(c.certificates, std::vector<std::string>{"/etc/imawatch/../keys/c.der"});
  EXPECT_EQ(c.benchmarks_dir, "/etc/imawatch/bench");
  EXPECT_EQ(c.store_path, "/etc/imawatch/db/imawatch.db");
  EXPECT_EQ(c.token_file, "/etc/imawatch/token");
  EXPECT_EQ(c.audit_log, "/etc/imawatch/audit.log");
  EXPECT_EQ(std::get<sinks::FileDropOptions>(c.sinks[0].options).dir, "/etc/imawatch/drop");

  EXPECT_EQ(Parse(text, "conf/imawatch.yaml").store_path, "conf/db/imawatch.db");
  EXPECT_EQ(Parse(text, "/imawatch.yaml").store_path, "/db/imawatch.db");
  // No directory in the name: relative to the working directory, as the file itself is.
  EXPECT_EQ(Parse(text, "imawatch.yaml").store_path, "db/imawatch.db");
  EXPECT_EQ(std::get<sinks::FileDropOptions>(Parse(text, "imawatch.yaml").sinks[0].options).dir, "drop");
}

TEST(Config, WrongTypesNameTheKeyAndPosition) {
  ExpectError("tpm:\n  quote_interval: fast\n", 2, 19,
              "tpm.quote_interval: expected a duration like 5m, got \"fast\"");
  ExpectError("ima:\n  poll_interval: [1s]\n", 2, 18,
              "ima.poll_interval: expected a duration like 5m, got a sequence");
  ExpectError("watch: {enabled: maybe}", 1, 18, "watch.enabled: expected true or false, got \"maybe\"");
  ExpectError("node:\n  name: {a: b}\n", 2, 9, "node.name: expected a string, got a mapping");
  ExpectError("node:\n  name:\n", 2, 3, "node.name: expected a string, got nothing");
  ExpectError("node: {name: ''}", 1, 14, "node.name: must not be empty");
  ExpectError("node: {name: \"a\\nb\"}", 1, 14, "node.name: must not contain control characters");
  ExpectError("tpm: [a]", 1, 6, "tpm: expected a mapping, got a sequence");
  ExpectError("- a\n", 1, 1, "expected a mapping, got a sequence");
  ExpectError("appraisal:\n  allow_lists:\n    - /a\n    - {x: 1}\n", 4, 7,
              "appraisal.allow_lists[1]: expected a string, got a mapping");
  ExpectError("appraisal: {certificates: {a: b}}", 1, 27,
              "appraisal.certificates: expected a list, got a mapping");
  ExpectError("store: {retention: {report_snapshots: many}}", 1, 39,
              "store.retention.report_snapshots: expected a whole number, got \"many\"");
  ExpectError("log: {level: verbose}", 1, 14,
              "log.level: expected debug, info, warn or error, got \"verbose\"");
  ExpectError("log: {format: text}", 1, 15, "log.format: expected json or logfmt, got \"text\"");
  ExpectError("audit: {source: kafka}", 1, 17,
              "audit.source: expected none, auto, netlink or file, got \"kafka\"");
  ExpectError("sinks: {type: file}", 1, 8, "sinks: expected a list, got a mapping");
}

TEST(Config, RangesAreChecked) {
  ExpectError("ima: {poll_interval: 10ms}", 1, 22, "ima.poll_interval: must be at least 50ms, got \"10ms\"");
  ExpectError("ima: {poll_interval: 2h}", 1, 22, "ima.poll_interval: must be at most 1h, got \"2h\"");
  ExpectError("tpm: {quote_interval: 500ms}", 1, 23,
              "tpm.quote_interval: must be at least 1s, got \"500ms\"");
  ExpectError("ima: {extend_grace: 6m}", 1, 21, "ima.extend_grace: must be at most 5m, got \"6m\"");
  ExpectError("watch: {debounce: 11m}", 1, 19, "watch.debounce: must be at most 10m, got \"11m\"");
  ExpectError("store: {retention: {quotes: 0}}", 1, 29,
              "store.retention.quotes: must be at least 1s, got \"0\"");
  ExpectError("store: {retention: {quotes: 36501d}}", 1, 29,
              "store.retention.quotes: must be at most 36500d, got \"36501d\"");
  ExpectError("store: {retention: {quotes: 1500ms}}", 1, 29, "store.retention.quotes: must be whole seconds");
  ExpectError("store: {retention: {report_snapshots: 0}}", 1, 39,
              "store.retention.report_snapshots: must be 1-1000000, got \"0\"");
  ExpectError("ima:\n  pcrs: [10, 24]\n", 2, 14, "ima.pcrs[1]: must be 0-23, got \"24\"");
  ExpectError("ima:\n  pcrs: [10, -1]\n", 2, 14, "ima.pcrs[1]: expected a whole number, got \"-1\"");
  ExpectError("ima:\n  pcrs: [10, 10]\n", 2, 14, "ima.pcrs[1]: PCR 10 is listed twice");
  ExpectError("ima:\n  pcrs: []\n", 2, 9, "ima.pcrs: must list at least one PCR");
  ExpectError("tpm: {banks: [sha256, md5]}", 1, 23,
              "tpm.banks[1]: expected one of sha1, sha256, sha384, sha512, sm3_256, got \"md5\"");
  ExpectError("tpm: {banks: [sha256, SHA256]}", 1, 23, "tpm.banks[1]: bank \"SHA256\" is listed twice");
  ExpectError("tpm: {tcti: ':x'}", 1, 13, "tpm.tcti: expected a TCTI like device:/dev/tpmrm0, got \":x\"");
  ExpectError("tpm: {ak_context: '0x01010002'}", 1, 19,
              "tpm.ak_context: expected a persistent handle 0x81000000-0x81ffffff or a context file, got "
              "\"0x01010002\"");
  ExpectError("benchmarks:\n  enabled:\n    - id: cis-kubernetes-v1.7.1\n      level: 0\n", 4, 14,
              "benchmarks.enabled[0].level: must be 1-9, got \"0\"");
}

TEST(Config, ListenAddressSyntax) {
  for (const char* good : {"127.0.0.1:9464", "0.0.0.0:1", "[::]:9464", "[fe80::1]:65535", "localhost:80",
                           "node-1.example.com:443"}) {
    EXPECT_TRUE(ParseConfig(std::string("http: {listen: '") + good + "'}", "cfg.yaml").ok()) << good;
  }
  const std::pair<const char*, const char*> bad[] = {
      {"9464", "http.listen: expected host:port"},
      {":9464", "http.listen: missing host (0.0.0.0 listens on every IPv4 address)"},
      {"::1:9464", "http.listen: put an IPv6 address in brackets, like [::1]:9464"},
      {"[::1]9464", "http.listen: expected [ipv6]:port"},
      {"[zz::1]:9464", "http.listen: not an IPv6 address: \"zz::1\""},
      {"300.0.0.1:9464", "http.listen: not an IPv4 address: \"300.0.0.1\""},
      {"bad_host:80", "http.listen: not a host name: \"bad_host\""},
      {"-x.com:80", "http.listen: not a host name: \"-x.com\""},
      {"a..b:80", "http.listen: not a host name: \"a..b\""},
      {"localhost:65536", "http.listen: port must be a number 0-65535, got \"65536\""},
      {"localhost:", "http.listen: port must be a number 0-65535, got \"\""},
      {"localhost:http", "http.listen: port must be a number 0-65535, got \"http\""},
  };
  for (const auto& [listen, message] : bad) {
    ExpectError(std::string("http: {listen: '") + listen + "'}", 1, 16, message);
  }
}

TEST(Config, CrossKeyChecks) {
  ExpectError(
      "http:\n  metrics_require_token: true\n", 2, 26,
      "http.metrics_require_token: needs http.token_file (without a token nobody could scrape /metrics)");
  EXPECT_TRUE(ParseConfig("http: {metrics_require_token: true, token_file: /t}", "cfg.yaml").ok());
}

TEST(Config, UnknownKeysAreErrors) {
  ExpectError("store:\n  pth: /x\n", 2, 3, "store.pth: unknown key; did you mean store.path?");
  ExpectError("tmp: {}\n", 1, 1, "tmp: unknown key; did you mean tpm?");
  ExpectError("tpm:\n  poll_interval: 1s\n", 2, 3,
              "tpm.poll_interval: unknown key; did you mean ima.poll_interval?");
  ExpectError("store:\n  retention:\n    quote: 1d\n", 3, 5,
              "store.retention.quote: unknown key; did you mean store.retention.quotes?");
  ExpectError("http:\n  colour: red\n", 2, 3,
              "http.colour: unknown key (expected one of: listen token_file metrics_require_token)");
  ExpectError("benchmarks:\n  enabled:\n    - id: x\n      levle: 1\n", 4, 7,
              "benchmarks.enabled[0].levle: unknown key; did you mean benchmarks.enabled[0].level?");
  ExpectError("? [a]\n: 1\n", 1, 3, "keys must be plain names, got a sequence");
}

TEST(Config, DuplicatesAreErrors) {
  ExpectError("tpm:\n  tcti: a\n  tcti: b\n", 3, 3, "tpm.tcti: duplicate key");
  ExpectError("benchmarks:\n  enabled: [a, b, a]\n", 2, 19,
              "benchmarks.enabled[2]: benchmark \"a\" is enabled twice");
  ExpectError("sinks:\n  - {type: file, dir: a}\n  - {type: file, dir: b}\n", 3, 5,
              "sinks[1]: a second sink named \"file\"; give each a distinct name");
  ExpectError("sinks:\n  - {type: file, name: x, dir: a}\n  - {type: webhook, name: x}\n", 3, 27,
              "sinks[1]: a second sink named \"x\"; give each a distinct name");
  ExpectError("sinks:\n  - {type: file, type: syslog}\n", 2, 18, "sinks[0].type: duplicate key");
}

TEST(Config, BenchmarkEntries) {
  ExpectError("benchmarks:\n  enabled:\n    - level: 1\n", 3, 7, "benchmarks.enabled[0]: missing id");
  ExpectError(
      "benchmarks:\n  enabled:\n    - [a]\n", 3, 7,
      "benchmarks.enabled[0]: expected a benchmark id or a mapping with id, level, profile, got a sequence");
  ExpectError(
      "benchmarks:\n  enabled:\n    - 'cis kubernetes'\n", 3, 7,
      "benchmarks.enabled[0]: expected a benchmark id like cis-kubernetes-v1.7.1, got \"cis kubernetes\"");
  ExpectError("benchmarks:\n  enabled:\n    - {id: x, profile: ''}\n", 3, 24,
              "benchmarks.enabled[0].profile: must not be empty");
}

TEST(Config, SinksNeedAKnownType) {
  ExpectError("sinks:\n  - name: x\n", 2, 5, "sinks[0]: missing type (webhook, file or syslog)");
  ExpectError("sinks:\n  - type: kafka\n", 2, 11,
              "sinks[0].type: expected webhook, file or syslog, got \"kafka\"");
  ExpectError("sinks:\n  - webhook\n", 2, 5, "sinks[0]: expected a mapping with a type, got \"webhook\"");
}

TEST(Config, MalformedYamlHasAPosition) {
  Error e = ParseError("tpm:\n  tcti: [unclosed\n");
  EXPECT_EQ(e.where().source, "cfg.yaml");
  EXPECT_TRUE(e.where().line) << e.ToString();
  EXPECT_TRUE(e.message().starts_with("malformed YAML: ")) << e.ToString();
  ExpectError("tpm: {}\n---\nima: {}\n", 2, 1,
              "a config file holds one YAML document; a second one starts here");
}

// yaml-cpp 0.7's LoadAll never returns on this (found by the fuzzer).
TEST(Config, InputThatHangsLoadAllIsRefused) {
  const std::string text =
      testing::ReadFileOrDie(testing::SourceDir() + "/tests/fuzz/corpus/config_fuzz/loadall-loop.yaml");
  auto c = ParseConfig(text, "cfg.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().where().source, "cfg.yaml");
}

TEST(Config, MessagesQuoteValuesSafely) {
  Error e = ParseError("tpm: {quote_interval: \"\\x01\\xff" + std::string(100, 'a') + "\"}");
  EXPECT_TRUE(e.message().starts_with("tpm.quote_interval: expected a duration like 5m, got \"\\x01"))
      << e.message();
  EXPECT_TRUE(e.message().ends_with("a…\"")) << e.message();
  e = ParseError("\xff\xfe: 1");
  EXPECT_TRUE(IsValidUtf8(e.message())) << e.message();
  // yaml-cpp's own message carries the offending byte.
  e = ParseError(std::string("a: \"\\\x80\"\n"));
  EXPECT_EQ(e.message(), "malformed YAML: unknown escape character: \\x80");
}

TEST(Config, TheDeployExampleParses) {
  const std::string path = testing::SourceDir() + "/deploy/imawatch.yaml";
  auto c = LoadConfig(Env::Default(), path);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->tcti, "device:/dev/tpmrm0");
  ASSERT_EQ(c->benchmarks.size(), 1u);
  EXPECT_EQ(c->benchmarks[0].id, "cis-kubernetes-v1.7.1");
  EXPECT_EQ(c->benchmarks[0].level, 1);
  EXPECT_EQ(c->benchmarks[0].profile, "level1-worker");
  EXPECT_EQ(c->ak_context, testing::SourceDir() + "/deploy/ak.ctx");
  // The id and profile are real: the benchmark is in the repo's benchmarks/.
  auto bench =
      compliance::FindBenchmark(Env::Default(), c->benchmarks[0].id, testing::SourceDir() + "/benchmarks");
  ASSERT_TRUE(bench.ok()) << bench.error().ToString();
  EXPECT_TRUE(std::any_of(bench->profiles.begin(), bench->profiles.end(),
                          [&](const compliance::Profile& p) { return p.id == *c->benchmarks[0].profile; }));
}

// The Kubernetes overlays' configs (deploy/kubernetes/overlays/*/imawatch.yaml) as the
// DaemonSet's init container leaves them: @NODE_NAME@ replaced by the node's name.
TEST(Config, NodeNameFromTheEnvironmentUnlessConfigured) {
  setenv(kNodeNameVariable, "worker-9", 1);
  EXPECT_EQ(Parse("").node_name, "worker-9");
  EXPECT_EQ(Parse("node: {name: explicit}").node_name, "explicit");
  setenv(kNodeNameVariable, "bad\nname", 1);
  auto bad = ParseConfig("", "test.yaml");
  unsetenv(kNodeNameVariable);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().ToString().find("IMAWATCH_NODE_NAME: must be UTF-8 text without control characters"),
            std::string::npos);
  EXPECT_EQ(Parse("").node_name, Hostname());
}

TEST(Config, TheKubernetesOverlayConfigsParse) {
  for (const std::string flavour : {"evm-sig", "content-only"}) {
    std::string text = testing::ReadFileOrDie(testing::SourceDir() + "/deploy/kubernetes/overlays/" +
                                              flavour + "/imawatch.yaml");
    const std::string path = testing::MakeTempDir("overlay-config") + "/imawatch.yaml";
    ASSERT_TRUE(Env::Default().WriteFileAtomically(path, text).ok());
    // As the DaemonSet runs it: the node's name in the environment.
    setenv(kNodeNameVariable, "worker-03", 1);
    auto c = LoadConfig(Env::Default(), path);
    unsetenv(kNodeNameVariable);
    ASSERT_TRUE(c.ok()) << flavour << ": " << c.error().ToString();
    EXPECT_EQ(c->node_name, "worker-03");
    EXPECT_EQ(c->securityfs, "/host-securityfs") << flavour;
    EXPECT_EQ(c->root, "/host") << flavour;
    EXPECT_EQ(c->certificates.size(), flavour == "evm-sig" ? 1u : 0u) << flavour;
    ASSERT_EQ(c->benchmarks.size(), 1u);
    EXPECT_TRUE(
        compliance::FindBenchmark(Env::Default(), c->benchmarks[0].id, testing::SourceDir() + "/benchmarks")
            .ok());
  }
}

TEST(Config, LoadConfigReportsMissingAndOversizedFiles) {
  auto missing = LoadConfig(Env::Default(), "/nonexistent/imawatch.yaml");
  ASSERT_FALSE(missing.ok());
  const std::string big = testing::MakeTempDir("config") + "/big.yaml";
  std::ofstream(big) << "# " << std::string(kMaxConfigBytes, 'x') << "\n";
  EXPECT_FALSE(LoadConfig(Env::Default(), big).ok());
}

TEST(Config, SinkOptionsParse) {
  DaemonConfig c = Parse(R"(
sinks:
  - type: webhook
    url: https://grc.example/hook
    headers: {X-Tenant: blue, X-Empty: ""}
    bearer_token_file: token
    ca_bundle: ca.pem
    client_cert: c.pem
    client_key: k.pem
    connect_timeout: 2s
    timeout: 30s
    backoff_initial: 200ms
    backoff_max: 1m
  - {type: file, dir: /spool, retention: 2d}
  - {type: syslog, address: "[::1]:601", format: json, facility: 4, app_name: ima}
)",
                         "/etc/imawatch/imawatch.yaml");
  const auto& w = std::get<sinks::WebhookOptions>(c.sinks[0].options);
  EXPECT_EQ(w.url, "https://grc.example/hook");
  EXPECT_EQ(w.headers,
            (std::vector<std::pair<std::string, std::string>>{{"X-Tenant", "blue"}, {"X-Empty", ""}}));
  EXPECT_EQ(w.bearer_token_file, "/etc/imawatch/token");
  EXPECT_EQ(w.ca_bundle, "/etc/imawatch/ca.pem");
  EXPECT_EQ(w.client_key, "/etc/imawatch/k.pem");
  EXPECT_EQ(w.connect_timeout, 2s);
  EXPECT_EQ(w.timeout, 30s);
  EXPECT_EQ(w.backoff.initial, 200ms);
  EXPECT_EQ(w.backoff.max, 1min);
  const auto& f = std::get<sinks::FileDropOptions>(c.sinks[1].options);
  EXPECT_EQ(f.dir, "/spool");
  EXPECT_EQ(f.retention, std::chrono::days(2));
  const auto& s = std::get<sinks::SyslogOptions>(c.sinks[2].options);
  EXPECT_EQ(s.host, "::1");
  EXPECT_EQ(s.port, 601);
  EXPECT_EQ(s.transport, sinks::SyslogOptions::Transport::kTcp);
  EXPECT_EQ(s.facility, 4);
  EXPECT_EQ(s.app_name, "ima");
}

TEST(Config, SinkOptionErrorsNameTheKeyAndPosition) {
  ExpectError("sinks:\n  - type: webhook\n", 2, 5,
              "sinks[0]: missing url (the receiver's http:// or https:// address)");
  ExpectError("sinks:\n  - {type: webhook, url: ftp://x}\n", 2, 26,
              "sinks[0].url: expected an http:// or https:// URL, got \"ftp://x\"");
  ExpectError("sinks:\n  - {type: webhook, url: 'https://'}\n", 2, 26,
              "sinks[0].url: expected a host after the scheme, got \"https://\"");
  ExpectError("sinks:\n  - {type: webhook, url: 'http://x', urll: y}\n", 2, 38,
              "sinks[0].urll: unknown key; did you mean sinks[0].url?");
  ExpectError("sinks:\n  - {type: webhook, url: 'http://x', folder: y}\n", 2, 38,
              "sinks[0].folder: unknown key (expected one of: type name url headers bearer_token_file ca_bundle "
              "client_cert client_key connect_timeout timeout backoff_initial backoff_max)");
  ExpectError("sinks:\n  - type: webhook\n    url: http://x\n    headers: {'bad name': v}\n", 4, 15,
              "sinks[0].headers: not an HTTP header name: \"bad name\"");
  ExpectError("sinks:\n  - type: webhook\n    url: http://x\n    headers: [a]\n", 4, 14,
              "sinks[0].headers: expected a mapping of header: value, got a sequence");
  ExpectError("sinks:\n  - type: webhook\n    url: http://x\n    headers: {Content-Type: text/plain}\n", 4,
              15, "sinks[0].headers.Content-Type: set by the sink itself");
  ExpectError(
      "sinks:\n  - type: webhook\n    url: http://x\n    headers: {Authorization: x}\n    bearer_token_file: "
      "t\n",
      5, 24, "sinks[0].bearer_token_file: headers already set Authorization; use one or the other");
  ExpectError("sinks:\n  - type: webhook\n    url: https://x\n    client_cert: c.pem\n", 4, 18,
              "sinks[0]: mTLS needs both client_cert and client_key; client_key is missing");
  ExpectError("sinks:\n  - type: webhook\n    url: http://x\n    ca_bundle: ca.pem\n", 4, 16,
              "sinks[0]: ca_bundle and client_cert need an https:// url");
  ExpectError("sinks:\n  - type: webhook\n    url: http://x\n    timeout: 10ms\n", 4, 14,
              "sinks[0].timeout: must be at least 100ms, got \"10ms\"");
  ExpectError("sinks:\n  - type: webhook\n    url: http://x\n    backoff_initial: 10s\n    backoff_max: 1s\n",
              5, 18, "sinks[0].backoff_max: must not be less than backoff_initial");
  ExpectError("sinks:\n  - {type: file}\n", 2, 5, "sinks[0]: missing dir (where the files are written)");
  ExpectError("sinks:\n  - {type: file, dir: d, retention: forever}\n", 2, 37,
              "sinks[0].retention: expected a duration like 5m, got \"forever\"");
  ExpectError("sinks:\n  - {type: syslog}\n", 2, 5,
              "sinks[0]: missing address (host:port of the syslog receiver)");
  ExpectError("sinks:\n  - {type: syslog, address: siem}\n", 2, 29, "sinks[0].address: expected host:port");
  ExpectError("sinks:\n  - {type: syslog, address: 'siem:0'}\n", 2, 29,
              "sinks[0].address: port 0 cannot be connected to");
  ExpectError("sinks:\n  - {type: syslog, address: 'siem:514', transport: udp}\n", 2, 52,
              "sinks[0].transport: expected tcp or tls, got \"udp\"");
  ExpectError("sinks:\n  - {type: syslog, address: 'siem:514', format: leef}\n", 2, 49,
              "sinks[0].format: expected json or cef, got \"leef\"");
  ExpectError("sinks:\n  - {type: syslog, address: 'siem:514', facility: 24}\n", 2, 51,
              "sinks[0].facility: must be 0-23, got \"24\"");
  ExpectError("sinks:\n  - {type: syslog, address: 'siem:514', ca_bundle: ca.pem}\n", 2, 52,
              "sinks[0]: ca_bundle and client_cert need transport: tls");
}

TEST(Config, TheDocListsEveryKey) {
  const std::string doc = testing::ReadFileOrDie(testing::SourceDir() + "/doc/config.md");
  for (const std::string& key : ConfigKeyPaths()) {
    EXPECT_NE(doc.find("`" + key + "`"), std::string::npos) << key << " is not in doc/config.md";
  }
}

}  // namespace
}  // namespace imawatch::daemon
