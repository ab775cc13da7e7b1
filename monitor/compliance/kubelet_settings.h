// The kubelet's effective settings, rebuilt only from attested files: its systemd unit and
// drop-ins (later drop-ins override; an empty ExecStart= resets), the environment files they
// name ($KUBELET_KUBEADM_ARGS from kubeadm-flags.env, $KUBELET_EXTRA_ARGS from
// /etc/default/kubelet), the flags of the expanded ExecStart, and the --config YAML file.
// A flag on the command line overrides the config file, as in the kubelet.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"
#include "monitor/compliance/attested_reader.h"
#include "monitor/compliance/evidence.h"
#include "monitor/compliance/setting_value.h"

namespace imawatch::compliance {

// A check's `files` for format kubelet: "*.service" entries are unit candidates in priority
// order (the first measured one is the unit), entries under "*.service.d/" are drop-in patterns;
// other entries (environment and config files) document the layout: the unit names the
// environment files and --config names the config file.
struct KubeletLayout {
  std::vector<std::string> units;
  std::vector<std::string> dropins;
};
KubeletLayout KubeletLayoutFromFiles(const std::vector<std::string>& files);

class KubeletSettings {
 public:
  static KubeletSettings Build(const KubeletLayout& layout, const Evidence& evidence, AttestedReader& reader);

  // Problems that make settings undecidable: files not measured, drifted, unreadable, or a unit
  // without exactly one ExecStart.
  const std::vector<FileProblem>& problems() const { return problems_; }
  const std::vector<std::string>& notes() const { return notes_; }
  // The unit, drop-ins and environment files read, and the --config file if asked for and read.
  std::vector<const MeasuredFile*> FilesUsed(bool with_config) const;

  // The flag's value from the rebuilt command line (last occurrence wins); with flag_key, the
  // item of a map-valued flag such as --feature-gates=Name=true (merged over occurrences).
  SettingValue Flag(std::string_view flag, std::string_view flag_key = {}) const;
  // Whether the kubelet runs with --config (settings then default to the config file's).
  bool config_mode() const { return !config_path_.empty(); }
  // A key of the --config file; unset without --config; an error if that file is not measured,
  // drifted or unreadable.
  Result<SettingValue> Config(std::string_view dotted_key) const;
  // Flag first, then the config file.
  Result<SettingValue> Effective(std::string_view dotted_key, std::string_view flag,
                                 std::string_view flag_key) const;

 private:
  struct FlagOccurrence {
    std::string name;  // "--anonymous-auth"
    std::string value;
    std::string origin;
  };
  std::vector<FlagOccurrence> flags_;
  std::string config_path_;  // as named by --config
  const MeasuredFile* config_file_ = nullptr;
  std::string config_text_;
  std::string config_problem_;
  std::vector<FileProblem> problems_;
  std::vector<std::string> notes_;
  std::vector<const MeasuredFile*> files_used_;
};

}  // namespace imawatch::compliance
