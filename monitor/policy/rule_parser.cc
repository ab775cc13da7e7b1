#include "monitor/policy/rule_parser.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <cstring>

namespace imawatch::policy {
namespace {

// ---- number and value syntax, as lib/kstrtox.c and lib/uuid.c read them ----

enum class NumStatus : uint8_t { kOk, kInvalid, kRange };
struct Number {
  NumStatus status = NumStatus::kInvalid;
  uint64_t value = 0;
};

// _kstrtoull(): "0x" is skipped for base 16, overflow is ERANGE, no digits or trailing
// characters (other than one newline) are EINVAL.
Number KstrtoullUnsigned(std::string_view s, unsigned base) {
  if (base == 16 && s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  uint64_t value = 0;
  bool overflow = false;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    unsigned digit = 0;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      break;
    }
    if (digit >= base) break;
    if (value > (UINT64_MAX - digit) / base) overflow = true;
    value = value * base + digit;
  }
  if (overflow) return {NumStatus::kRange, 0};
  if (i == 0) return {NumStatus::kInvalid, 0};
  if (i < s.size() && s[i] == '\n') ++i;
  if (i != s.size()) return {NumStatus::kInvalid, 0};
  return {NumStatus::kOk, value};
}

// kstrtoul()/kstrtoull(): one leading '+' is allowed.
Number Kstrtoul(std::string_view s, unsigned base) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  return KstrtoullUnsigned(s, base);
}

