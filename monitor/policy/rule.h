// One IMA policy rule as the kernel stores it after ima_parse_rule(): an action, the
// conditions that select accesses, and options. Flags mirror the kernel's IMA_* rule flags so
// that per-hook checks read like the kernel's.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imawatch::policy {

enum class Action : uint8_t {
  kUnknown,
  kMeasure,
  kDontMeasure,
  kAppraise,
  kDontAppraise,
  kAudit,
  kHash,
  kDontHash
};
std::string_view ActionName(Action action);

// Rules compete only within their class: the first matching measure/dont_measure rule
// decides measurement, independently of appraisal, audit and hashing.
enum class ActionClass : uint8_t { kNone, kMeasure, kAppraise, kAudit, kHash };
ActionClass ClassOf(Action action);
bool IsDont(Action action);

// IMA hooks (func=). PATH_CHECK and FILE_MMAP are spellings of FILE_CHECK and MMAP_CHECK.
enum class Func : uint8_t {
  kNone,
  kFileCheck,
  kMmapCheck,
  kMmapCheckReqprot,
  kBprmCheck,
  kCredsCheck,
  kModuleCheck,
  kFirmwareCheck,
  kKexecKernelCheck,
  kKexecInitramfsCheck,
  kPolicyCheck,
  kKexecCmdline,
  kKeyCheck,
  kCriticalData,
  kSetxattrCheck,
};
std::string_view FuncName(Func func);
// Hooks where the kernel reads a whole file for itself (mask is MAY_READ).
bool IsKernelReadHook(Func func);
// Hooks that measure a buffer, not a file (template defaults to ima-buf).
bool IsBufferHook(Func func);

// Access mask bits as include/linux/fs.h defines them.
inline constexpr uint32_t kMayExec = 0x1;
inline constexpr uint32_t kMayWrite = 0x2;
inline constexpr uint32_t kMayRead = 0x4;
inline constexpr uint32_t kMayAppend = 0x8;
std::string_view MaskName(uint32_t mask_bit);

// Rule flags, named and grouped as in security/integrity/ima/ima_policy.c and integrity.h.
enum RuleFlag : uint32_t {
  kFlagFunc = 1u << 0,
  kFlagMask = 1u << 1,
  kFlagFsmagic = 1u << 2,
  kFlagUid = 1u << 3,
  kFlagFowner = 1u << 4,
  kFlagFsuuid = 1u << 5,
  kFlagInmask = 1u << 6,
  kFlagEuid = 1u << 7,
  kFlagPcr = 1u << 8,
  kFlagFsname = 1u << 9,
  kFlagKeyrings = 1u << 10,
  kFlagLabel = 1u << 11,
  kFlagValidateAlgos = 1u << 12,
  kFlagGid = 1u << 13,
  kFlagEgid = 1u << 14,
  kFlagFgroup = 1u << 15,
  kFlagDigsigRequired = 1u << 16,
  kFlagModsigAllowed = 1u << 17,
  kFlagCheckBlacklist = 1u << 18,
  kFlagPermitDirectio = 1u << 19,
  kFlagVerityRequired = 1u << 20,
};

enum class IdOp : uint8_t { kEq, kGt, kLt };
struct IdCondition {
  uint32_t value = 0;
  IdOp op = IdOp::kEq;
};

enum class LsmKey : uint8_t { kObjUser, kObjRole, kObjType, kSubjUser, kSubjRole, kSubjType };
inline constexpr size_t kLsmKeyCount = 6;
std::string_view LsmKeyName(LsmKey key);

// What a token of the rule text is (the kernel's Opt_* class).
enum class TokenKind : uint8_t {
  kAction,
  kFunc,
  kMask,
  kFsmagic,
  kFsname,
  kFsuuid,
  kUid,
  kEuid,
  kGid,
  kEgid,
  kFowner,
  kFgroup,
  kLsm,
  kKeyrings,
  kLabel,
  kPcr,
  kTemplate,
  kDigestType,
  kAppraiseType,
  kAppraiseFlag,
  kAppraiseAlgos,
  kPermitDirectio,
  kUnknown,
};

struct Token {
  std::string text;
  uint32_t column = 0;  // 1-based byte column in the line
  TokenKind kind = TokenKind::kUnknown;
};

struct Rule {
  Action action = Action::kUnknown;
  Func func = Func::kNone;
  uint32_t flags = 0;  // RuleFlag bits
  uint32_t mask = 0;   // with kFlagMask (exact) or kFlagInmask (any bit, written ^MAY_...)
  uint64_t fsmagic = 0;
  std::string fsname;
  std::array<uint8_t, 16> fsuuid{};
  IdCondition uid;  // uid= or euid= (one slot, kFlagUid or kFlagEuid)
  IdCondition gid;  // gid= or egid= (kFlagGid or kFlagEgid)
  IdCondition fowner;
  IdCondition fgroup;
  std::array<std::optional<std::string>, kLsmKeyCount> lsm;
  std::vector<std::string> keyrings;
  std::vector<std::string> labels;
  int pcr = 0;
  std::string template_name;                // empty: the kernel's default template
  std::vector<std::string> appraise_algos;  // kernel hash_algo_name spellings
  std::vector<Token> tokens;                // as written, in order

  bool Has(uint32_t flag) const { return (flags & flag) != 0; }
  bool HasLsmCondition() const;
  // The first token of a kind (nullptr if none): where a diagnostic about it points.
  const Token* FirstToken(TokenKind kind) const;
};

}  // namespace imawatch::policy
