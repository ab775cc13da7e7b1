#include "monitor/compliance/evaluator.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "monitor/compliance/attested_reader.h"
#include "monitor/compliance/config_files.h"
#include "monitor/compliance/expectation_eval.h"
#include "monitor/compliance/key_value_conf.h"
#include "monitor/compliance/kubelet_settings.h"
#include "monitor/compliance/modprobe_conf.h"
#include "monitor/compliance/path_glob.h"
#include "monitor/compliance/safe_regex.h"
#include "monitor/compliance/sshd_config.h"
#include "monitor/compliance/sysctl_conf.h"
#include "monitor/compliance/value_parse.h"
#include "monitor/compliance/yaml_setting.h"

namespace imawatch::compliance {
namespace {

constexpr size_t kMaxPassingRefs = 20;  // a digest check over /usr/bin/** may cover thousands

std::string JoinPaths(const std::vector<std::string>& paths) {
  std::string out;
  for (const std::string& p : paths) out += (out.empty() ? "" : ", ") + p;
  return out;
}

std::string OctalMode(uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

EvidenceRef RefOf(const MeasuredFile& m) {
  return {.path = m.path,
          .entry_index = m.entry_index,
          .digest = std::string(ima::Name(m.file_digest.algo)) + ":" + m.file_digest.hex(),
          .template_name = m.template_name,
          .pcr = m.pcr,
          .bank_proof = m.bank_proof ? *m.bank_proof : std::string(),
          .uid = m.uid,
          .gid = m.gid,
          .mode = m.mode};
}

// Ids for owner/group names, from the node's /etc/passwd or /etc/group ("root" is always 0).
class IdResolver {
 public:
  IdResolver(AttestedReader& reader, std::string db) : reader_(reader), db_(std::move(db)) {}

  // The ids the names stand for; unresolvable names are listed in `unknown`.
  std::set<uint32_t> Resolve(const std::vector<std::string>& names, std::vector<std::string>& unknown) {
    std::set<uint32_t> ids;
    for (const std::string& name : names) {
      if (auto n = ParseInteger(name); n && *n >= 0) {
        ids.insert(static_cast<uint32_t>(*n));
      } else if (name == "root") {
        ids.insert(0);
      } else if (auto it = Table().find(name); it != Table().end()) {
        ids.insert(it->second);
      } else {
        unknown.push_back(name);
      }
    }
    return ids;
  }
  std::string NameOf(uint32_t id) {
    for (const auto& [name, value] : Table()) {
      if (value == id) return name;
    }
    return id == 0 ? "root" : std::to_string(id);
  }

 private:
  const std::map<std::string, uint32_t>& Table() {
    if (!loaded_) {
      loaded_ = true;
      auto text = reader_.env().ReadFile(reader_.HostPath(db_), kMaxConfigFileBytes);
      if (text) {
        size_t pos = 0;
        while (pos < text->size()) {
          size_t end = text->find('\n', pos);
          if (end == std::string::npos) end = text->size();
          std::string line = text->substr(pos, end - pos);
          pos = end + 1;
          size_t c1 = line.find(':');
          size_t c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
          size_t c3 = c2 == std::string::npos ? c2 : line.find(':', c2 + 1);
          if (c3 == std::string::npos) continue;
          auto id = ParseInteger(line.substr(c2 + 1, c3 - c2 - 1));
          if (id && *id >= 0) table_.emplace(line.substr(0, c1), static_cast<uint32_t>(*id));
        }
      }
    }
    return table_;
  }

  AttestedReader& reader_;
  std::string db_;
  bool loaded_ = false;
  std::map<std::string, uint32_t> table_;
};

// State of one Evaluate call: attested reads and rebuilt kubelet settings are shared by checks.
class Run {
 public:
  Run(Env& env, const std::string& root, const DigestLookup* lookup, const Evidence& evidence)
      : reader_(env, root),
        lookup_(lookup),
        ev_(evidence),
        users_(reader_, "/etc/passwd"),
        groups_(reader_, "/etc/group") {}

  CheckResult Evaluate(const Check& c) {
    CheckResult r;
    r.kind = c.kind;
    r.message = c.note;
    switch (c.kind) {
      case CheckKind::kManual:
        r.verdict = Verdict::kManual;
        r.message = "needs " + c.source + ": " + c.reason;
        return r;
      case CheckKind::kModuleLoaded:
      case CheckKind::kModuleNotLoaded:
        return Module(c, std::move(r));
      case CheckKind::kConfigValue:
        return ConfigValue(c, std::move(r));
      case CheckKind::kMetadata:
      case CheckKind::kDigestAllowed:
      case CheckKind::kMeasured:
        return FileCheck(c, std::move(r));
    }
    return r;
  }

 private:
  static CheckResult Finish(CheckResult r, Verdict v, std::string message) {
    r.verdict = v;
    if (message.empty()) return r;  // the check's note, if any, stays the message
    r.message = r.message.empty() ? std::move(message) : std::move(message) + " (" + r.message + ")";
    return r;
  }

  const KubeletSettings& Kubelet(const std::vector<std::string>& files) {
    std::string key = JoinPaths(files);
    auto it = kubelet_.find(key);
    if (it == kubelet_.end()) {
      it = kubelet_.emplace(key, KubeletSettings::Build(KubeletLayoutFromFiles(files), ev_, reader_)).first;
    }
    return it->second;
  }

  static std::string ProblemText(const std::vector<FileProblem>& problems) {
    std::string out;
    for (const FileProblem& p : problems) out += (out.empty() ? "" : "; ") + p.message;
    return out;
  }

  CheckResult Module(const Check& c, CheckResult r) {
    std::vector<const MeasuredFile*> entries = ev_.ModuleEntries(c.module);
    for (const MeasuredFile* m : entries) r.evidence.push_back(RefOf(*m));
    bool loaded = !entries.empty();
    bool want_loaded = c.kind == CheckKind::kModuleLoaded;
    r.expected = c.module + (want_loaded ? " loaded" : " not loaded") + " this boot";
    if (loaded) {
      r.found = c.module + " loaded (MODULE_CHECK entry " + std::to_string(entries.front()->entry_index) +
                ": " + entries.front()->path + ")";
      return Finish(std::move(r), want_loaded ? Verdict::kPass : Verdict::kFail,
                    want_loaded ? "" : c.module + " was loaded this boot");
    }
    if (!ev_.measures_module_loads()) {
      return Finish(
          std::move(r), Verdict::kError,
          "no evidence: the IMA policy in effect does not measure module loads (MODULE_CHECK), so the "
          "absence of an entry for " +
              c.module + " proves nothing");
    }
    r.found = "no MODULE_CHECK entry for " + c.module;
    return Finish(std::move(r), want_loaded ? Verdict::kFail : Verdict::kPass,
                  want_loaded ? c.module + " was not loaded this boot" : "");
  }

  // The measured files a metadata/digest/measured check judges, or a finished result.
  std::vector<const MeasuredFile*> Targets(const Check& c, CheckResult& r, std::optional<CheckResult>& done) {
    std::vector<std::string> patterns = c.files;
    if (c.path_from) {
      const KubeletSettings& k = Kubelet(c.path_from->files);
      if (!k.problems().empty()) {
        done = Finish(std::move(r), Verdict::kError,
                      "cannot tell which file the kubelet uses: " + ProblemText(k.problems()));
        return {};
      }
      auto named = k.Effective(c.path_from->setting, c.path_from->flag, {});
      if (!named) {
        done = Finish(std::move(r), Verdict::kError, named.error().ToString());
        return {};
      }
      for (const MeasuredFile* m : k.FilesUsed(!c.path_from->setting.empty()))
        r.evidence.push_back(RefOf(*m));
      if (named->present) {
        patterns = {named->text};
        r.notes.push_back("file named by " + named->origin);
      } else if (!patterns.empty()) {
        r.notes.push_back("the kubelet does not name the file; judging the usual locations");
      }
    }
    std::vector<const MeasuredFile*> out;
    std::set<const MeasuredFile*> seen;
    for (const std::string& p : patterns) {
      for (const MeasuredFile* m : ev_.Matching(p)) {
        if (seen.insert(m).second) out.push_back(m);
      }
      if (c.select == Selection::kFirst && !out.empty()) break;
    }
    if (!out.empty()) return out;
    std::vector<std::string> on_disk;
    for (const std::string& p : patterns) {
      if (!IsGlob(p)) {
        if (reader_.ExistsOnDisk(p)) on_disk.push_back(p);
      } else if (!IsGlob(DirName(p))) {
        for (const std::string& name : reader_.ListOnDisk(DirName(p))) {
          if (GlobMatch(BaseName(p), name)) on_disk.push_back(DirName(p) + "/" + name);
        }
      }
    }
    if (!on_disk.empty()) {
      done = Finish(std::move(r), Verdict::kError,
                    "no evidence: " + JoinPaths(on_disk) + " exists on disk but was not measured this boot");
    } else if (c.absent == WhenAbsent::kNotApplicable) {
      done = Finish(std::move(r), Verdict::kNotApplicable,
                    "none of " + JoinPaths(patterns) +
                        " was measured this boot or exists on disk: the recommendation "
                        "applies only to a file in use");
    } else {
      done = Finish(std::move(r), Verdict::kError,
                    "no evidence: none of " + JoinPaths(patterns) + " was measured this boot");
    }
    return {};
  }

  CheckResult FileCheck(const Check& c, CheckResult r) {
    std::optional<CheckResult> done;
    std::vector<const MeasuredFile*> files = Targets(c, r, done);
    if (done) return std::move(*done);
    switch (c.kind) {
      case CheckKind::kMeasured:
        r.expected = "measured this boot";
        for (const MeasuredFile* m : files) r.evidence.push_back(RefOf(*m));
        r.found = "measured: " + files.front()->path + " (entry " +
                  std::to_string(files.front()->entry_index) + ")";
        return Finish(std::move(r), Verdict::kPass, "");
      case CheckKind::kMetadata:
        return Metadata(c, std::move(r), files);
      default:
        return DigestAllowed(std::move(r), files);
    }
  }

  CheckResult Metadata(const Check& c, CheckResult r, const std::vector<const MeasuredFile*>& files) {
    std::vector<std::string> unknown;
    std::set<uint32_t> owners = users_.Resolve(c.owner, unknown);
    std::set<uint32_t> group_ids = groups_.Resolve(c.group, unknown);
    std::string expected;
    if (c.mode_max) expected = "mode " + OctalMode(*c.mode_max) + " or more restrictive";
    if (!c.owner.empty())
      expected += (expected.empty() ? "" : ", ") + std::string("owner ") + JoinPaths(c.owner);
    if (!c.group.empty())
      expected += (expected.empty() ? "" : ", ") + std::string("group ") + JoinPaths(c.group);
    r.expected = expected;
    if ((!c.owner.empty() && owners.empty()) || (!c.group.empty() && group_ids.empty())) {
      return Finish(std::move(r), Verdict::kError, "cannot resolve " + JoinPaths(unknown) + " on this node");
    }
    std::vector<std::string> failures, found;
    bool missing_metadata = false;
    std::string template_name;
    for (const MeasuredFile* m : files) {
      r.evidence.push_back(RefOf(*m));
      if (!m->uid || !m->gid || !m->mode) {
        missing_metadata = true;
        template_name = m->template_name;
        continue;
      }
      std::string desc = m->path + ": mode " + OctalMode(*m->mode) + " owner " + users_.NameOf(*m->uid) +
                         " group " + groups_.NameOf(*m->gid);
      found.push_back(desc);
      std::vector<std::string> why;
      if (c.mode_max && (*m->mode & 07777 & ~*c.mode_max)) why.push_back("mode " + OctalMode(*m->mode));
      if (!c.owner.empty() && !owners.count(*m->uid)) why.push_back("owner uid " + std::to_string(*m->uid));
      if (!c.group.empty() && !group_ids.count(*m->gid))
        why.push_back("group gid " + std::to_string(*m->gid));
      if (!why.empty()) failures.push_back(m->path + ": " + JoinPaths(why));
    }
    r.found = JoinPaths(found);
    if (!failures.empty()) return Finish(std::move(r), Verdict::kFail, JoinPaths(failures));
    if (missing_metadata) {
      return Finish(std::move(r), Verdict::kManual,
                    "the " + template_name +
                        " template records no owner, group or mode: needs the evm-sig template "
                        "(iuid/igid/imode, kernel 5.14 or later)");
    }
    return Finish(std::move(r), Verdict::kPass, "");
  }

  CheckResult DigestAllowed(CheckResult r, const std::vector<const MeasuredFile*>& files) {
    r.expected = "every measured digest is in the allow lists";
    if (!lookup_)
      return Finish(std::move(r), Verdict::kError, "no allow list is configured to judge digests");
    std::vector<std::string> failures;
    size_t passing_refs = 0, allowed = 0;
    for (const MeasuredFile* m : files) {
      DigestVerdict v = lookup_->Lookup(m->path, m->file_digest);
      if (v.status == DigestStatus::kAllowed) {
        ++allowed;
        if (passing_refs++ < kMaxPassingRefs) r.evidence.push_back(RefOf(*m));
        continue;
      }
      r.evidence.push_back(RefOf(*m));
      failures.push_back(m->path + " " + std::string(ima::Name(m->file_digest.algo)) + ":" +
                         m->file_digest.hex() +
                         (v.status == DigestStatus::kDenied ? " is denied" : " is in no allow list") +
                         (v.detail.empty() ? "" : " (" + v.detail + ")"));
    }
    r.found = std::to_string(allowed) + " of " + std::to_string(files.size()) + " measured files allowed";
    if (!failures.empty()) return Finish(std::move(r), Verdict::kFail, JoinPaths(failures));
    return Finish(std::move(r), Verdict::kPass, "");
  }

  // Attested texts of files, in order; problems are collected instead.
  std::vector<const AttestedText*> ReadAll(const std::vector<const MeasuredFile*>& files,
                                           std::vector<FileProblem>& problems, CheckResult& r) {
    std::vector<const AttestedText*> out;
    for (const MeasuredFile* m : files) {
      const auto& outcome = reader_.Read(*m);
      r.evidence.push_back(RefOf(*m));
      if (const auto* p = std::get_if<FileProblem>(&outcome)) {
        problems.push_back(*p);
      } else {
        out.push_back(&std::get<AttestedText>(outcome));
      }
    }
    return out;
  }

  CheckResult ConfigValue(const Check& c, CheckResult r) {
    r.expected = (c.key.empty() ? c.flag : c.key) + (c.key.empty() || c.flag.empty() ? "" : " / " + c.flag) +
                 ": " + c.expect.Describe();
    if (c.format == ConfigFormat::kKubelet) return KubeletValue(c, std::move(r));

    ConfigFileSet set;
    if (c.format == ConfigFormat::kYaml || c.format == ConfigFormat::kSshd) {
      // One main file: the first listed alternative that was measured.
      for (const std::string& p : c.files) {
        std::vector<const MeasuredFile*> m = ev_.Matching(p);
        if (!m.empty()) {
          set.files.push_back(m.front());
          break;
        }
      }
    } else {
      bool drop_ins = c.format == ConfigFormat::kSysctl || c.format == ConfigFormat::kModprobe;
      set = ResolveConfigFiles(c.files, ev_, reader_, drop_ins ? FileOrder::kDropInDirs : FileOrder::kListed);
    }
    for (const std::string& path : set.unmeasured_on_disk) {
      r.notes.push_back(path + " is on disk but was not measured this boot: not judged");
    }
    if (set.files.empty()) {
      return Finish(std::move(r), Verdict::kError,
                    "no evidence: none of " + JoinPaths(c.files) + " was measured this boot");
    }
    std::vector<FileProblem> problems;
    std::vector<const AttestedText*> texts = ReadAll(set.files, problems, r);

    SettingValue value;
    std::vector<SshdMatchSetting> match_values;
    bool ci = c.format == ConfigFormat::kSshd || c.format == ConfigFormat::kKeyValue;
    switch (c.format) {
      case ConfigFormat::kSysctl:
      case ConfigFormat::kModprobe:
      case ConfigFormat::kKeyValue: {
        std::map<std::string, SettingValue> settings;
        for (const AttestedText* t : texts) {
          if (c.format == ConfigFormat::kSysctl) ParseSysctlConf(t->text, t->measurement->path, settings);
          if (c.format == ConfigFormat::kModprobe) ParseModprobeConf(t->text, t->measurement->path, settings);
          if (c.format == ConfigFormat::kKeyValue) ParseKeyValueConf(t->text, t->measurement->path, settings);
        }
        std::string key = c.format == ConfigFormat::kSysctl     ? NormalizeSysctlKey(c.key)
                          : c.format == ConfigFormat::kModprobe ? NormalizeModprobeKey(c.key)
                                                                : c.key;
        if (auto it = settings.find(key); it != settings.end()) value = it->second;
        break;
      }
      case ConfigFormat::kLines:
        value = FirstMatchingLine(c.key, texts);
        break;
      case ConfigFormat::kYaml:
        if (!texts.empty()) {
          auto v = LookupYamlSetting(texts.front()->text, texts.front()->measurement->path, c.key);
          if (!v) return Finish(std::move(r), Verdict::kError, v.error().ToString());
          value = *v;
        }
        break;
      case ConfigFormat::kSshd:
        if (!texts.empty()) {
          SshdConfig config;
          ParseSshdConfig(
              texts.front()->text, texts.front()->measurement->path,
              [&](const std::string& pattern) { return SshdInclude(pattern, problems, r); }, config);
          std::string keyword = Lower(c.key);
          if (auto it = config.global.find(keyword); it != config.global.end()) value = it->second;
          if (auto it = config.in_matches.find(keyword); it != config.in_matches.end())
            match_values = it->second;
        }
        break;
      case ConfigFormat::kKubelet:
        break;
    }
    if (!problems.empty()) return Finish(std::move(r), Verdict::kError, ProblemText(problems));
    if (c.format == ConfigFormat::kSshd) value = SshdListValue(c, std::move(value));

    Judgement j = JudgeSetting(c, value, c.default_value, ci);
    r.found = j.found;
    if (!j.ok) return Finish(std::move(r), Verdict::kFail, j.detail);
    for (SshdMatchSetting& m : match_values) {
      Judgement mj = JudgeSetting(c, SshdListValue(c, std::move(m.value)), c.default_value, ci);
      r.found += "; in Match " + m.criteria + ": " + mj.found;
      if (!mj.ok) return Finish(std::move(r), Verdict::kFail, "in Match " + m.criteria + ": " + mj.detail);
    }
    return Finish(std::move(r), Verdict::kPass, "");
  }

  // sshd list keywords (Ciphers, MACs, KexAlgorithms) may modify the default list: "+x" appends,
  // "-x" removes (wildcards allowed), "^x" puts x first.
  static SettingValue SshdListValue(const Check& c, SettingValue v) {
    if (!v.present || c.type != ValueType::kList || !c.default_value || v.text.empty()) return v;
    char op = v.text.front();
    if (op != '+' && op != '-' && op != '^') return v;
    std::vector<std::string> base = SplitList(*c.default_value), change = SplitList(v.text.substr(1));
    std::vector<std::string> result;
    if (op == '+') {
      result = base;
      result.insert(result.end(), change.begin(), change.end());
    } else if (op == '^') {
      result = change;
      result.insert(result.end(), base.begin(), base.end());
    } else {
      for (const std::string& b : base) {
        bool removed = std::any_of(change.begin(), change.end(),
                                   [&](const std::string& pat) { return GlobMatch(pat, b); });
        if (!removed) result.push_back(b);
      }
    }
    v.is_list = true;
    v.items = result;
    v.text.clear();
    for (const std::string& s : result) v.text += (v.text.empty() ? "" : ",") + s;
    v.origin += ", applied to the default list";
    return v;
  }

  std::vector<IncludedText> SshdInclude(const std::string& pattern, std::vector<FileProblem>& problems,
                                        CheckResult& r) {
    ConfigFileSet set = ResolveConfigFiles({pattern}, ev_, reader_, FileOrder::kListed);
    for (const std::string& path : set.unmeasured_on_disk) {
      r.notes.push_back(path + " (Include " + pattern +
                        ") is on disk but was not measured this boot: not judged");
    }
    std::vector<IncludedText> out;
    for (const AttestedText* t : ReadAll(set.files, problems, r))
      out.push_back({t->measurement->path, t->text});
    return out;
  }

  static SettingValue FirstMatchingLine(const std::string& pattern,
                                        const std::vector<const AttestedText*>& texts) {
    auto re = CompileRegex(pattern);
    if (!re) return {};
    for (const AttestedText* t : texts) {
      uint32_t line_no = 0;
      size_t pos = 0;
      while (pos <= t->text.size()) {
        size_t end = t->text.find('\n', pos);
        if (end == std::string::npos) end = t->text.size();
        std::string_view line(t->text.data() + pos, end - pos);
        ++line_no;
        pos = end + 1;
        std::string_view trimmed = Trim(line);
        if (trimmed.empty() || trimmed.front() == '#') continue;
        if (SearchLine(*re, line)) {
          return SettingValue::Scalar(std::string(trimmed), LineOrigin(t->measurement->path, line_no));
        }
      }
    }
    return {};
  }

  CheckResult KubeletValue(const Check& c, CheckResult r) {
    const KubeletSettings& k = Kubelet(c.files);
    for (const MeasuredFile* m : k.FilesUsed(!c.key.empty())) r.evidence.push_back(RefOf(*m));
    r.notes.insert(r.notes.end(), k.notes().begin(), k.notes().end());
    if (!k.problems().empty()) return Finish(std::move(r), Verdict::kError, ProblemText(k.problems()));
    auto value = k.Effective(c.key, c.flag, c.flag_key);
    if (!value) return Finish(std::move(r), Verdict::kError, value.error().ToString());
    std::optional<std::string> default_value = c.default_value;
    if (!k.config_mode() && c.flag_default) default_value = c.flag_default;
    Judgement j = JudgeSetting(c, *value, default_value, false);
    r.found = j.found;
    if (!value->present && default_value) {
      r.found += k.config_mode() ? " (config-file mode)" : " (no --config: command-line default)";
    }
    return Finish(std::move(r), j.ok ? Verdict::kPass : Verdict::kFail, j.detail);
  }

  AttestedReader reader_;
  const DigestLookup* lookup_;
  const Evidence& ev_;
  IdResolver users_, groups_;
  std::map<std::string, KubeletSettings> kubelet_;
};

}  // namespace

Verdict CombineVerdicts(Logic logic, const std::vector<CheckResult>& checks) {
  auto any = [&](Verdict v) {
    return std::any_of(checks.begin(), checks.end(), [v](const CheckResult& c) { return c.verdict == v; });
  };
  if (logic == Logic::kAny && any(Verdict::kPass)) return Verdict::kPass;
  if (logic == Logic::kAll && any(Verdict::kFail)) return Verdict::kFail;
  if (any(Verdict::kError)) return Verdict::kError;
  if (any(Verdict::kManual)) return Verdict::kManual;
  if (any(Verdict::kFail)) return Verdict::kFail;
  if (any(Verdict::kPass)) return Verdict::kPass;
  return Verdict::kNotApplicable;
}

Evaluator::Evaluator(Env& env, std::string root, const DigestLookup* lookup)
    : env_(env), root_(std::move(root)), lookup_(lookup) {}

Report Evaluator::Evaluate(const Benchmark& benchmark, const Evidence& evidence) const {
  Report report{.benchmark_id = benchmark.id,
                .benchmark_title = benchmark.title,
                .benchmark_version = benchmark.version};
  Run run(env_, root_, lookup_, evidence);
  for (const Recommendation& rec : benchmark.recommendations) {
    RecommendationResult res{.id = rec.id,
                             .title = rec.title,
                             .section = rec.section,
                             .level = rec.level,
                             .profiles = rec.profiles,
                             .assessment = rec.assessment,
                             .remediation = rec.remediation,
                             .compensating_control = rec.compensating_control};
    for (const Check& c : rec.checks) res.checks.push_back(run.Evaluate(c));
    res.verdict = CombineVerdicts(rec.logic, res.checks);
    for (const CheckResult& c : res.checks) {
      if (c.verdict == res.verdict && !c.message.empty()) {
        res.reason = c.message;
        break;
      }
    }
    if (res.verdict == Verdict::kPass && !rec.compensating_control.empty()) {
      res.reason = "met by IMA as a compensating control: " + rec.compensating_control;
    }
    report.results.push_back(std::move(res));
  }
  Score(benchmark, report);
  return report;
}

}  // namespace imawatch::compliance
