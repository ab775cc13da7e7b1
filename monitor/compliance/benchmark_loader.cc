#include "monitor/compliance/benchmark_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "monitor/compliance/safe_regex.h"
#include "monitor/compliance/value_parse.h"

namespace imawatch::compliance {
namespace {

std::vector<std::string_view> KeysFor(CheckKind kind) {
  std::vector<std::string_view> keys = {"note"};
  auto add = [&keys](std::initializer_list<std::string_view> more) { keys.insert(keys.end(), more); };
  switch (kind) {
    case CheckKind::kDigestAllowed:
      add({"files", "select", "absent", "path_from"});
      break;
    case CheckKind::kMetadata:
      add({"files", "select", "absent", "path_from", "owner", "group", "mode_max"});
      break;
    case CheckKind::kConfigValue:
      add({"format", "files", "key", "flag", "flag_key", "type", "expect", "default", "flag_default", "unset",
           "sensitive"});
      break;
    case CheckKind::kModuleLoaded:
    case CheckKind::kModuleNotLoaded:
      add({"module"});
      break;
    case CheckKind::kMeasured:
      add({"files", "select", "absent"});
      break;
    case CheckKind::kManual:
      add({"source", "reason"});
      break;
  }
  return keys;
}

constexpr std::string_view kManualSources[] = {
    "package-database",    // dpkg state: IMA attests file reads, not what is installed
    "runtime-state",       // mount table, netfilter rules, AppArmor modes, live sysctl values
    "service-state",       // systemd enablement and activity
    "filesystem-scan",     // properties of all files (world-writable, unowned, SUID)
    "directory-metadata",  // IMA measures regular files only
    "boot-event-log",      // firmware/bootloader measurements (TPM event log, PCRs 0-9)
    "site-policy",         // the benchmark asks for a site-specific judgement
    "config-scan",         // settings in files IMA measures, not yet mapped to checks here
};

// Walks one YAML document; the first error wins and is returned with its position.
class Loader {
 public:
  explicit Loader(std::string source) : source_(std::move(source)) {}

  Result<Benchmark> Load(std::string_view text) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      return InvalidInput("malformed YAML: " + e.msg, At(e.mark));
    } catch (const std::exception& e) {
      return InvalidInput(std::string("malformed YAML: ") + e.what(), {.source = source_});
    }
    try {
      Benchmark b;
      b.file = source_;
      if (!ParseRoot(root, b)) return *error_;
      return b;
    } catch (const YAML::Exception& e) {
      return InvalidInput("unexpected YAML structure: " + e.msg, At(e.mark));
    }
  }

 private:
  using Fields = std::map<std::string, YAML::Node, std::less<>>;

  Position At(const YAML::Mark& mark) const {
    Position p{.source = source_};
    if (!mark.is_null() && mark.line >= 0) {
      p.line = static_cast<uint32_t>(mark.line + 1);
      p.column = static_cast<uint32_t>(mark.column + 1);
    }
    return p;
  }
  bool Fail(const YAML::Node& node, std::string message) {
    if (!error_) error_ = InvalidInput(std::move(message), At(node.Mark()));
    return false;
  }

  static std::string_view TypeName(const YAML::Node& n) {
    if (n.IsMap()) return "a mapping";
    if (n.IsSequence()) return "a sequence";
    if (n.IsNull()) return "empty";
    return "a scalar";
  }

