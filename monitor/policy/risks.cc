#include "monitor/policy/risks.h"

#include <algorithm>

#include "monitor/policy/filesystems.h"

namespace imawatch::policy {
namespace {

Diagnostic Warn(const PolicyRule& r, const Token* token, std::string code, std::string message) {
  Diagnostic d{
      .severity = Severity::kWarning, .code = std::move(code), .message = std::move(message), .line = r.line};
  if (token) {
    d.token = token->text;
    d.column = token->column;
  } else {
    d.column = r.rule.tokens.empty() ? 1 : r.rule.tokens.front().column;
  }
  return d;
}

size_t CountTokens(const Rule& rule, TokenKind kind) {
  return static_cast<size_t>(
      std::count_if(rule.tokens.begin(), rule.tokens.end(), [&](const Token& t) { return t.kind == kind; }));
}

bool ReadsFiles(Func func) { return func == Func::kNone || func == Func::kFileCheck; }

bool TouchesExecOrReads(Func func) {
  return func == Func::kNone || func == Func::kFileCheck || func == Func::kMmapCheck ||
         func == Func::kMmapCheckReqprot || func == Func::kBprmCheck || func == Func::kCredsCheck;
}

bool SameId(uint32_t flags_a, uint32_t flags_b, const IdCondition& ia, const IdCondition& ib) {
  return flags_a == flags_b && (flags_a == 0 || (ia.value == ib.value && ia.op == ib.op));
}

bool ListCovers(const std::vector<std::string>& earlier, bool earlier_set,
                const std::vector<std::string>& later, bool later_set) {
  if (!earlier_set) return true;
  if (!later_set) return false;
  return std::all_of(later.begin(), later.end(), [&](const std::string& item) {
    return std::find(earlier.begin(), earlier.end(), item) != earlier.end();
  });
}

// Which pseudo filesystems an earlier dont_<action> rule excludes for accesses of `rule`.
bool Excludes(const Rule& dont, const Rule& rule, const FilesystemInfo& fs) {
  constexpr uint32_t kAllowed = kFlagFunc | kFlagFsmagic | kFlagFsname;
  if (dont.flags & ~kAllowed) return false;
  if (dont.HasLsmCondition()) return false;
  if (dont.Has(kFlagFunc) && dont.func != rule.func &&
      !(rule.func == Func::kNone && dont.func == Func::kFileCheck)) {
    return false;
  }
  if (dont.Has(kFlagFsmagic) && dont.fsmagic == fs.magic) return true;
  if (dont.Has(kFlagFsname) && dont.fsname == fs.name) return true;
  return false;
}

// Pseudo filesystems a broad rule still reaches after the dont_ rules before it.
std::vector<std::string_view> UnexcludedPseudoFs(const Policy& policy, size_t index, Action dont_action) {
  const Rule& rule = policy.rules[index].rule;
  std::vector<std::string_view> missing;
  for (const auto& fs : TcbExcludedFilesystems()) {
    bool excluded = false;
    for (size_t i = 0; i < index && !excluded; ++i) {
      const Rule& earlier = policy.rules[i].rule;
      excluded = earlier.action == dont_action && Excludes(earlier, rule, fs);
    }
    if (!excluded) missing.push_back(fs.name);
  }
  return missing;
}

std::string Join(const std::vector<std::string_view>& items) {
  std::string out;
  for (auto item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// A rule restricted to one filesystem by fsmagic=/fsname=/fsuuid=: the pseudo filesystem it
// names, or nullopt when it is restricted to a real one. Unrestricted rules give nullptr.
struct Restriction {
  bool restricted = false;
  const FilesystemInfo* pseudo = nullptr;
};
Restriction FilesystemRestriction(const Rule& rule) {
  Restriction r;
  if (rule.Has(kFlagFsuuid)) r.restricted = true;
  if (rule.Has(kFlagFsmagic)) {
    r.restricted = true;
    const FilesystemInfo* fs = FilesystemByMagic(rule.fsmagic);
    if (fs && fs->pseudo) r.pseudo = fs;
  }
  if (rule.Has(kFlagFsname)) {
    r.restricted = true;
    const FilesystemInfo* fs = FilesystemByName(rule.fsname);
    if (fs && fs->pseudo) r.pseudo = fs;
  }
  return r;
}

void CheckMask(const PolicyRule& r, std::vector<Diagnostic>& out) {
  const Rule& rule = r.rule;
  if (!rule.Has(kFlagMask) && !rule.Has(kFlagInmask)) return;
  const Token* token = rule.FirstToken(TokenKind::kMask);
  bool exact = rule.Has(kFlagMask);
  if (exact && rule.mask == kMayRead && ReadsFiles(rule.func)) {
    out.push_back(Warn(r, token, "mask-exact-read",
                       "mask=MAY_READ matches only opens for reading alone: files opened read-write "
                       "(MAY_READ|MAY_WRITE) are not matched; mask=^MAY_READ matches any open that reads"));
  }
  uint32_t requested = 0;
  std::string what;
  if (rule.func == Func::kBprmCheck || rule.func == Func::kCredsCheck || rule.func == Func::kMmapCheck ||
      rule.func == Func::kMmapCheckReqprot) {
    requested = kMayExec;
    what = "MAY_EXEC";
  } else if (IsKernelReadHook(rule.func)) {
    requested = kMayRead;
    what = "MAY_READ";
  }
  if (requested == 0) return;
  bool matches = exact ? rule.mask == requested : (rule.mask & requested) != 0;
  if (!matches) {
    out.push_back(Warn(r, token, "mask-never-matches",
                       "func=" + std::string(FuncName(rule.func)) + " always asks with mask " + what +
                           ", so this rule never matches"));
  }
}

void CheckOptions(const PolicyRule& r, const Target& target, std::vector<Diagnostic>& out) {
  const Rule& rule = r.rule;
  KernelFeatures features = FeaturesOf(target.kernel);
  if ((rule.func == Func::kKeyCheck || rule.func == Func::kCriticalData) &&
      (rule.Has(kFlagGid) || rule.Has(kFlagEgid))) {
    out.push_back(Warn(r, rule.FirstToken(TokenKind::kGid), "gid-ignored",
                       "the kernel accepts gid= with func=" + std::string(FuncName(rule.func)) +
                           " but evaluates only uid= for it"));
  }
  if (rule.Has(kFlagPcr) && rule.pcr > 23) {
    out.push_back(Warn(r, rule.FirstToken(TokenKind::kPcr), "pcr-not-in-tpm",
                       "a TPM 2.0 has PCRs 0 to 23: measurements still enter the log, but extending PCR " +
                           std::to_string(rule.pcr) + " fails, so they cannot be attested"));
  }
  for (TokenKind kind : {TokenKind::kPcr, TokenKind::kFsname, TokenKind::kAppraiseType}) {
    if (CountTokens(rule, kind) > 1) {
      const Token* last = nullptr;
      for (const auto& t : rule.tokens) {
        if (t.kind == kind) last = &t;
      }
      out.push_back(Warn(r, last, "repeated-option",
                         kind == TokenKind::kAppraiseType
                             ? "appraise_type= appears more than once; the kernel combines them"
                             : "this option appears more than once; the kernel keeps the last one"));
    }
  }
  if (rule.Has(kFlagFsmagic) && rule.fsmagic == 0) {
    out.push_back(
        Warn(r, rule.FirstToken(TokenKind::kFsmagic), "fsmagic-zero",
             "no filesystem has magic 0, so this rule never matches (and the kernel cannot detect a "
             "second fsmagic= after it)"));
  }
  if (const Token* t = rule.FirstToken(TokenKind::kFsuuid); t && t->text.size() > 7 + 36) {
    out.push_back(Warn(r, t, "fsuuid-trailing-characters",
                       "the kernel reads only the first 36 characters of the UUID and ignores the rest"));
  }
  if (const Token* t = rule.FirstToken(TokenKind::kAppraiseFlag)) {
    if (features.appraise_flag_ignored) {
      out.push_back(
          Warn(r, t, "appraise-flag-ignored",
               "kernel " + target.kernel.ToString() +
                   " accepts appraise_flag= but ignores it: every appraise_type= already checks the "
                   "blacklist"));
    } else if (!features.validate_rule && t->text.find("blacklist") == std::string::npos) {
      out.push_back(Warn(r, t, "appraise-flag-ignored",
                         "kernel " + target.kernel.ToString() +
                             " accepts this appraise_flag= value but acts only on check_blacklist"));
    }
  }
  if (!target.config.appraise && ClassOf(rule.action) == ActionClass::kAppraise) {
    out.push_back(
        Warn(r, nullptr, "appraise-disabled",
             "appraisal is disabled in this kernel (CONFIG_IMA_APPRAISE=n or ima_appraise=off): the "
             "kernel accepts the rule but it has no effect"));
  }
  if (rule.template_name == "ima") {
    out.push_back(Warn(r, rule.FirstToken(TokenKind::kTemplate), "legacy-template",
                       "the 'ima' template records only SHA-1 (or MD5) digests and cuts names at 255 bytes; "
                       "use ima-ng or later"));
  }
  if (rule.action == Action::kMeasure && rule.Has(kFlagVerityRequired) && rule.template_name != "ima-ngv2" &&
      rule.template_name != "ima-sigv2") {
    out.push_back(Warn(r, rule.FirstToken(TokenKind::kDigestType), "verity-template",
                       "digest_type=verity measurements need template=ima-ngv2 or ima-sigv2 to record the "
                       "digest type; otherwise an fs-verity digest looks like a file hash"));
  }
  for (const auto& algo : rule.appraise_algos) {
    const Token* t = rule.FirstToken(TokenKind::kAppraiseAlgos);
    if (algo == "md4" || algo == "md5" || algo == "sha1") {
      out.push_back(Warn(r, t, "weak-appraise-algo",
                         algo + " is a broken hash: allowing it lets collisions pass "
                                "appraisal"));
    } else if (algo != "sha256" && algo != "sha384" && algo != "sha512" && algo != "sha224") {
      out.push_back(Warn(r, t, "appraise-algo-availability",
                         algo +
                             " must be built into the running kernel's crypto API (crypto_has_alg); if it is "
                             "not, the kernel rejects the rule"));
    }
  }
  if (rule.HasLsmCondition() && target.config.lsm == Lsm::kUnknown) {
    out.push_back(
        Warn(r, rule.FirstToken(TokenKind::kLsm), "lsm-condition",
             "LSM conditions become rules of the active LSM: if it does not support the key or know "
             "the label, the kernel rejects the rule on the first policy load (AppArmor supports only "
             "subj_role); name the LSM with lsm=<name> to check"));
  }
  if (rule.action == Action::kAppraise && rule.func == Func::kPolicyCheck) {
    out.push_back(
        Warn(r, nullptr, "signed-policy-required-next",
             "once this rule is active the kernel accepts further policy only as the path of a signed "
             "file (raw rules get EACCES): load later updates with --signed-path"));
  }
}

void CheckAppraisal(const Policy& policy, size_t index, std::vector<Diagnostic>& out) {
  const PolicyRule& r = policy.rules[index];
  const Rule& rule = r.rule;
  if (rule.action != Action::kAppraise || rule.func == Func::kSetxattrCheck) return;
  bool signature = rule.Has(kFlagDigsigRequired);
  if (TouchesExecOrReads(rule.func)) {
    std::string scope =
        rule.func == Func::kNone ? "every file access" : "func=" + std::string(FuncName(rule.func));
    out.push_back(
        Warn(r, nullptr, "appraise-lockout",
             "with ima_appraise=enforce, " + scope + " matching this rule is denied unless the file has " +
                 (signature ? std::string("a security.ima signature from a key on the .ima keyring")
                            : std::string("a valid security.ima hash or signature")) +
                 ": unlabelled binaries stop running. Label the filesystem first (evmctl), boot with "
                 "ima_appraise=log and check the audit log before enforcing"));
    if (ReadsFiles(rule.func) && !FilesystemRestriction(rule).restricted) {
      auto missing = UnexcludedPseudoFs(policy, index, Action::kDontAppraise);
      if (!missing.empty()) {
        out.push_back(Warn(r, nullptr, "appraise-pseudo-fs",
                           "no earlier dont_appraise excludes " + Join(missing) +
                               ": their files carry no security.ima, so reads of them fail appraisal"));
      }
    }
  } else {
    out.push_back(Warn(r, nullptr, "appraise-lockout",
                       "with ima_appraise=enforce, func=" + std::string(FuncName(rule.func)) +
                           " loads fail unless the file is signed (security.ima" +
                           (rule.Has(kFlagModsigAllowed) ? std::string(" or an appended signature") : "") +
                           ") by a key on the .ima keyring; distribution keys are usually not on it"));
  }
}

void CheckPseudoFsMeasured(const Policy& policy, size_t index, std::vector<Diagnostic>& out) {
  const PolicyRule& r = policy.rules[index];
  const Rule& rule = r.rule;
  if (rule.action != Action::kMeasure || !ReadsFiles(rule.func)) return;
  Restriction restriction = FilesystemRestriction(rule);
  if (restriction.pseudo) {
    out.push_back(
        Warn(r, nullptr, "pseudo-fs-measured",
             "this rule measures files on " + std::string(restriction.pseudo->name) +
                 ", whose content the kernel generates or changes constantly: the log grows without "
                 "bound and the digests cannot be allow-listed"));
    return;
  }
  if (restriction.restricted) return;
  auto missing = UnexcludedPseudoFs(policy, index, Action::kDontMeasure);
  if (missing.empty()) return;
  out.push_back(
      Warn(r, nullptr, "pseudo-fs-measured",
           "no earlier dont_measure excludes " + Join(missing) +
               ": reads there are measured too (every /proc or /sys file read by a matching process "
               "adds an entry); add dont_measure fsmagic= rules before this one as the tcb policy does"));
}

std::string ClassWord(ActionClass c) {
  switch (c) {
    case ActionClass::kMeasure:
      return "measure";
    case ActionClass::kAppraise:
      return "appraise";
    case ActionClass::kAudit:
      return "audit";
    case ActionClass::kHash:
      return "hash";
    case ActionClass::kNone:
      break;
  }
  return "";
}

void CheckShadowing(const Policy& policy, size_t index, std::vector<Diagnostic>& out) {
  const PolicyRule& later = policy.rules[index];
  ActionClass cls = ClassOf(later.rule.action);
  for (size_t i = 0; i < index; ++i) {
    const PolicyRule& earlier = policy.rules[i];
    if (ClassOf(earlier.rule.action) != cls || !Covers(earlier.rule, later.rule)) continue;
    std::string where = "line " + std::to_string(earlier.line) + " ('" + earlier.text + "')";
    if (earlier.rule.action != later.rule.action) {
      out.push_back(Warn(later, nullptr, "shadowed-rule",
                         "never applies: the earlier rule on " + where +
                             " matches every access this rule matches, and the first matching " +
                             ClassWord(cls) + " rule decides"));
    } else {
      out.push_back(Warn(
          later, nullptr, "redundant-rule",
          "never applies: the earlier " + std::string(ActionName(earlier.rule.action)) + " rule on " + where +
              " already matches every access this rule matches, so its options here are never used"));
    }
    return;
  }
}

}  // namespace

bool Covers(const Rule& a, const Rule& b) {
  // func: a rule without func= matches file and kernel-read hooks, not buffer hooks.
  if (a.Has(kFlagFunc)) {
    if (a.func != b.func) return false;
  } else if (b.func == Func::kKeyCheck || b.func == Func::kCriticalData || b.func == Func::kKexecCmdline ||
             b.func == Func::kSetxattrCheck) {
    return false;
  }
  if (a.Has(kFlagMask) && !(b.Has(kFlagMask) && b.mask == a.mask)) return false;
  if (a.Has(kFlagInmask) && !((b.Has(kFlagMask) || b.Has(kFlagInmask)) && (b.mask & a.mask) == b.mask)) {
    return false;
  }
  if (a.Has(kFlagFsmagic) && !(b.Has(kFlagFsmagic) && b.fsmagic == a.fsmagic)) return false;
  if (a.Has(kFlagFsname) && !(b.Has(kFlagFsname) && b.fsname == a.fsname)) return false;
  if (a.Has(kFlagFsuuid) && !(b.Has(kFlagFsuuid) && b.fsuuid == a.fsuuid)) return false;
  constexpr uint32_t kUidFlags = kFlagUid | kFlagEuid;
  constexpr uint32_t kGidFlags = kFlagGid | kFlagEgid;
  if ((a.flags & kUidFlags) && !SameId(a.flags & kUidFlags, b.flags & kUidFlags, a.uid, b.uid)) return false;
  if ((a.flags & kGidFlags) && !SameId(a.flags & kGidFlags, b.flags & kGidFlags, a.gid, b.gid)) return false;
  if (a.Has(kFlagFowner) && !SameId(kFlagFowner, b.flags & kFlagFowner, a.fowner, b.fowner)) return false;
  if (a.Has(kFlagFgroup) && !SameId(kFlagFgroup, b.flags & kFlagFgroup, a.fgroup, b.fgroup)) return false;
  for (size_t k = 0; k < kLsmKeyCount; ++k) {
    if (a.lsm[k] && a.lsm[k] != b.lsm[k]) return false;
  }
  if (!ListCovers(a.keyrings, a.Has(kFlagKeyrings), b.keyrings, b.Has(kFlagKeyrings))) return false;
  if (!ListCovers(a.labels, a.Has(kFlagLabel), b.labels, b.Has(kFlagLabel))) return false;
  return true;
}

std::vector<Diagnostic> FindRisks(const Policy& policy, const Target& target) {
  std::vector<Diagnostic> out;
  bool measures = false;
  size_t setxattr_rules = 0;
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    const PolicyRule& r = policy.rules[i];
    measures = measures || r.rule.action == Action::kMeasure;
    if (r.text.find('\r') != std::string::npos) {
      out.push_back(
          Warn(r, nullptr, "carriage-return",
               "the line contains a carriage return (CRLF line ending): the kernel keeps it as part of "
               "the last value, which then never matches"));
    }
    CheckMask(r, out);
    CheckOptions(r, target, out);
    CheckAppraisal(policy, i, out);
    CheckPseudoFsMeasured(policy, i, out);
    CheckShadowing(policy, i, out);
    if (r.rule.func == Func::kSetxattrCheck && ++setxattr_rules == 2) {
      out.push_back(
          Warn(r, nullptr, "setxattr-rule-ignored",
               "only the first func=SETXATTR_CHECK rule the kernel sees sets the allowed algorithms; "
               "this one has no effect"));
    }
  }
  if (!policy.rules.empty() && !measures) {
    out.push_back(
        {.severity = Severity::kWarning,
         .code = "measures-nothing",
         .message = "no measure rule: once loaded, this policy replaces the built-in measurement rules and "
                    "IMA records nothing but boot_aggregate"});
  }
  return out;
}

}  // namespace imawatch::policy
