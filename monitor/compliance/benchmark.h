// A CIS benchmark as data (benchmarks/*.yaml, doc/benchmark-format.md): recommendations, each
// with the checks that decide it from IMA evidence, or the reason another evidence source is
// needed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"

namespace imawatch::compliance {

enum class CheckKind {
  kDigestAllowed,    // latest measured digest of each file is in the allow lists
  kMetadata,         // owner/group/mode from evm-sig iuid/igid/imode
  kConfigValue,      // a setting in measured files, read from content that hashes to the log's digest
  kModuleLoaded,     // a MODULE_CHECK entry names the module
  kModuleNotLoaded,  // no MODULE_CHECK entry names it (policy must measure module loads)
  kMeasured,         // the file was measured this boot (e.g. a daemon's binary was executed)
  kManual,           // needs an evidence source IMA does not provide
};
std::string_view CheckKindName(CheckKind kind);
std::optional<CheckKind> CheckKindFromName(std::string_view name);

enum class ConfigFormat {
  kKubelet,   // kubelet flags rebuilt from its systemd unit, drop-ins and env files + --config YAML
  kYaml,      // a YAML document, dotted key path
  kSshd,      // sshd_config: first value wins, Include, Match blocks
  kSysctl,    // sysctl.d: systemd-sysctl file order, last assignment wins
  kModprobe,  // modprobe.d: "install <module> <cmd>", "blacklist <module>"
  kKeyValue,  // "key = value" / "key value" lines (auditd.conf, login.defs, journald.conf)
  kLines,     // the key is a regular expression; the value is the first matching line
};
std::string_view ConfigFormatName(ConfigFormat format);
std::optional<ConfigFormat> ConfigFormatFromName(std::string_view name);

enum class ValueType { kString, kBool, kInt, kDuration, kList };
std::string_view ValueTypeName(ValueType type);
std::optional<ValueType> ValueTypeFromName(std::string_view name);

// What a found value must satisfy; every present member must hold.
struct Expectation {
  std::optional<std::string> equals, not_equals, matches;
  std::optional<std::vector<std::string>> one_of, none_of, subset_of;
  std::optional<std::string> contains, not_contains;  // element of a list value
  std::optional<double> min, max;
  std::optional<bool> set;  // the setting must (true) or must not (false) be present

  std::string Describe() const;
};

// Where a metadata/digest check takes its file from a kubelet setting (the CA file named by
// authentication.x509.clientCAFile / --client-ca-file), before its listed alternatives.
struct PathFromSetting {
  std::vector<std::string> files;  // the kubelet unit layout, as for a kubelet config-value check
  std::string setting;             // kubelet config key, may be empty
  std::string flag;                // kubelet flag, may be empty
};

enum class Selection { kAll, kFirst };  // which measured files of `files` a check judges
enum class WhenAbsent { kError, kNotApplicable };

struct Check {
  CheckKind kind = CheckKind::kManual;
  Position where;
  std::vector<std::string> files;  // paths or patterns (path_glob.h)
  Selection select = Selection::kAll;
  WhenAbsent absent = WhenAbsent::kError;
  // metadata
  std::vector<std::string> owner, group;  // any of (names or numeric ids)
  std::optional<uint16_t> mode_max;       // "or more restrictive": no bit outside this mask
  std::optional<PathFromSetting> path_from;
  // config-value
  ConfigFormat format = ConfigFormat::kKeyValue;
  std::string key;
  std::string flag;      // kubelet: the command-line flag for the same setting
  std::string flag_key;  // kubelet: item of a map-valued flag (--feature-gates=Name=true)
  ValueType type = ValueType::kString;
  Expectation expect;
  std::optional<std::string> default_value;  // product default when unset (kubelet: config-file mode)
  std::optional<std::string> flag_default;   // kubelet: default when it runs without --config
  std::optional<bool> unset_passes;          // the benchmark's own verdict for an unset value
  bool sensitive = false;                    // never put the found value in a report
  // module-loaded / module-not-loaded
  std::string module;
  // manual
  std::string source, reason;
  std::string note;  // optional remark carried into the result
};

enum class Assessment { kAutomated, kManual };
enum class Logic { kAll, kAny };

struct Recommendation {
  std::string id, title, section;
  std::optional<int> level;
  std::vector<std::string> profiles;
  Assessment assessment = Assessment::kAutomated;
  Logic logic = Logic::kAll;
  std::vector<Check> checks;
  std::string remediation;
  std::string compensating_control;  // why IMA evidence meets the intent of a different control
  Position where;
};

struct Profile {
  std::string id, title;
  std::optional<int> level;
};

struct Section {
  std::string id, title;
};

struct Benchmark {
  std::string id, title, version, source;
  std::string file;  // where it was loaded from
  std::vector<Profile> profiles;
  std::vector<Section> sections;
  std::vector<Recommendation> recommendations;

  const Recommendation* Find(std::string_view rec_id) const;
  const Section* FindSection(std::string_view section_id) const;
};

}  // namespace imawatch::compliance