  // A mapping's fields by key; refuses non-mappings, duplicate keys and keys not in `allowed`.
  // Keys starting with "x-" are the author's (anchors, notes) when allow_extensions is set.
  bool ReadFields(const YAML::Node& node, std::string_view what, const std::vector<std::string_view>& allowed,
                  Fields& out, bool allow_extensions = false) {
    if (!node.IsMap())
      return Fail(node, std::string(what) + " must be a mapping, not " + std::string(TypeName(node)));
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;  // a copy: the iterator yields a temporary pair
      if (!key.IsScalar()) return Fail(key, std::string(what) + ": keys must be scalars");
      const std::string& name = key.Scalar();
      if (out.count(name)) return Fail(key, "duplicate key '" + name + "' in " + std::string(what));
      bool known = std::find(allowed.begin(), allowed.end(), name) != allowed.end();
      if (!known && !(allow_extensions && name.starts_with("x-"))) {
        std::string list;
        for (size_t i = 0; i < allowed.size(); ++i) list += (i ? ", " : "") + std::string(allowed[i]);
        return Fail(
            key, "unknown key '" + name + "' in " + std::string(what) + " (expected one of: " + list + ")");
      }
      out.emplace(name, it->second);
    }
    return true;
  }

  bool Require(const Fields& f, const YAML::Node& parent, std::string_view key, std::string_view what) {
    if (f.count(key)) return true;
    return Fail(parent, std::string(what) + ": missing required key '" + std::string(key) + "'");
  }

  bool String(const Fields& f, std::string_view key, std::string& out, bool non_empty = true) {
    auto it = f.find(key);
    if (it == f.end()) return true;
    const YAML::Node& n = it->second;
    if (!n.IsScalar())
      return Fail(n, "'" + std::string(key) + "' must be a string, not " + std::string(TypeName(n)));
    out = n.Scalar();
    if (non_empty && Trim(out).empty()) return Fail(n, "'" + std::string(key) + "' must not be empty");
    return true;
  }
  bool OptString(const Fields& f, std::string_view key, std::optional<std::string>& out) {
    if (!f.count(key)) return true;
    std::string s;
    if (!String(f, key, s, false)) return false;
    out = std::move(s);
    return true;
  }
  bool Bool(const Fields& f, std::string_view key, bool& out) {
    auto it = f.find(key);
    if (it == f.end()) return true;
    auto b = it->second.IsScalar() ? ParseBoolWord(it->second.Scalar()) : std::nullopt;
    if (!b) return Fail(it->second, "'" + std::string(key) + "' must be true or false");
    out = *b;
    return true;
  }
  bool Level(const Fields& f, std::string_view key, std::optional<int>& out) {
    auto it = f.find(key);
    if (it == f.end()) return true;
    auto v = it->second.IsScalar() ? ParseInteger(it->second.Scalar()) : std::nullopt;
    if (!v || *v < 1 || *v > 9)
      return Fail(it->second, "'" + std::string(key) + "' must be a level number 1-9");
    out = static_cast<int>(*v);
    return true;
  }
  // A scalar or a sequence of scalars.
  bool StringList(const Fields& f, std::string_view key, std::vector<std::string>& out) {
    auto it = f.find(key);
    if (it == f.end()) return true;
    const YAML::Node& n = it->second;
    if (n.IsScalar()) {
      out.push_back(n.Scalar());
      return true;
    }
    if (!n.IsSequence() || n.size() == 0) {
      return Fail(n, "'" + std::string(key) + "' must be a string or a non-empty sequence of strings");
    }
    for (const YAML::Node& item : n) {
      if (!item.IsScalar()) return Fail(item, "'" + std::string(key) + "' items must be strings");
      out.push_back(item.Scalar());
    }
    return true;
  }

  static bool IsDottedId(std::string_view id) {
    if (id.empty() || id.front() == '.' || id.back() == '.') return false;
    for (size_t i = 0; i < id.size(); ++i) {
      if (id[i] == '.') {
        if (id[i - 1] == '.') return false;
      } else if (!std::isdigit(static_cast<unsigned char>(id[i]))) {
        return false;
      }
    }
    return true;
  }

  bool ParseRoot(const YAML::Node& root, Benchmark& b) {
    Fields f;
    if (!ReadFields(root, "the benchmark file", {"benchmark", "profiles", "sections", "recommendations"}, f,
                    true)) {
      return false;
    }
    for (std::string_view key : {"benchmark", "profiles", "sections", "recommendations"}) {
      if (!Require(f, root, key, "the benchmark file")) return false;
    }
    return ParseHeader(f["benchmark"], b) && ParseProfiles(f["profiles"], b) &&
           ParseSections(f["sections"], b) && ParseRecommendations(f["recommendations"], b);
  }

  bool ParseHeader(const YAML::Node& node, Benchmark& b) {
    Fields f;
    if (!ReadFields(node, "benchmark", {"id", "title", "version", "source"}, f)) return false;
    for (std::string_view key : {"id", "title", "version"}) {
      if (!Require(f, node, key, "benchmark")) return false;
    }
    return String(f, "id", b.id) && String(f, "title", b.title) && String(f, "version", b.version) &&
           String(f, "source", b.source);
  }

  bool ParseProfiles(const YAML::Node& node, Benchmark& b) {
    if (!node.IsSequence() || node.size() == 0) return Fail(node, "'profiles' must be a non-empty sequence");
    for (const YAML::Node& item : node) {
      Fields f;
      Profile p;
      if (!ReadFields(item, "a profile", {"id", "title", "level"}, f) ||
          !Require(f, item, "id", "a profile") || !Require(f, item, "title", "a profile") ||
          !String(f, "id", p.id) || !String(f, "title", p.title) || !Level(f, "level", p.level)) {
        return false;
      }
      for (const Profile& other : b.profiles) {
        if (other.id == p.id) return Fail(f["id"], "duplicate profile id '" + p.id + "'");
      }
      b.profiles.push_back(std::move(p));
    }
    return true;
  }

  bool ParseSections(const YAML::Node& node, Benchmark& b) {
    if (!node.IsSequence() || node.size() == 0) return Fail(node, "'sections' must be a non-empty sequence");
    for (const YAML::Node& item : node) {
      Fields f;
      Section s;
      if (!ReadFields(item, "a section", {"id", "title"}, f) || !Require(f, item, "id", "a section") ||
          !Require(f, item, "title", "a section") || !String(f, "id", s.id) || !String(f, "title", s.title)) {
        return false;
      }
      if (!IsDottedId(s.id))
        return Fail(f["id"], "section id '" + s.id + "' must be dotted numbers like 4.2");
      if (b.FindSection(s.id)) return Fail(f["id"], "duplicate section id '" + s.id + "'");
      b.sections.push_back(std::move(s));
    }
    return true;
  }

  bool ParseRecommendations(const YAML::Node& node, Benchmark& b) {
    if (!node.IsSequence() || node.size() == 0)
      return Fail(node, "'recommendations' must be a non-empty sequence");
    std::map<std::string, uint32_t> seen;
    for (const YAML::Node& item : node) {
      Recommendation r;
      if (!ParseRecommendation(item, b, r)) return false;
      auto [it, fresh] = seen.emplace(r.id, r.where.line.value_or(0));
      if (!fresh) {
        return Fail(item["id"], "duplicate recommendation id '" + r.id + "' (first defined at line " +
                                    std::to_string(it->second) + ")");
      }
      b.recommendations.push_back(std::move(r));
    }
    return true;
  }

  bool ParseRecommendation(const YAML::Node& node, const Benchmark& b, Recommendation& r) {
    Fields f;
    if (!ReadFields(node, "a recommendation",
                    {"id", "title", "section", "level", "profiles", "assessment", "logic", "checks",
                     "remediation", "compensating_control"},
                    f)) {
      return false;
    }
    r.where = At(node.Mark());
    for (std::string_view key : {"id", "title", "section", "profiles", "assessment", "checks"}) {
      if (!Require(f, node, key, "a recommendation")) return false;
    }
    std::string assessment, logic = "all";
    if (!String(f, "id", r.id) || !String(f, "title", r.title) || !String(f, "section", r.section) ||
        !Level(f, "level", r.level) || !StringList(f, "profiles", r.profiles) ||
        !String(f, "assessment", assessment) || !String(f, "logic", logic) ||
        !String(f, "remediation", r.remediation) ||
        !String(f, "compensating_control", r.compensating_control)) {
      return false;
    }
    if (!IsDottedId(r.id))
      return Fail(f["id"], "recommendation id '" + r.id + "' must be dotted numbers like 4.2.1");
    if (!b.FindSection(r.section))
      return Fail(f["section"], "section '" + r.section + "' is not declared in 'sections'");
    if (r.id != r.section && !r.id.starts_with(r.section + ".")) {
      return Fail(f["section"], "recommendation " + r.id + " cannot belong to section " + r.section);
    }
    for (const std::string& p : r.profiles) {
      bool declared =
          std::any_of(b.profiles.begin(), b.profiles.end(), [&p](const Profile& x) { return x.id == p; });
      if (!declared) return Fail(f["profiles"], "profile '" + p + "' is not declared in 'profiles'");
    }
    if (assessment == "automated") {
      r.assessment = Assessment::kAutomated;
    } else if (assessment == "manual") {
      r.assessment = Assessment::kManual;
    } else {
      return Fail(f["assessment"], "'assessment' must be automated or manual, not '" + assessment + "'");
    }
    if (logic == "all") {
      r.logic = Logic::kAll;
    } else if (logic == "any") {
      r.logic = Logic::kAny;
    } else {
      return Fail(f["logic"], "'logic' must be all or any, not '" + logic + "'");
    }
    const YAML::Node& checks = f["checks"];
    if (!checks.IsSequence() || checks.size() == 0)
      return Fail(checks, "'checks' must be a non-empty sequence");
    for (const YAML::Node& c : checks) {
      Check check;
      if (!ParseCheck(c, check)) return false;
      r.checks.push_back(std::move(check));
    }
    return true;
  }

  bool ParseFiles(const Fields& f, Check& c) {
    if (!StringList(f, "files", c.files)) return false;
    for (const std::string& path : c.files) {
      if (path.empty() || path.front() != '/') {
        return Fail(f.find("files")->second, "file '" + path + "' must be an absolute path");
      }
    }
    std::string select = "all", absent = "error";
    if (!String(f, "select", select) || !String(f, "absent", absent)) return false;
    if (select == "all") {
      c.select = Selection::kAll;
    } else if (select == "first") {
      c.select = Selection::kFirst;
    } else {
      return Fail(f.find("select")->second, "'select' must be all or first, not '" + select + "'");
    }
    if (absent == "error") {
      c.absent = WhenAbsent::kError;
    } else if (absent == "not-applicable") {
      c.absent = WhenAbsent::kNotApplicable;
    } else {
      return Fail(f.find("absent")->second, "'absent' must be error or not-applicable, not '" + absent + "'");
    }
    return true;
  }

  bool ParsePathFrom(const Fields& f, Check& c) {
    auto it = f.find("path_from");
    if (it == f.end()) return true;
    Fields pf;
    PathFromSetting p;
    if (!ReadFields(it->second, "path_from", {"files", "setting", "flag"}, pf) ||
        !Require(pf, it->second, "files", "path_from") || !StringList(pf, "files", p.files) ||
        !String(pf, "setting", p.setting) || !String(pf, "flag", p.flag)) {
      return false;
    }
    if (p.setting.empty() && p.flag.empty()) return Fail(it->second, "path_from needs 'setting' or 'flag'");
    if (!p.flag.empty() && !p.flag.starts_with("--"))
      return Fail(it->second, "path_from flag must start with --");
    c.path_from = std::move(p);
    return true;
  }

  bool ParseExpect(const YAML::Node& node, Check& c) {
    Fields f;
    if (!ReadFields(node, "expect",
                    {"equals", "not_equals", "matches", "one_of", "none_of", "subset_of", "contains",
                     "not_contains", "min", "max", "set"},
                    f)) {
      return false;
    }
    if (f.empty()) return Fail(node, "'expect' needs at least one condition");
    Expectation& e = c.expect;
    auto list = [&](std::string_view key, std::optional<std::vector<std::string>>& out) {
      if (!f.count(key)) return true;
      std::vector<std::string> v;
      if (!StringList(f, key, v)) return false;
      out = std::move(v);
      return true;
    };
    auto bound = [&](std::string_view key, std::optional<double>& out) {
      auto it = f.find(key);
      if (it == f.end()) return true;
      if (c.type != ValueType::kInt && c.type != ValueType::kDuration) {
        return Fail(it->second, "'" + std::string(key) + "' needs type int or duration");
      }
      auto v = it->second.IsScalar() ? NumericValue(c.type, it->second.Scalar()) : std::nullopt;
      if (!v)
        return Fail(it->second,
                    "'" + std::string(key) + "' is not a valid " + std::string(ValueTypeName(c.type)));
      out = *v;
      return true;
    };
    bool set = false;
    if (!OptString(f, "equals", e.equals) || !OptString(f, "not_equals", e.not_equals) ||
        !OptString(f, "matches", e.matches) || !list("one_of", e.one_of) || !list("none_of", e.none_of) ||
        !list("subset_of", e.subset_of) || !OptString(f, "contains", e.contains) ||
        !OptString(f, "not_contains", e.not_contains) || !bound("min", e.min) || !bound("max", e.max) ||
        !Bool(f, "set", set)) {
      return false;
    }
    if (f.count("set")) e.set = set;
    if (e.matches) {
      std::string problem = CheckRegex(*e.matches);
      if (!problem.empty()) return Fail(f["matches"], problem);
    }
    if ((e.subset_of || e.contains || e.not_contains) && c.type != ValueType::kList) {
      return Fail(node, "subset_of, contains and not_contains need type list");
    }
    if (e.set == false && f.size() > 1)
      return Fail(node, "'set: false' cannot be combined with other conditions");
    return true;
  }

  bool ParseCheck(const YAML::Node& node, Check& c) {
    c.where = At(node.Mark());
    if (!node.IsMap()) return Fail(node, "a check must be a mapping, not " + std::string(TypeName(node)));
    YAML::Node kind_node;
    bool has_kind = false;
    for (auto it = node.begin(); it != node.end() && !has_kind; ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "kind") {
        kind_node.reset(it->second);
        has_kind = true;
      }
    }
    if (!has_kind) return Fail(node, "a check: missing required key 'kind'");
    if (!kind_node.IsScalar()) return Fail(kind_node, "'kind' must be a string");
    auto kind = CheckKindFromName(kind_node.Scalar());
    if (!kind) {
      std::string names;
      for (CheckKind k : {CheckKind::kDigestAllowed, CheckKind::kMetadata, CheckKind::kConfigValue,
                          CheckKind::kModuleLoaded, CheckKind::kModuleNotLoaded, CheckKind::kMeasured,
                          CheckKind::kManual}) {
        names += (names.empty() ? "" : ", ") + std::string(CheckKindName(k));
      }
      return Fail(kind_node,
                  "unknown check kind '" + kind_node.Scalar() + "' (expected one of: " + names + ")");
    }
    c.kind = *kind;
    std::vector<std::string_view> allowed = KeysFor(c.kind);
    allowed.push_back("kind");
    Fields f;
    std::string what = "a " + std::string(CheckKindName(c.kind)) + " check";
    if (!ReadFields(node, what, allowed, f) || !String(f, "note", c.note)) return false;

    switch (c.kind) {
      case CheckKind::kDigestAllowed:
      case CheckKind::kMeasured:
        if (!ParseFiles(f, c) || !ParsePathFrom(f, c)) return false;
        if (c.files.empty() && !c.path_from) return Require(f, node, "files", what);
        return true;
      case CheckKind::kMetadata:
        return ParseMetadata(node, f, c, what);
      case CheckKind::kConfigValue:
        return ParseConfigValue(node, f, c, what);
      case CheckKind::kModuleLoaded:
      case CheckKind::kModuleNotLoaded:
        return Require(f, node, "module", what) && String(f, "module", c.module);
      case CheckKind::kManual: {
        if (!Require(f, node, "source", what) || !Require(f, node, "reason", what) ||
            !String(f, "source", c.source) || !String(f, "reason", c.reason)) {
          return false;
        }
        if (std::find(std::begin(kManualSources), std::end(kManualSources), c.source) ==
            std::end(kManualSources)) {
          return Fail(f["source"], "unknown evidence source '" + c.source + "'");
        }
        return true;
      }
    }
    return true;
  }

  bool ParseMetadata(const YAML::Node& node, const Fields& f, Check& c, const std::string& what) {
    if (!ParseFiles(f, c) || !ParsePathFrom(f, c) || !StringList(f, "owner", c.owner) ||
        !StringList(f, "group", c.group)) {
      return false;
    }
    if (c.files.empty() && !c.path_from) return Require(f, node, "files", what);
    if (auto it = f.find("mode_max"); it != f.end()) {
      const YAML::Node& n = it->second;
      std::string text = n.IsScalar() ? n.Scalar() : "";
      bool octal = !text.empty() && text.size() <= 5 &&
                   std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '7'; });
      if (!octal) return Fail(n, "'mode_max' must be an octal mode like \"0600\"");
      c.mode_max = static_cast<uint16_t>(std::stoul(text, nullptr, 8) & 07777);
    }
    if (c.owner.empty() && c.group.empty() && !c.mode_max) {
      return Fail(node, what + " needs at least one of owner, group, mode_max");
    }
    return true;
  }

  bool ParseConfigValue(const YAML::Node& node, const Fields& f, Check& c, const std::string& what) {
    for (std::string_view key : {"format", "files", "expect"}) {
      if (!Require(f, node, key, what)) return false;
    }
    std::string format, type = "string", unset;
    if (!String(f, "format", format) || !StringList(f, "files", c.files) || !String(f, "key", c.key) ||
        !String(f, "flag", c.flag) || !String(f, "flag_key", c.flag_key) || !String(f, "type", type) ||
        !OptString(f, "default", c.default_value) || !OptString(f, "flag_default", c.flag_default) ||
        !String(f, "unset", unset) || !Bool(f, "sensitive", c.sensitive)) {
      return false;
    }
    auto fmt = ConfigFormatFromName(format);
    if (!fmt) return Fail(f.find("format")->second, "unknown config format '" + format + "'");
    c.format = *fmt;
    auto vt = ValueTypeFromName(type);
    if (!vt) return Fail(f.find("type")->second, "unknown value type '" + type + "'");
    c.type = *vt;
    for (const std::string& path : c.files) {
      if (path.empty() || path.front() != '/') {
        return Fail(f.find("files")->second, "file '" + path + "' must be an absolute path");
      }
    }
    if (!unset.empty()) {
      if (unset != "pass" && unset != "fail")
        return Fail(f.find("unset")->second, "'unset' must be pass or fail");
      if (c.default_value) return Fail(f.find("unset")->second, "'unset' and 'default' exclude each other");
      c.unset_passes = unset == "pass";
    }
    bool kubelet = c.format == ConfigFormat::kKubelet;
    if (kubelet) {
      if (c.key.empty() && c.flag.empty()) return Fail(node, what + " (kubelet) needs 'key' or 'flag'");
      if (!c.flag.empty() && !c.flag.starts_with("--"))
        return Fail(f.find("flag")->second, "'flag' must start with --");
      if (!c.flag_key.empty() && c.flag.empty())
        return Fail(f.find("flag_key")->second, "'flag_key' needs 'flag'");
    } else {
      for (std::string_view key : {"flag", "flag_key", "flag_default"}) {
        if (f.count(key))
          return Fail(f.find(key)->second, "'" + std::string(key) + "' is only for format kubelet");
      }
      if (!Require(f, node, "key", what)) return false;
    }
    if (c.format == ConfigFormat::kLines) {
      std::string problem = CheckRegex(c.key);
      if (!problem.empty()) return Fail(f.find("key")->second, problem);
    }
    if (!ParseExpect(f.find("expect")->second, c)) return false;
    for (const std::optional<std::string>* d : {&c.default_value, &c.flag_default}) {
      if (*d && (c.type == ValueType::kInt || c.type == ValueType::kDuration) && !NumericValue(c.type, **d)) {
        return Fail(node,
                    what + ": default '" + **d + "' is not a valid " + std::string(ValueTypeName(c.type)));
      }
      if (*d && c.type == ValueType::kBool && !ParseBoolWord(**d)) {
        return Fail(node, what + ": default '" + **d + "' is not a boolean");
      }
    }
    return true;
  }

  std::string source_;
  std::optional<Error> error_;
};

}  // namespace

Result<Benchmark> ParseBenchmark(std::string_view yaml, const std::string& source) {
  return Loader(source).Load(yaml);
}

Result<Benchmark> LoadBenchmark(Env& env, const std::string& path) {
  auto text = env.ReadFile(path, kMaxBenchmarkBytes);
  if (!text) return text.error();
  return ParseBenchmark(*text, path);
}

std::vector<std::string_view> CheckKeys(CheckKind kind) { return KeysFor(kind); }

std::vector<std::string_view> ManualSources() {
  return {std::begin(kManualSources), std::end(kManualSources)};
}

}  // namespace imawatch::compliance
