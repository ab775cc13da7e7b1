// One kernel IMA/EVM audit record (types 1800-1807) as the daemon sees it: the fields the
// kernel's integrity_audit_msg(), ima_audit_measurement() and ima_parse_rule() print, plus
// what the record means for an operator (doc/audit-format.md).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace imawatch::audit {

// In the order of their audit type numbers, AUDIT_INTEGRITY_DATA (1800) first.
enum class ImaAuditKind {
  kIntegrityData,
  kIntegrityMetadata,
  kIntegrityStatus,
  kIntegrityHash,
  kIntegrityPcr,
  kIntegrityRule,
  kEvmXattr,
  kIntegrityPolicyRule,
};

inline constexpr int kFirstImaAuditType = 1800;
inline constexpr int kLastImaAuditType = 1807;

// "INTEGRITY_DATA", ... as auditd names the types.
std::string_view Name(ImaAuditKind kind);
int AuditType(ImaAuditKind kind);
// The kind of an audit type number, or nullopt for any other type.
std::optional<ImaAuditKind> KindOfAuditType(int type);

struct ImaAuditEvent {
  ImaAuditKind kind = ImaAuditKind::kIntegrityData;
  uint64_t serial = 0;  // audit(…:SERIAL)
  int64_t time_ms = 0;  // audit(SECONDS.MILLIS:…)
  std::string op;
  std::string cause;
  std::string path;  // name= (integrity_audit_msg) or file= (IMA-audit measurement), decoded
  std::string comm;
  std::string hash;           // hash= of an IMA-audit measurement: "sha256:hex" or bare hex (old kernels)
  std::optional<int> result;  // res=: 1 success, 0 failure
  std::optional<int64_t> pid, uid, auid;
  // Every field of the record by name: values unquoted, hex-encoded strings decoded (as
  // auparse's raw escape mode gives them), numbers as printed (uid=0, not "root").
  std::map<std::string, std::string> fields;

  // Worth a finding: an appraisal failure (op=appraise_data/appraise_metadata or a signature
  // cause, with res=0), or a change to the IMA policy (op=policy_update, or a rule the kernel
  // rejected: op=update_policy res=0).
  bool is_finding() const;
  // What happened, for a human.
  std::string Explanation() const;
  // Stable across repeats of the same problem (no serial, no time), e.g.
  // "audit:appraise_data:invalid-hash:/usr/bin/x".
  std::string FindingKey() const;
};

}  // namespace imawatch::audit
