// The daemon's YAML config (doc/config.md lists every key). Parsing is strict: unknown keys,
// wrong types and out-of-range values are errors naming the key path, with line and column.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/env.h"
#include "monitor/base/result.h"
#include "monitor/daemon/logger.h"
#include "monitor/ima/hash_algo.h"
#include "reporters/sinks/sink_options.h"

namespace imawatch::daemon {

inline constexpr uint64_t kMaxConfigBytes = 1 << 20;
// Overrides the host name as node.name's default (a DaemonSet sets it from spec.nodeName).
inline constexpr const char* kNodeNameVariable = "IMAWATCH_NODE_NAME";

struct BenchmarkConfig {
  std::string id;  // benchmark.id in benchmarks/*.yaml, e.g. "cis-kubernetes-v1.7.1"
  std::optional<int> level;
  std::optional<std::string> profile;
  Position where;  // of the entry in the config, for "no such benchmark" errors found later
};

struct RetentionConfig {
  std::chrono::seconds verdict_history{std::chrono::days(30)};
  std::chrono::seconds resolved_findings{std::chrono::days(90)};
  std::chrono::seconds quotes{std::chrono::days(7)};
  size_t report_snapshots = 50;
  std::chrono::seconds delivered_outbox{std::chrono::days(7)};
};

struct SinkConfig {
  std::string type;  // webhook | file | syslog
  std::string name;  // unique; defaults to the type
  sinks::SinkOptions options;  // the type's own keys
  Position where;              // of the sink's mapping in the config
};

struct DaemonConfig {
  std::string node_name;                            // node.name; default: hostname
  std::string securityfs = "/sys/kernel/security";  // ima.securityfs
  std::string root = "/";                           // node.root: where the node's files are read
  std::string tcti = "device:/dev/tpmrm0";          // tpm.tcti
  std::vector<ima::HashAlgo> banks;                 // tpm.banks; empty = every active bank
  std::string ak_context;                           // tpm.ak_context; empty = no quotes
  std::chrono::milliseconds quote_interval{std::chrono::minutes(5)};  // tpm.quote_interval
  std::chrono::milliseconds poll_interval{1000};                      // ima.poll_interval
  std::vector<uint32_t> ima_pcrs{10};                                 // ima.pcrs
  std::chrono::milliseconds extend_grace{1000};                       // ima.extend_grace
  bool measures_module_loads = false;                                 // ima.measures_module_loads
  // ima.recheck_list: re-hash the list read so far at every poll, to see entries edited in
  // place. The kernel's securityfs list cannot be edited, so auto does it only elsewhere.
  enum class RecheckList { kAuto, kAlways, kNever } recheck_list = RecheckList::kAuto;
  std::vector<std::string> allow_lists;     // appraisal.allow_lists
  std::vector<std::string> certificates;    // appraisal.certificates
  std::string benchmarks_dir;               // benchmarks.dir; default compliance::DefaultBenchmarksDir()
  std::vector<BenchmarkConfig> benchmarks;  // benchmarks.enabled
  std::string store_path = "/var/lib/imawatch/imawatch.db";  // store.path
  RetentionConfig retention;                                 // store.retention.*
  std::string http_listen = "127.0.0.1:9464";                // http.listen; "" disables
  std::string token_file;              // http.token_file; empty = /v1 disabled (401 always)
  bool metrics_require_token = false;  // http.metrics_require_token
  enum class AuditSourceKind {
    kNone,
    kAuto,
    kNetlink,
    kFile
  } audit_source = AuditSourceKind::kAuto;             // audit.source
  std::string audit_log = "/var/log/audit/audit.log";  // audit.file
  bool watch_enabled = true;                           // watch.enabled
  std::chrono::milliseconds watch_debounce{500};       // watch.debounce
  LogFormat log_format = LogFormat::kJson;             // log.format
  LogLevel log_level = LogLevel::kInfo;                // log.level
  std::vector<SinkConfig> sinks;                       // sinks
};

// source_name names the input in errors; relative paths resolve against its directory.
Result<DaemonConfig> ParseConfig(std::string_view yaml_text, std::string source_name);
Result<DaemonConfig> LoadConfig(Env& env, const std::string& path);

// Every key path ("tpm.tcti", "benchmarks.enabled[].level", "sinks[].type"), for the doc's test.
std::vector<std::string> ConfigKeyPaths();

}  // namespace imawatch::daemon
