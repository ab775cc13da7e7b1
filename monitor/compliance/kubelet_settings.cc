#include "monitor/compliance/kubelet_settings.h"

#include <algorithm>
#include <set>

#include "monitor/compliance/config_files.h"
#include "monitor/compliance/path_glob.h"
#include "monitor/compliance/systemd_unit.h"
#include "monitor/compliance/yaml_setting.h"

namespace imawatch::compliance {
namespace {

// Boolean kubelet flags: pflag takes "--flag" alone as true and never consumes the next word
// as their value ("--anonymous-auth false" is true plus a stray argument).
bool IsBoolFlag(std::string_view name) {
  static const std::set<std::string, std::less<>> kBool = {
      "--anonymous-auth",
      "--make-iptables-util-chains",
      "--rotate-certificates",
      "--rotate-server-certificates",
      "--fail-swap-on",
      "--register-node",
      "--register-schedulable",
      "--enable-server",
      "--enable-debugging-handlers",
      "--enable-controller-attach-detach",
      "--cgroups-per-qos",
      "--protect-kernel-defaults",
      "--serialize-image-pulls",
      "--kernel-memcg-notification",
      "--keep-terminated-pod-volumes",
      "--exit-on-lock-contention",
      "--enable-load-reader",
      "--alsologtostderr",
      "--logtostderr",
      "--add-dir-header",
      "--skip-headers",
      "--skip-log-headers",
      "--one-output",
      "--help",
      "--version",
      "--containerized",
      "--experimental-check-node-capabilities-before-mount",
      "--fail-cgroupv1",
      "--seccomp-default",
      "--local-storage-capacity-isolation",
      "--register-with-taints-only",
  };
  return kBool.count(name) > 0;
}

// The kubelet normalizes flag names: underscores are dashes.
std::string NormalizeFlagName(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '_', '-');
  if (out.starts_with("-") && !out.starts_with("--")) out.insert(0, "-");
  return out;
}

}  // namespace

KubeletLayout KubeletLayoutFromFiles(const std::vector<std::string>& files) {
  KubeletLayout layout;
  for (const std::string& f : files) {
    if (f.find(".service.d/") != std::string::npos) {
      layout.dropins.push_back(f);
    } else if (f.ends_with(".service") && !IsGlob(f)) {
      layout.units.push_back(f);
    }
  }
  return layout;
}

