#include "monitor/policy/coverage.h"

#include <algorithm>

namespace imawatch::policy {
namespace {

struct MountPoint {
  std::string_view prefix;
  uint64_t magic;
  std::string_view name;
};
// Longest prefix first.
constexpr std::array<MountPoint, 11> kMountPoints = {{
    {"/sys/firmware/efi/efivars", kEfivarfsMagic, "efivarfs"},
    {"/sys/kernel/security", kSecurityfsMagic, "securityfs"},
    {"/sys/kernel/tracing", kTracefsMagic, "tracefs"},
    {"/sys/kernel/debug", kDebugfsMagic, "debugfs"},
    {"/sys/fs/cgroup", kCgroup2SuperMagic, "cgroup2"},
    {"/dev/pts", kDevptsSuperMagic, "devpts"},
    {"/dev/shm", kTmpfsMagic, "tmpfs"},
    {"/proc", kProcSuperMagic, "proc"},
    {"/sys", kSysfsMagic, "sysfs"},
    {"/run", kTmpfsMagic, "tmpfs"},
    {"/dev", 0x1373, "devtmpfs"},
}};

bool UnderPrefix(std::string_view path, std::string_view prefix) {
  return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

bool Compare(IdOp op, uint32_t actual, uint32_t rule_value) {
  switch (op) {
    case IdOp::kGt:
      return actual > rule_value;
    case IdOp::kLt:
      return actual < rule_value;
    case IdOp::kEq:
      break;
  }
  return actual == rule_value;
}

struct Match {
  bool no = false;
  std::vector<std::string> unknown;  // tokens that could not be decided
};

std::string TokenText(const Rule& rule, TokenKind kind) {
  const Token* token = rule.FirstToken(kind);
  return token ? token->text : std::string();
}

// ima_match_rule_data(): KEY_CHECK keyrings, CRITICAL_DATA labels, and uid.
Match MatchData(const Rule& rule, const Access& access) {
  Match m;
  if (rule.func != access.hook) return {.no = true};
  if (rule.Has(kFlagUid) && !Compare(rule.uid.op, access.uid, rule.uid.value)) return {.no = true};
  const auto& list = access.hook == Func::kKeyCheck ? rule.keyrings : rule.labels;
  uint32_t flag = access.hook == Func::kKeyCheck ? kFlagKeyrings : kFlagLabel;
  if (!rule.Has(flag)) return m;
  if (!access.data_name) {
    m.unknown.push_back(
        TokenText(rule, access.hook == Func::kKeyCheck ? TokenKind::kKeyrings : TokenKind::kLabel));
    return m;
  }
  if (std::find(list.begin(), list.end(), *access.data_name) == list.end()) return {.no = true};
  return m;
}

// ima_match_rules() for one rule, with unknown facts kept unknown.
Match MatchRule(const Rule& rule, KernelVersion kernel, const FileFacts& file, const Access& access) {
  if (access.hook == Func::kKeyCheck || access.hook == Func::kCriticalData) return MatchData(rule, access);
  if (access.hook == Func::kKexecCmdline && !FeaturesOf(kernel).validate_rule) {
    return {.no = !(rule.Has(kFlagFunc) && rule.func == Func::kKexecCmdline)};
  }
  Match m;
  if (rule.Has(kFlagFunc) && rule.func != access.hook) return {.no = true};
  if (rule.Has(kFlagMask) && rule.mask != access.mask) return {.no = true};
  if (rule.Has(kFlagInmask) && !(rule.mask & access.mask)) return {.no = true};
  if (rule.Has(kFlagFsmagic)) {
    if (!file.fs_magic) {
      m.unknown.push_back(TokenText(rule, TokenKind::kFsmagic));
    } else if (*file.fs_magic != rule.fsmagic) {
      return {.no = true};
    }
  }
  if (rule.Has(kFlagFsname)) {
    if (!file.fs_name) {
      m.unknown.push_back(TokenText(rule, TokenKind::kFsname));
    } else if (*file.fs_name != rule.fsname) {
      return {.no = true};
    }
  }
  if (rule.Has(kFlagFsuuid)) {
    if (!file.fs_uuid) {
      m.unknown.push_back(TokenText(rule, TokenKind::kFsuuid));
    } else if (*file.fs_uuid != rule.fsuuid) {
      return {.no = true};
    }
  }
  if (rule.Has(kFlagUid) && !Compare(rule.uid.op, access.uid, rule.uid.value)) return {.no = true};
  if (rule.Has(kFlagEuid)) {
    bool any = Compare(rule.uid.op, access.euid, rule.uid.value) ||
               (access.cap_setuid && (Compare(rule.uid.op, access.suid, rule.uid.value) ||
                                      Compare(rule.uid.op, access.uid, rule.uid.value)));
    if (!any) return {.no = true};
  }
  if (rule.Has(kFlagGid) && !Compare(rule.gid.op, access.gid, rule.gid.value)) return {.no = true};
  if (rule.Has(kFlagEgid)) {
    bool any = Compare(rule.gid.op, access.egid, rule.gid.value) ||
               (access.cap_setgid && (Compare(rule.gid.op, access.sgid, rule.gid.value) ||
                                      Compare(rule.gid.op, access.gid, rule.gid.value)));
    if (!any) return {.no = true};
  }
  if (rule.Has(kFlagFowner)) {
    if (!file.owner_uid) {
      m.unknown.push_back(TokenText(rule, TokenKind::kFowner));
    } else if (!Compare(rule.fowner.op, *file.owner_uid, rule.fowner.value)) {
      return {.no = true};
    }
  }
  if (rule.Has(kFlagFgroup)) {
    if (!file.owner_gid) {
      m.unknown.push_back(TokenText(rule, TokenKind::kFgroup));
    } else if (!Compare(rule.fgroup.op, *file.owner_gid, rule.fgroup.value)) {
      return {.no = true};
    }
  }
  for (const auto& token : rule.tokens) {
    if (token.kind == TokenKind::kLsm) m.unknown.push_back(token.text);
  }
  return m;
}

}  // namespace

FileFacts InferFileFacts(std::string path, uint64_t root_fs_magic, std::string root_fs_name) {
  FileFacts facts;
  facts.path = std::move(path);
  for (const auto& mount : kMountPoints) {
    if (UnderPrefix(facts.path, mount.prefix)) {
      facts.fs_magic = mount.magic;
      facts.fs_name = std::string(mount.name);
      return facts;
    }
  }
  facts.fs_magic = root_fs_magic;
  facts.fs_name = std::move(root_fs_name);
  return facts;
}

Access Access::RootRead() { return Access{}; }

Access Access::Exec() {
  Access a;
  a.hook = Func::kBprmCheck;
  a.mask = kMayExec;
  return a;
}

Access Access::MmapExec() {
  Access a;
  a.hook = Func::kMmapCheck;
  a.mask = kMayExec;
  return a;
}

Access Access::KernelRead(Func hook) {
  Access a;
  a.hook = hook;
  a.mask = kMayRead;
  return a;
}

MeasurementVerdict EvaluateMeasurement(const Policy& policy, KernelVersion kernel, const FileFacts& file,
                                       const Access& access, const CoverageOptions& options) {
  MeasurementVerdict verdict;
  verdict.pcr = options.default_pcr;
  auto template_of = [&](const Rule& rule) {
    if (!rule.template_name.empty()) return rule.template_name;
    return IsBufferHook(access.hook) ? std::string("ima-buf") : options.default_template;
  };
  auto pcr_of = [&](const Rule& rule) { return rule.Has(kFlagPcr) ? rule.pcr : options.default_pcr; };

  const Rule* deciding = nullptr;
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    const Rule& rule = policy.rules[i].rule;
    if (ClassOf(rule.action) != ActionClass::kMeasure) continue;
    Match m = MatchRule(rule, kernel, file, access);
    if (m.no) continue;
    if (!m.unknown.empty()) {
      verdict.undecided.push_back({i, policy.rules[i].line, std::move(m.unknown)});
      continue;
    }
    deciding = &rule;
    verdict.rule_index = i;
    verdict.line = policy.rules[i].line;
    break;
  }

  bool measures = deciding && deciding->action == Action::kMeasure;
  if (measures) {
    verdict.template_name = template_of(*deciding);
    verdict.pcr = pcr_of(*deciding);
  }
  // Undecided rules change nothing when they would decide the same way the deciding rule does.
  bool same_outcome =
      std::all_of(verdict.undecided.begin(), verdict.undecided.end(), [&](const UndecidedRule& u) {
        const Rule& rule = policy.rules[u.rule_index].rule;
        if (!measures) return rule.action == Action::kDontMeasure;
        return rule.action == Action::kMeasure && template_of(rule) == verdict.template_name &&
               pcr_of(rule) == verdict.pcr;
      });
  if (!same_outcome) {
    verdict.measured = Tristate::kUnknown;
  } else {
    verdict.measured = measures ? Tristate::kYes : Tristate::kNo;
  }
  return verdict;
}

}  // namespace imawatch::policy