// kstrtoint(): kstrtoll() with an int range check.
std::optional<int> Kstrtoint(std::string_view s) {
  if (!s.empty() && s[0] == '-') {
    Number n = KstrtoullUnsigned(s.substr(1), 10);
    if (n.status != NumStatus::kOk || n.value > static_cast<uint64_t>(INT_MAX) + 1) return std::nullopt;
    return static_cast<int>(-static_cast<int64_t>(n.value));
  }
  Number n = Kstrtoul(s, 10);
  if (n.status != NumStatus::kOk || n.value > static_cast<uint64_t>(INT_MAX)) return std::nullopt;
  return static_cast<int>(n.value);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// uuid_parse(): the first 36 characters must be 8-4-4-4-12 hex digits; uuid_is_valid() does not
// look past them, so longer values are accepted with the tail ignored.
bool ParseUuid(std::string_view s, std::array<uint8_t, 16>& out) {
  if (s.size() < 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (HexValue(s[i]) < 0) {
      return false;
    }
  }
  static constexpr std::array<int, 16> kOffsets = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
  for (size_t i = 0; i < 16; ++i) {
    out[i] = static_cast<uint8_t>(HexValue(s[kOffsets[i]]) << 4 | HexValue(s[kOffsets[i] + 1]));
  }
  return true;
}

// ima_alloc_rule_opt_list(): '|'-separated, no empty item.
std::optional<std::vector<std::string>> ParseOptList(std::string_view s) {
  std::vector<std::string> items;
  size_t start = 0;
  for (;;) {
    size_t bar = s.find('|', start);
    std::string_view item =
        s.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
    if (item.empty()) return std::nullopt;
    items.emplace_back(item);
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  return items;
}

// ---- the token table (policy_tokens[]) ----

struct HashName {
  std::string_view name;
  KernelVersion since;
};
constexpr std::array<HashName, 23> kHashNames = {{
    {"md4", {5, 4}},          {"md5", {5, 4}},          {"sha1", {5, 4}},         {"rmd160", {5, 4}},
    {"sha256", {5, 4}},       {"sha384", {5, 4}},       {"sha512", {5, 4}},       {"sha224", {5, 4}},
    {"rmd128", {5, 4}},       {"rmd256", {5, 4}},       {"rmd320", {5, 4}},       {"wp256", {5, 4}},
    {"wp384", {5, 4}},        {"wp512", {5, 4}},        {"tgr128", {5, 4}},       {"tgr160", {5, 4}},
    {"tgr192", {5, 4}},       {"sm3", {5, 4}},          {"streebog256", {5, 4}},  {"streebog512", {5, 4}},
    {"sha3-256", kSha3Since}, {"sha3-384", kSha3Since}, {"sha3-512", kSha3Since},
}};

struct TemplateName {
  std::string_view name;
  KernelVersion since;
};
constexpr std::array<TemplateName, 8> kTemplates = {{
    {"ima", {5, 4}},
    {"ima-ng", {5, 4}},
    {"ima-sig", {5, 4}},
    {"ima-buf", {5, 4}},
    {"ima-modsig", {5, 4}},
    {"evm-sig", kEvmSigSince},
    {"ima-ngv2", kVeritySince},
    {"ima-sigv2", kVeritySince},
}};

struct Keyword {
  std::string_view text;  // "measure" (exact) or "func" (followed by an operator and a value)
  TokenKind kind;
  bool takes_value;
  bool takes_order;  // also "<value" and ">value"
  KernelVersion since;
  Action action = Action::kUnknown;
  LsmKey lsm = LsmKey::kObjUser;
};

constexpr KernelVersion kAlways{5, 4};
constexpr std::array<Keyword, 35> kKeywords = {{
    {"measure", TokenKind::kAction, false, false, kAlways, Action::kMeasure},
    {"dont_measure", TokenKind::kAction, false, false, kAlways, Action::kDontMeasure},
    {"appraise", TokenKind::kAction, false, false, kAlways, Action::kAppraise},
    {"dont_appraise", TokenKind::kAction, false, false, kAlways, Action::kDontAppraise},
    {"audit", TokenKind::kAction, false, false, kAlways, Action::kAudit},
    {"hash", TokenKind::kAction, false, false, kAlways, Action::kHash},
    {"dont_hash", TokenKind::kAction, false, false, kAlways, Action::kDontHash},
    {"obj_user", TokenKind::kLsm, true, false, kAlways, Action::kUnknown, LsmKey::kObjUser},
    {"obj_role", TokenKind::kLsm, true, false, kAlways, Action::kUnknown, LsmKey::kObjRole},
    {"obj_type", TokenKind::kLsm, true, false, kAlways, Action::kUnknown, LsmKey::kObjType},
    {"subj_user", TokenKind::kLsm, true, false, kAlways, Action::kUnknown, LsmKey::kSubjUser},
    {"subj_role", TokenKind::kLsm, true, false, kAlways, Action::kUnknown, LsmKey::kSubjRole},
    {"subj_type", TokenKind::kLsm, true, false, kAlways, Action::kUnknown, LsmKey::kSubjType},
    {"func", TokenKind::kFunc, true, false, kAlways},
    {"mask", TokenKind::kMask, true, false, kAlways},
    {"fsmagic", TokenKind::kFsmagic, true, false, kAlways},
    {"fsname", TokenKind::kFsname, true, false, kAlways},
    {"fsuuid", TokenKind::kFsuuid, true, false, kAlways},
    {"uid", TokenKind::kUid, true, true, kAlways},
    {"euid", TokenKind::kEuid, true, true, kAlways},
    {"gid", TokenKind::kGid, true, true, kGidSince},
    {"egid", TokenKind::kEgid, true, true, kGidSince},
    {"fowner", TokenKind::kFowner, true, true, kAlways},
    {"fgroup", TokenKind::kFgroup, true, true, kGidSince},
    {"digest_type", TokenKind::kDigestType, true, false, kVeritySince},
    {"appraise_type", TokenKind::kAppraiseType, true, false, kAlways},
    {"appraise_flag", TokenKind::kAppraiseFlag, true, false, kAlways},
    {"appraise_algos", TokenKind::kAppraiseAlgos, true, false, kAppraiseAlgosSince},
    {"permit_directio", TokenKind::kPermitDirectio, false, false, kAlways},
    {"pcr", TokenKind::kPcr, true, false, kAlways},
    {"template", TokenKind::kTemplate, true, false, kAlways},
    {"keyrings", TokenKind::kKeyrings, true, false, kKeyCheckSince},
    {"label", TokenKind::kLabel, true, false, kCriticalDataSince},
    // Not tokens of any kernel; listed so that the diagnosis can say so.
    {"dont_audit", TokenKind::kUnknown, false, false, {99, 0}},
    {"mode", TokenKind::kUnknown, true, false, {99, 0}},
}};

struct Match {
  const Keyword* keyword = nullptr;
  char op = '=';
  std::string_view value;
};

// match_token(): a keyword matches exactly; "key=%s" matches the prefix and a non-empty rest.
std::optional<Match> MatchToken(std::string_view token, KernelVersion kernel) {
  for (const auto& keyword : kKeywords) {
    if (keyword.since > kernel) continue;
    if (!keyword.takes_value) {
      if (token == keyword.text) return Match{&keyword, '=', {}};
      continue;
    }
    if (token.size() <= keyword.text.size() + 1 || !token.starts_with(keyword.text)) continue;
    char op = token[keyword.text.size()];
    if (op == '=' || (keyword.takes_order && (op == '<' || op == '>'))) {
      return Match{&keyword, op, token.substr(keyword.text.size() + 1)};
    }
  }
  return std::nullopt;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Failure {
  std::string code;
  std::string message;
};

// Why match_token() found nothing for a token: Opt_err, said precisely.
Failure DiagnoseUnknown(std::string_view token, KernelVersion kernel) {
  if (token.starts_with("#")) {
    return {"trailing-comment",
            "the kernel has no trailing comments: '#' starts a token it does not know, so the rule is "
            "rejected; put the comment on a line of its own"};
  }
  if (token == "dont_audit") {
    return {"unknown-token", "no kernel has a dont_audit action (audit rules cannot be negated)"};
  }
  size_t op = token.find_first_of("=<>");
  std::string_view key = op == std::string_view::npos ? token : token.substr(0, op);
  for (const auto& keyword : kKeywords) {
    if (keyword.text != key) continue;
    if (keyword.since.major == 99) {
      return {"unknown-token",
              "'" + std::string(key) + "' is not an IMA policy keyword of any upstream kernel"};
    }
    if (keyword.since > kernel) {
      return {"token-not-in-kernel", "'" + std::string(key) + "' was added in Linux " +
                                         keyword.since.ToString() + "; kernel " + kernel.ToString() +
                                         " does not know the token"};
    }
    if (keyword.takes_value && op != std::string_view::npos && op + 1 == token.size()) {
      return {"empty-value", "'" + std::string(key) +
                                 "' needs a value: the kernel's token matcher does not "
                                 "match an empty value and rejects the token"};
    }
    if (keyword.takes_value && op != std::string_view::npos) {
      return {"unknown-token", "'" + std::string(key) + "' takes '=' " +
                                   (keyword.takes_order ? "'<' or '>' " : "") + "before its value"};
    }
    if (keyword.takes_value) {
      return {"unknown-token", "'" + std::string(key) + "' needs '=' and a value"};
    }
    return {"unknown-token", "'" + std::string(key) + "' takes no value"};
  }
  std::string lower = Lower(key);
  std::string suggestion;
  size_t best = 3;
  for (const auto& keyword : kKeywords) {
    if (keyword.since > kernel) continue;
    if (lower == keyword.text) {
      return {"unknown-token", "tokens are case-sensitive: write '" + std::string(keyword.text) + "'"};
    }
    size_t d = EditDistance(key, keyword.text);
    if (d < best) {
      best = d;
      suggestion = keyword.text;
    }
  }
  std::string message = "the kernel does not know this token";
  if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
  return {"unknown-token", message};
}

struct FuncSpelling {
  std::string_view name;
  Func func;
};
constexpr std::array<FuncSpelling, 17> kFuncSpellings = {{
    {"FILE_CHECK", Func::kFileCheck},
    {"PATH_CHECK", Func::kFileCheck},
    {"MODULE_CHECK", Func::kModuleCheck},
    {"FIRMWARE_CHECK", Func::kFirmwareCheck},
    {"FILE_MMAP", Func::kMmapCheck},
    {"MMAP_CHECK", Func::kMmapCheck},
    {"MMAP_CHECK_REQPROT", Func::kMmapCheckReqprot},
    {"BPRM_CHECK", Func::kBprmCheck},
    {"CREDS_CHECK", Func::kCredsCheck},
    {"KEXEC_KERNEL_CHECK", Func::kKexecKernelCheck},
    {"KEXEC_INITRAMFS_CHECK", Func::kKexecInitramfsCheck},
    {"POLICY_CHECK", Func::kPolicyCheck},
    {"KEXEC_CMDLINE", Func::kKexecCmdline},
    {"KEY_CHECK", Func::kKeyCheck},
    {"CRITICAL_DATA", Func::kCriticalData},
    {"SETXATTR_CHECK", Func::kSetxattrCheck},
    {"NONE", Func::kNone},
}};

std::optional<KernelVersion> FuncSince(Func func) {
  switch (func) {
    case Func::kMmapCheckReqprot:
      return kMmapReqprotSince;
    case Func::kKeyCheck:
      return kKeyCheckSince;
    case Func::kCriticalData:
      return kCriticalDataSince;
    case Func::kSetxattrCheck:
      return kAppraiseAlgosSince;
    case Func::kNone:
      return std::nullopt;
    default:
      return KernelVersion{5, 4};
  }
}

uint32_t ParseMaskName(std::string_view name) {
  for (uint32_t bit : {kMayExec, kMayWrite, kMayRead, kMayAppend}) {
    if (name == MaskName(bit)) return bit;
  }
  return 0;
}

// ima_hook_supports_modsig()
bool SupportsModsig(Func func) {
  return func == Func::kModuleCheck || func == Func::kKexecKernelCheck || func == Func::kKexecInitramfsCheck;
}

// The flags ima_validate_rule() allows for each hook.
uint32_t AllowedFlags(Func func, const KernelFeatures& f) {
  constexpr uint32_t kFileConditions = kFlagFunc | kFlagMask | kFlagFsmagic | kFlagUid | kFlagFowner |
                                       kFlagFsuuid | kFlagInmask | kFlagEuid | kFlagPcr | kFlagFsname |
                                       kFlagGid | kFlagEgid | kFlagFgroup | kFlagDigsigRequired |
                                       kFlagPermitDirectio | kFlagValidateAlgos;
  switch (func) {
    case Func::kNone:
    case Func::kFileCheck:
    case Func::kMmapCheck:
    case Func::kMmapCheckReqprot:
    case Func::kBprmCheck:
    case Func::kCredsCheck:
    case Func::kFirmwareCheck:
    case Func::kPolicyCheck:
      return kFileConditions | kFlagVerityRequired |
             (f.appraise_flag_ignored ? uint32_t{kFlagCheckBlacklist} : 0u);
    case Func::kModuleCheck:
    case Func::kKexecKernelCheck:
    case Func::kKexecInitramfsCheck:
      return kFileConditions | kFlagModsigAllowed | kFlagCheckBlacklist;
    case Func::kKexecCmdline:
      return kFlagFunc | kFlagFsmagic | kFlagUid | kFlagFowner | kFlagFsuuid | kFlagEuid | kFlagPcr |
             kFlagFsname | kFlagGid | kFlagEgid | kFlagFgroup;
    case Func::kKeyCheck:
      return kFlagFunc | kFlagUid | kFlagGid | kFlagPcr | kFlagKeyrings;
    case Func::kCriticalData:
      return kFlagFunc | kFlagUid | kFlagGid | kFlagPcr | kFlagLabel;
    case Func::kSetxattrCheck:
      return kFlagFunc | kFlagValidateAlgos;
  }
  return 0;
}

Failure CarriageReturn() {
  return {"carriage-return",
          "the line ends in a carriage return (CRLF line ending); the kernel splits only on spaces and tabs, "
          "so '\\r' is part of the token and the rule is rejected"};
}

std::string FuncText(Func func) {
  return func == Func::kNone ? std::string("rules without func=") : "func=" + std::string(FuncName(func));
}

// Parser state for one rule: ima_rule_entry plus, per token, the flags that token set.
class RuleParser {
 public:
  RuleParser(std::string_view text, const Target& target)
      : text_(text), target_(target), features_(FeaturesOf(target.kernel)) {}

  RuleParseResult Run() {
    Tokenize();
    for (size_t i = 0; i < rule_.tokens.size(); ++i) {
      if (auto failure = ParseToken(i)) return Fail(i, std::move(*failure));
    }
    if (!features_.validate_rule) {
      if (rule_.action == Action::kUnknown) return FailRule("missing-action", MissingActionMessage());
      return Accept();
    }
    return Validate();
  }

 private:
  void Tokenize() {
    size_t i = 0;
    while (i < text_.size()) {
      if (text_[i] == ' ' || text_[i] == '\t') {
        ++i;
        continue;
      }
      size_t start = i;
      while (i < text_.size() && text_[i] != ' ' && text_[i] != '\t') ++i;
      rule_.tokens.push_back({std::string(text_.substr(start, i - start)), static_cast<uint32_t>(start + 1)});
      token_flags_.push_back(0);
    }
  }

  RuleParseResult Accept() {
    RuleParseResult result;
    result.rule = std::move(rule_);
    return result;
  }

  RuleParseResult Fail(size_t token_index, Failure failure) {
    RuleParseResult result;
    const Token& token = rule_.tokens[token_index];
    result.error = Diagnostic{.severity = Severity::kError,
                              .code = std::move(failure.code),
                              .message = std::move(failure.message),
                              .token = token.text,
                              .column = token.column};
    return result;
  }

  RuleParseResult FailRule(std::string code, std::string message) {
    RuleParseResult result;
    uint32_t column = rule_.tokens.empty() ? 1 : rule_.tokens.front().column;
    result.error = Diagnostic{.severity = Severity::kError,
                              .code = std::move(code),
                              .message = std::move(message),
                              .column = column};
    return result;
  }

  // The first token whose flags intersect mask (for validation errors, which the kernel
  // reports for the rule as a whole).
  std::optional<size_t> TokenWithFlags(uint32_t mask) const {
    for (size_t i = 0; i < token_flags_.size(); ++i) {
      if (token_flags_[i] & mask) return i;
    }
    return std::nullopt;
  }
  std::optional<size_t> TokenOfKind(TokenKind kind) const {
    for (size_t i = 0; i < rule_.tokens.size(); ++i) {
      if (rule_.tokens[i].kind == kind) return i;
    }
    return std::nullopt;
  }

  std::string MissingActionMessage() const {
    return "a rule needs one action (measure, dont_measure, appraise, dont_appraise, audit, hash or "
           "dont_hash)";
  }

  void SetFlags(size_t i, uint32_t flags) {
    rule_.flags |= flags;
    token_flags_[i] |= flags;
  }

  std::optional<Failure> ParseToken(size_t i) {
    Token& token = rule_.tokens[i];
    auto match = MatchToken(token.text, target_.kernel);
    if (!match) {
      return DiagnoseUnknown(token.text, target_.kernel);
    }
    token.kind = match->keyword->kind;
    std::string_view value = match->value;
    switch (match->keyword->kind) {
      case TokenKind::kAction:
        return ParseAction(match->keyword->action);
      case TokenKind::kFunc:
        return ParseFunc(i, value);
      case TokenKind::kMask:
        return ParseMask(i, value);
      case TokenKind::kFsmagic:
        return ParseFsmagic(i, value);
      case TokenKind::kFsname:
        rule_.fsname = std::string(value);
        SetFlags(i, kFlagFsname);
        return std::nullopt;
      case TokenKind::kFsuuid:
        return ParseFsuuid(i, value);
      case TokenKind::kUid:
      case TokenKind::kEuid:
      case TokenKind::kGid:
      case TokenKind::kEgid:
      case TokenKind::kFowner:
      case TokenKind::kFgroup:
        return ParseId(i, match->keyword->kind, match->op, value);
      case TokenKind::kLsm:
        return ParseLsm(match->keyword->lsm, value);
      case TokenKind::kKeyrings:
        return ParseKeyrings(i, value);
      case TokenKind::kLabel:
        return ParseLabel(i, value);
      case TokenKind::kPcr:
        return ParsePcr(i, value);
      case TokenKind::kTemplate:
        return ParseTemplate(value);
      case TokenKind::kDigestType:
        return ParseDigestType(i, value);
      case TokenKind::kAppraiseType:
        return ParseAppraiseType(i, value);
      case TokenKind::kAppraiseFlag:
        return ParseAppraiseFlag(i, value);
      case TokenKind::kAppraiseAlgos:
        return ParseAppraiseAlgos(i, value);
      case TokenKind::kPermitDirectio:
        SetFlags(i, kFlagPermitDirectio);
        return std::nullopt;
      case TokenKind::kUnknown:
        break;
    }
    return DiagnoseUnknown(token.text, target_.kernel);
  }

  std::optional<Failure> ParseAction(Action action) {
    if (rule_.action != Action::kUnknown) {
      return Failure{"multiple-actions", "the rule already has the action '" +
                                             std::string(ActionName(rule_.action)) +
                                             "'; a rule takes exactly one action"};
    }
    rule_.action = action;
    return std::nullopt;
  }

  std::optional<Failure> ParseFunc(size_t i, std::string_view value) {
    if (rule_.func != Func::kNone) {
      return Failure{"duplicate-func", "the rule already has func=" + std::string(FuncName(rule_.func)) +
                                           "; a rule takes one func="};
    }
    std::optional<Func> func;
    for (const auto& spelling : kFuncSpellings) {
      if (spelling.name == value) func = spelling.func;
    }
    if (!func || *func == Func::kNone) {
      return Failure{"invalid-func",
                     "'" + std::string(value) +
                         "' is not a hook name (FILE_CHECK, MMAP_CHECK, BPRM_CHECK, CREDS_CHECK, "
                         "MODULE_CHECK, FIRMWARE_CHECK, KEXEC_KERNEL_CHECK, KEXEC_INITRAMFS_CHECK, "
                         "POLICY_CHECK, KEXEC_CMDLINE, KEY_CHECK, CRITICAL_DATA, SETXATTR_CHECK, "
                         "MMAP_CHECK_REQPROT)"};
    }
    auto since = FuncSince(*func);
    if (since && *since > target_.kernel) {
      return Failure{"func-not-in-kernel", "func=" + std::string(value) + " was added in Linux " +
                                               since->ToString() + "; kernel " + target_.kernel.ToString() +
                                               " rejects it"};
    }
    if (*func == Func::kKeyCheck && !target_.config.measure_asymmetric_keys) {
      return Failure{"func-needs-kconfig",
                     "func=KEY_CHECK needs a kernel built with CONFIG_IMA_MEASURE_ASYMMETRIC_KEYS"};
    }
    rule_.func = *func;
    SetFlags(i, kFlagFunc);
    return std::nullopt;
  }

  std::optional<Failure> ParseMask(size_t i, std::string_view value) {
    if (rule_.mask != 0)
      return Failure{"duplicate-mask", "the rule already has a mask=; a rule takes one mask="};
    bool inclusive = !value.empty() && value[0] == '^';
    std::string_view name = inclusive ? value.substr(1) : value;
    uint32_t bit = ParseMaskName(name);
    if (bit == 0) {
      return Failure{
          "invalid-mask",
          "mask takes one of MAY_EXEC, MAY_WRITE, MAY_READ, MAY_APPEND, optionally prefixed by '^'"};
    }
    rule_.mask = bit;
    SetFlags(i, inclusive ? kFlagInmask : kFlagMask);
    return std::nullopt;
  }

  std::optional<Failure> ParseFsmagic(size_t i, std::string_view value) {
    // The kernel detects a repeated fsmagic= by a non-zero stored value.
    if (rule_.fsmagic != 0) {
      return Failure{"duplicate-fsmagic", "the rule already has an fsmagic=; a rule takes one fsmagic="};
    }
    Number n = Kstrtoul(value, 16);
    if (n.status == NumStatus::kRange) {
      return Failure{"invalid-fsmagic", "the magic number does not fit in 64 bits (ERANGE)"};
    }
    if (n.status != NumStatus::kOk) {
      return Failure{"invalid-fsmagic", "fsmagic takes a hexadecimal number, with or without 0x"};
    }
    rule_.fsmagic = n.value;
    SetFlags(i, kFlagFsmagic);
    return std::nullopt;
  }

  std::optional<Failure> ParseFsuuid(size_t i, std::string_view value) {
    bool set = std::any_of(rule_.fsuuid.begin(), rule_.fsuuid.end(), [](uint8_t b) { return b != 0; });
    if (set) return Failure{"duplicate-fsuuid", "the rule already has an fsuuid=; a rule takes one fsuuid="};
    if (!ParseUuid(value, rule_.fsuuid)) {
      return Failure{"invalid-fsuuid", "fsuuid takes a UUID written xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"};
    }
    SetFlags(i, kFlagFsuuid);
    return std::nullopt;
  }

  std::optional<Failure> ParseId(size_t i, TokenKind kind, char op, std::string_view value) {
    IdCondition* slot = nullptr;
    uint32_t flag = 0;
    bool* taken = nullptr;
    std::string key;
    switch (kind) {
      case TokenKind::kUid:
      case TokenKind::kEuid:
        slot = &rule_.uid;
        taken = &uid_taken_;
        flag = kind == TokenKind::kUid ? kFlagUid : kFlagEuid;
        key = kind == TokenKind::kUid ? "uid" : "euid";
        break;
      case TokenKind::kGid:
      case TokenKind::kEgid:
        slot = &rule_.gid;
        taken = &gid_taken_;
        flag = kind == TokenKind::kGid ? kFlagGid : kFlagEgid;
        key = kind == TokenKind::kGid ? "gid" : "egid";
        break;
      case TokenKind::kFowner:
        slot = &rule_.fowner;
        taken = &fowner_taken_;
        flag = kFlagFowner;
        key = "fowner";
        break;
      default:
        slot = &rule_.fgroup;
        taken = &fgroup_taken_;
        flag = kFlagFgroup;
        key = "fgroup";
        break;
    }
    if (*taken) {
      if (kind == TokenKind::kUid || kind == TokenKind::kEuid) {
        return Failure{"uid-slot-taken",
                       "uid and euid share one slot in a rule: the rule already has a uid or "
                       "euid condition"};
      }
      if (kind == TokenKind::kGid || kind == TokenKind::kEgid) {
        return Failure{"gid-slot-taken",
                       "gid and egid share one slot in a rule: the rule already has a gid or "
                       "egid condition"};
      }
      return Failure{"duplicate-" + key, "the rule already has a " + key + " condition; a rule takes one"};
    }
    Number n = Kstrtoul(value, 10);
    if (n.status == NumStatus::kRange) {
      return Failure{"id-out-of-range", key + " value does not fit in 64 bits (ERANGE)"};
    }
    if (n.status != NumStatus::kOk) return Failure{"invalid-id", key + " takes a decimal number"};
    if (n.value >= 0xffffffffULL) {
      return Failure{"id-out-of-range",
                     key + " must be below 4294967295 (a 32-bit id; 4294967295 is the invalid id)"};
    }
    *taken = true;
    slot->value = static_cast<uint32_t>(n.value);
    slot->op = op == '>' ? IdOp::kGt : (op == '<' ? IdOp::kLt : IdOp::kEq);
    SetFlags(i, flag);
    return std::nullopt;
  }

  std::optional<Failure> ParseLsm(LsmKey key, std::string_view value) {
    auto& slot = rule_.lsm[static_cast<size_t>(key)];
    std::string name(LsmKeyName(key));
    if (slot)
      return Failure{"duplicate-lsm-condition", "the rule already has " + name + "=; a rule takes one"};
    const char* why = nullptr;
    Lsm lsm = target_.config.lsm;
    if (!target_.config.lsm_rules) {
      why = "the kernel is built without CONFIG_IMA_LSM_RULES";
    } else if (lsm == Lsm::kNone) {
      why = "no LSM is active";
    } else if (lsm == Lsm::kApparmor && key != LsmKey::kSubjRole) {
      why = "AppArmor implements only subj_role (the profile label)";
    } else if (lsm == Lsm::kSmack && key != LsmKey::kSubjUser && key != LsmKey::kObjUser) {
      why = "Smack implements only subj_user and obj_user (the Smack label)";
    }
    if (why) {
      return Failure{"lsm-unsupported",
                     name + "= cannot be turned into an LSM rule: " + std::string(why) +
                         ". The kernel rejects it on the first policy load (on later loads it "
                         "keeps the rule, which never matches)"};
    }
    if (lsm == Lsm::kApparmor && target_.config.apparmor_profiles && value != "unconfined" &&
        !target_.config.apparmor_profiles->contains(value)) {
      return Failure{
          "lsm-label-unknown",
          "AppArmor has no profile '" + std::string(value) +
              "' loaded (only 'unconfined' always exists): the label does not resolve, and the "
              "kernel rejects the rule on the first policy load (on later loads it keeps the rule, "
              "which never matches)"};
    }
    slot = std::string(value);
    return std::nullopt;
  }

  std::optional<Failure> ParseKeyrings(size_t i, std::string_view value) {
    if (!target_.config.measure_asymmetric_keys) {
      return Failure{"keyrings-needs-kconfig",
                     "keyrings= needs a kernel built with CONFIG_IMA_MEASURE_ASYMMETRIC_KEYS"};
    }
    if (rule_.Has(kFlagKeyrings)) return Failure{"duplicate-keyrings", "the rule already has keyrings="};
    if (!features_.validate_rule && (rule_.action != Action::kMeasure || rule_.func != Func::kKeyCheck)) {
      return Failure{"keyrings-needs-key-check", "on kernel " + target_.kernel.ToString() +
                                                     " keyrings= must follow measure and func=KEY_CHECK"};
    }
    auto items = ParseOptList(value);
    if (!items)
      return Failure{"empty-list-item", "keyrings= takes names separated by '|', none of them empty"};
    rule_.keyrings = std::move(*items);
    SetFlags(i, kFlagKeyrings);
    return std::nullopt;
  }

  std::optional<Failure> ParseLabel(size_t i, std::string_view value) {
    if (rule_.Has(kFlagLabel)) return Failure{"duplicate-label", "the rule already has label="};
    auto items = ParseOptList(value);
    if (!items) return Failure{"empty-list-item", "label= takes labels separated by '|', none of them empty"};
    rule_.labels = std::move(*items);
    SetFlags(i, kFlagLabel);
    return std::nullopt;
  }

  std::optional<Failure> ParsePcr(size_t i, std::string_view value) {
    if (!features_.validate_rule && rule_.action != Action::kMeasure) {
      return Failure{"pcr-needs-measure", "on kernel " + target_.kernel.ToString() +
                                              " pcr= must come after the measure action (only measure rules "
                                              "extend a PCR)"};
    }
    auto pcr = Kstrtoint(value);
    if (!pcr) return Failure{"invalid-pcr", "pcr takes a decimal number"};
    if (*pcr < 0 || *pcr >= 64) {
      return Failure{"pcr-out-of-range", "the kernel accepts PCR indexes 0 to 63 only (a TPM has 24)"};
    }
    rule_.pcr = *pcr;
    SetFlags(i, kFlagPcr);
    return std::nullopt;
  }

  std::optional<Failure> ParseTemplate(std::string_view value) {
    if (rule_.action != Action::kMeasure) {
      return Failure{
          "template-needs-measure",
          rule_.action == Action::kUnknown
              ? std::string("template= must come after the measure action (the kernel checks the action "
                            "when it reads template=)")
              : "template= is only valid on measure rules, not " + std::string(ActionName(rule_.action))};
    }
    const TemplateName* found = nullptr;
    for (const auto& t : kTemplates) {
      if (t.name == value) found = &t;
    }
    if (!found) {
      return Failure{"unknown-template", "'" + std::string(value) +
                                             "' is not a built-in template (ima, ima-ng, ima-sig, ima-buf, "
                                             "ima-modsig, evm-sig, ima-ngv2, ima-sigv2)"};
    }
    if (found->since > target_.kernel) {
      return Failure{"template-not-in-kernel", "template " + std::string(value) + " was added in Linux " +
                                                   found->since.ToString() + "; kernel " +
                                                   target_.kernel.ToString() + " does not know it"};
    }
    if (!rule_.template_name.empty()) {
      return Failure{"duplicate-template", "the rule already has template=" + rule_.template_name};
    }
    rule_.template_name = std::string(value);
    return std::nullopt;
  }

  std::optional<Failure> ParseDigestType(size_t i, std::string_view value) {
    if (rule_.Has(kFlagDigsigRequired)) {
      return Failure{
          "verity-after-signature",
          "digest_type= must come before appraise_type= (the kernel refuses it once a signature is "
          "required)"};
    }
    if (value != "verity") return Failure{"invalid-digest-type", "digest_type takes only the value verity"};
    SetFlags(i, kFlagVerityRequired);
    return std::nullopt;
  }

  std::optional<Failure> ParseAppraiseType(size_t i, std::string_view value) {
    if (!features_.validate_rule && rule_.action != Action::kAppraise) {
      return Failure{
          "appraise-option-needs-appraise",
          "on kernel " + target_.kernel.ToString() + " appraise_type= must come after the appraise action"};
    }
    uint32_t blacklist = features_.appraise_flag_ignored ? uint32_t{kFlagCheckBlacklist} : 0u;
    bool verity = rule_.Has(kFlagVerityRequired);
    if (value == "imasig") {
      if (verity) {
        return Failure{"imasig-with-verity",
                       "with digest_type=verity the signature type is sigv3, not imasig"};
      }
      SetFlags(i, kFlagDigsigRequired | blacklist);
      return std::nullopt;
    }
    if (value == "sigv3" && features_.verity) {
      if (!verity) {
        return Failure{
            "sigv3-needs-verity",
            "appraise_type=sigv3 needs digest_type=verity earlier in the same rule (the kernel checks "
            "the order)"};
      }
      SetFlags(i, kFlagDigsigRequired | blacklist);
      return std::nullopt;
    }
    if (value == "imasig|modsig") {
      if (!target_.config.appraise_modsig) {
        return Failure{"modsig-needs-kconfig",
                       "appraise_type=imasig|modsig needs a kernel built with CONFIG_IMA_APPRAISE_MODSIG"};
      }
      if (!features_.validate_rule && !SupportsModsig(rule_.func)) {
        return Failure{"modsig-not-allowed",
                       "on kernel " + target_.kernel.ToString() +
                           " appraise_type=imasig|modsig must follow func=MODULE_CHECK, "
                           "KEXEC_KERNEL_CHECK or KEXEC_INITRAMFS_CHECK"};
      }
      if (verity) {
        return Failure{"imasig-with-verity",
                       "with digest_type=verity the signature type is sigv3, not imasig|modsig"};
      }
      SetFlags(i, kFlagDigsigRequired | kFlagModsigAllowed | blacklist);
      return std::nullopt;
    }
    std::string values = features_.verity ? "imasig, imasig|modsig or sigv3" : "imasig or imasig|modsig";
    if (value == "sigv3") {
      return Failure{"invalid-appraise-type", "appraise_type=sigv3 was added in Linux " +
                                                  kVeritySince.ToString() + "; kernel " +
                                                  target_.kernel.ToString() + " takes " + values};
    }
    return Failure{"invalid-appraise-type", "appraise_type takes " + values};
  }

  std::optional<Failure> ParseAppraiseFlag(size_t i, std::string_view value) {
    bool blacklist = value.find("blacklist") != std::string_view::npos;
    if (features_.appraise_flag_ignored) return std::nullopt;  // accepted, audited, ignored
    if (!features_.validate_rule) {
      if (blacklist) SetFlags(i, kFlagCheckBlacklist);
      return std::nullopt;
    }
    if (!target_.config.appraise_modsig) {
      return Failure{"invalid-appraise-flag",
                     "on kernel " + target_.kernel.ToString() +
                         " appraise_flag= needs a kernel built with CONFIG_IMA_APPRAISE_MODSIG"};
    }
    if (!blacklist) {
      return Failure{"invalid-appraise-flag",
                     "on kernel " + target_.kernel.ToString() + " appraise_flag= takes check_blacklist"};
    }
    SetFlags(i, kFlagCheckBlacklist);
    return std::nullopt;
  }

  std::optional<Failure> ParseAppraiseAlgos(size_t i, std::string_view value) {
    if (!rule_.appraise_algos.empty()) {
      return Failure{"duplicate-appraise-algos", "the rule already has appraise_algos="};
    }
    std::vector<std::string> algos;
    size_t start = 0;
    for (;;) {
      size_t comma = value.find(',', start);
      std::string_view name =
          value.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (!IsKernelHashName(name, target_.kernel)) {
        return Failure{"invalid-appraise-algos",
                       name.empty()
                           ? std::string("appraise_algos takes hash names separated by ',', none empty")
                           : "'" + std::string(name) + "' is not a kernel hash algorithm name on kernel " +
                                 target_.kernel.ToString()};
      }
      if (target_.config.hash_algos && !target_.config.hash_algos->contains(name)) {
        return Failure{"appraise-algo-unavailable",
                       "the kernel's crypto API cannot provide '" + std::string(name) +
                           "' (not built in, no module loaded or loadable): the kernel refuses it "
                           "(\"unavailable hash algorithm\")"};
      }
      algos.emplace_back(name);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    rule_.appraise_algos = std::move(algos);
    SetFlags(i, kFlagValidateAlgos);
    return std::nullopt;
  }

  // ima_validate_rule(), in the kernel's order.
  RuleParseResult Validate() {
    if (rule_.action == Action::kUnknown) return FailRule("missing-action", MissingActionMessage());
    if (rule_.action != Action::kMeasure && rule_.Has(kFlagPcr)) {
      return Fail(*TokenWithFlags(kFlagPcr),
                  {"pcr-needs-measure",
                   "pcr= is only valid on measure rules, not " + std::string(ActionName(rule_.action))});
    }
    constexpr uint32_t kAppraiseOnly =
        kFlagDigsigRequired | kFlagModsigAllowed | kFlagCheckBlacklist | kFlagValidateAlgos;
    if (rule_.action != Action::kAppraise && rule_.Has(kAppraiseOnly)) {
      return Fail(*TokenWithFlags(kAppraiseOnly),
                  {"appraise-option-needs-appraise", "this option is only valid on appraise rules, not " +
                                                         std::string(ActionName(rule_.action))});
    }
    Func func = rule_.func;
    bool measure_only = func == Func::kKexecCmdline || func == Func::kKeyCheck || func == Func::kCriticalData;
    if (measure_only && rule_.action != Action::kMeasure && rule_.action != Action::kDontMeasure) {
      return Fail(
          *TokenOfKind(TokenKind::kAction),
          {"action-not-allowed-with-func", FuncText(func) + " supports only measure and dont_measure"});
    }
    if (func == Func::kSetxattrCheck) {
      if (rule_.action != Action::kAppraise) {
        return Fail(*TokenOfKind(TokenKind::kAction),
                    {"action-not-allowed-with-func", "func=SETXATTR_CHECK supports only appraise"});
      }
      if (!rule_.Has(kFlagValidateAlgos)) {
        return Fail(*TokenOfKind(TokenKind::kFunc),
                    {"setxattr-needs-appraise-algos", "func=SETXATTR_CHECK rules must have appraise_algos="});
      }
    }
    uint32_t disallowed = rule_.flags & ~AllowedFlags(func, features_);
    if (disallowed) return Fail(*TokenWithFlags(disallowed), NotAllowed(func, disallowed));
    if ((func == Func::kKeyCheck || func == Func::kCriticalData) && rule_.HasLsmCondition()) {
      return Fail(
          *TokenOfKind(TokenKind::kLsm),
          {"lsm-not-allowed-with-func", FuncText(func) + " rules cannot have LSM (obj_*/subj_*) conditions"});
    }
    if (rule_.Has(kFlagCheckBlacklist)) {
      uint32_t needed = features_.appraise_flag_ignored ? kFlagDigsigRequired : kFlagModsigAllowed;
      if (!rule_.Has(needed)) {
        return Fail(
            *TokenWithFlags(kFlagCheckBlacklist),
            {"blacklist-needs-modsig", "appraise_flag=check_blacklist needs appraise_type=imasig|modsig"});
      }
    }
    if (rule_.action == Action::kAppraise && rule_.Has(kFlagVerityRequired) &&
        !rule_.Has(kFlagDigsigRequired)) {
      return Fail(
          *TokenWithFlags(kFlagVerityRequired),
          {"verity-needs-sigv3",
           "appraise rules with digest_type=verity must require a signature: add appraise_type=sigv3"});
    }
    return Accept();
  }

  Failure NotAllowed(Func func, uint32_t disallowed) const {
    size_t index = *TokenWithFlags(disallowed);
    uint32_t flags = token_flags_[index] & disallowed;
    if (flags & kFlagModsigAllowed) {
      return {"modsig-not-allowed",
              "appraise_type=imasig|modsig is only valid with func=MODULE_CHECK, KEXEC_KERNEL_CHECK or "
              "KEXEC_INITRAMFS_CHECK, not " +
                  FuncText(func)};
    }
    if (flags & kFlagKeyrings)
      return {"keyrings-needs-key-check", "keyrings= is only valid with func=KEY_CHECK"};
    if (flags & kFlagLabel)
      return {"label-needs-critical-data", "label= is only valid with func=CRITICAL_DATA"};
    if (flags & kFlagCheckBlacklist) {
      return {"blacklist-not-allowed",
              "appraise_flag=check_blacklist is only valid with func=MODULE_CHECK, "
              "KEXEC_KERNEL_CHECK or KEXEC_INITRAMFS_CHECK, not " +
                  FuncText(func)};
    }
    if (func == Func::kSetxattrCheck) {
      return {"not-allowed-with-func",
              "func=SETXATTR_CHECK rules take only appraise_algos=, no other condition"};
    }
    return {"not-allowed-with-func", "the kernel does not allow this with " + FuncText(func)};
  }

  std::string_view text_;
  const Target& target_;
  KernelFeatures features_;
  Rule rule_;
  std::vector<uint32_t> token_flags_;
  bool uid_taken_ = false;
  bool gid_taken_ = false;
  bool fowner_taken_ = false;
  bool fgroup_taken_ = false;
};

}  // namespace

bool IsKernelHashName(std::string_view name, KernelVersion kernel) {
  return std::any_of(kHashNames.begin(), kHashNames.end(),
                     [&](const HashName& h) { return h.name == name && h.since <= kernel; });
}

RuleParseResult ParseRule(std::string_view text, const Target& target) {
  RuleParseResult result = RuleParser(text, target).Run();
  // CRLF files: when the rule fails at a token ending in '\r' and would not fail there
  // without it, the carriage return is the reason to report.
  if (result.error && result.error->token.ends_with('\r') && text.ends_with('\r')) {
    RuleParseResult without = RuleParser(text.substr(0, text.size() - 1), target).Run();
    if (!without.error || without.error->column != result.error->column ||
        without.error->code != result.error->code) {
      Failure cr = CarriageReturn();
      result.error->code = std::move(cr.code);
      result.error->message = std::move(cr.message);
    }
  }
  return result;
}

}  // namespace imawatch::policy