KubeletSettings KubeletSettings::Build(const KubeletLayout& layout, const Evidence& evidence,
                                       AttestedReader& reader) {
  KubeletSettings s;
  auto read = [&](const MeasuredFile& m) -> const std::string* {
    const auto& outcome = reader.Read(m);
    if (const auto* problem = std::get_if<FileProblem>(&outcome)) {
      s.problems_.push_back(*problem);
      return nullptr;
    }
    s.files_used_.push_back(&m);
    return &std::get<AttestedText>(outcome).text;
  };

  const MeasuredFile* unit = nullptr;
  for (const std::string& candidate : layout.units) {
    if ((unit = evidence.Latest(candidate))) break;
  }
  if (!unit) {
    std::string names;
    for (const std::string& u : layout.units) names += (names.empty() ? "" : ", ") + u;
    s.problems_.push_back({FileProblem::kNotMeasured, layout.units.empty() ? "" : layout.units.front(),
                           "no evidence: no kubelet unit file (" + names + ") was measured this boot"});
    return s;
  }
  ServiceDirectives directives;
  if (const std::string* text = read(*unit)) ParseUnitFile(*text, unit->path, directives);

  ConfigFileSet dropins = ResolveConfigFiles(layout.dropins, evidence, reader, FileOrder::kDropInDirs);
  for (const MeasuredFile* d : dropins.files) {
    if (const std::string* text = read(*d)) ParseUnitFile(*text, d->path, directives);
  }
  for (const std::string& path : dropins.unmeasured_on_disk) {
    s.notes_.push_back(path +
                       " is on disk but was not measured this boot: systemd has not loaded it (or the IMA "
                       "policy does not cover it), so it is not part of the judged command line");
  }
  if (!s.problems_.empty()) return s;

  Environment env;
  for (const UnitDirective& d : directives.environment) ApplyEnvironmentDirective(d, env);
  // EnvironmentFile= settings override Environment= ones, files in the order named.
  for (const UnitDirective& d : directives.environment_files) {
    for (std::string name : SplitUnitWords(d.value)) {
      bool optional = !name.empty() && name.front() == '-';
      if (optional) name.erase(0, 1);
      std::string named_at = " (EnvironmentFile at " + LineOrigin(d.path, d.line) + ")";
      const MeasuredFile* m = evidence.Latest(name);
      if (!m) {
        if (optional && !reader.ExistsOnDisk(name)) {
          s.notes_.push_back("optional environment file " + name + " does not exist" + named_at);
          continue;
        }
        s.problems_.push_back(
            {FileProblem::kNotMeasured, name,
             "no evidence: environment file " + name + named_at + " was not measured this boot"});
        continue;
      }
      if (const std::string* text = read(*m)) ParseEnvironmentFile(*text, m->path, env);
    }
  }
  if (!s.problems_.empty()) return s;

  if (directives.exec_start.size() != 1) {
    s.problems_.push_back({FileProblem::kUnreadable, unit->path,
                           "the kubelet unit and its drop-ins define " +
                               std::to_string(directives.exec_start.size()) +
                               " ExecStart commands; systemd runs a simple service only with exactly one"});
    return s;
  }
  std::vector<CommandArg> args = ExpandExecStart(directives.exec_start.front(), env);
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& word = args[i].text;
    if (word.size() < 2 || word.front() != '-') continue;  // the kubelet takes no positional arguments
    size_t eq = word.find('=');
    std::string name = NormalizeFlagName(word.substr(0, eq));
    std::string origin = args[i].origin;
    std::string value;
    if (eq != std::string::npos) {
      value = word.substr(eq + 1);
    } else if (!IsBoolFlag(name) && i + 1 < args.size() && !args[i + 1].text.starts_with("-")) {
      value = args[++i].text;
    } else {
      value = "true";
    }
    s.flags_.push_back({name, value, origin});
  }

  // The config file matters only to lookups of its keys: a problem with it is kept for those.
  SettingValue config = s.Flag("--config");
  if (config.present) {
    s.config_path_ = config.text;
    const MeasuredFile* m = evidence.Latest(config.text);
    if (!m) {
      s.config_problem_ = "no evidence: the kubelet config file " + config.text + " (" + config.origin +
                          ") was not measured this boot";
      return s;
    }
    const auto& outcome = reader.Read(*m);
    if (const auto* problem = std::get_if<FileProblem>(&outcome)) {
      s.config_problem_ = problem->message;
    } else {
      s.config_file_ = m;
      s.config_text_ = std::get<AttestedText>(outcome).text;
    }
  }
  return s;
}

SettingValue KubeletSettings::Flag(std::string_view flag, std::string_view flag_key) const {
  std::string name = NormalizeFlagName(flag);
  SettingValue found;
  for (const FlagOccurrence& f : flags_) {
    if (f.name != name) continue;
    if (flag_key.empty()) {
      found = SettingValue::Scalar(f.value, f.name + "=" + f.value + " in " + f.origin);
      continue;
    }
    // "Name=true,Other=false": the last assignment of the key across occurrences wins.
    size_t pos = 0;
    while (pos <= f.value.size()) {
      size_t comma = f.value.find(',', pos);
      if (comma == std::string::npos) comma = f.value.size();
      std::string item = f.value.substr(pos, comma - pos);
      pos = comma + 1;
      size_t eq = item.find('=');
      if (eq != std::string::npos && item.substr(0, eq) == flag_key) {
        found = SettingValue::Scalar(item.substr(eq + 1), f.name + "=" + item + " in " + f.origin);
      }
    }
  }
  return found;
}

Result<SettingValue> KubeletSettings::Config(std::string_view dotted_key) const {
  if (config_path_.empty() || dotted_key.empty()) return SettingValue::Unset();
  if (!config_problem_.empty()) return InvalidInput(config_problem_);
  return LookupYamlSetting(config_text_, config_file_->path, dotted_key);
}

std::vector<const MeasuredFile*> KubeletSettings::FilesUsed(bool with_config) const {
  std::vector<const MeasuredFile*> out = files_used_;
  if (with_config && config_file_) out.push_back(config_file_);
  return out;
}

Result<SettingValue> KubeletSettings::Effective(std::string_view dotted_key, std::string_view flag,
                                                std::string_view flag_key) const {
  if (!flag.empty()) {
    SettingValue v = Flag(flag, flag_key);
    if (v.present) return v;
  }
  return Config(dotted_key);
}

}  // namespace imawatch::compliance
