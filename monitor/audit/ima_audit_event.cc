#include "monitor/audit/ima_audit_event.h"

#include <array>
#include <utility>

namespace imawatch::audit {
namespace {

constexpr std::array<std::string_view, 8> kNames = {
    "INTEGRITY_DATA", "INTEGRITY_METADATA", "INTEGRITY_STATUS",    "INTEGRITY_HASH",
    "INTEGRITY_PCR",  "INTEGRITY_RULE",     "INTEGRITY_EVM_XATTR", "INTEGRITY_POLICY_RULE",
};

// The kernel's appraisal causes (ima_appraise.c, evm_main.c) in words.
std::string_view CauseMeaning(std::string_view cause) {
  static constexpr std::pair<std::string_view, std::string_view> kMeanings[] = {
      {"invalid-hash", "the file's content does not match the hash in security.ima"},
      {"missing-hash", "the file has no security.ima hash or signature"},
      {"invalid-signature", "the signature in security.ima does not verify with the IMA keyring"},
      {"IMA-signature-required", "the policy requires a signature but security.ima holds only a hash"},
      {"verity-signature-required", "the policy requires an fs-verity signature"},
      {"invalid-signature-version", "the signature in security.ima has an unsupported version"},
      {"invalid-xattr", "security.ima is malformed"},
      {"missing-HMAC", "the file has no security.evm"},
      {"invalid-HMAC", "security.evm does not match the file's metadata"},
      {"invalid-fail-immutable", "the EVM portable signature does not match the file's metadata"},
  };
  for (const auto& [name, meaning] : kMeanings) {
    if (name == cause) return meaning;
  }
  return {};
}

bool IsAppraisalOp(std::string_view op) { return op == "appraise_data" || op == "appraise_metadata"; }

std::string Who(const ImaAuditEvent& e) {
  std::string out;
  if (!e.comm.empty()) out = e.comm;
  if (e.pid) out += (out.empty() ? "pid " : " (pid ") + std::to_string(*e.pid) + (out.empty() ? "" : ")");
  return out;
}

std::string ByWhom(const ImaAuditEvent& e, std::string_view verb) {
  std::string who = Who(e);
  return who.empty() ? std::string() : ", " + std::string(verb) + " " + who;
}

std::string Quoted(const std::string& path) { return path.empty() ? "a file" : path; }

// action=, func=, mask= first: the way policy rules are written.
std::string RuleText(const ImaAuditEvent& e) {
  std::string out;
  auto add = [&out](const std::string& name, const std::string& value) {
    if (!out.empty()) out += ' ';
    out += name + "=" + value;
  };
  static constexpr std::string_view kFirst[] = {"action", "func", "mask"};
  for (std::string_view name : kFirst) {
    if (auto it = e.fields.find(std::string(name)); it != e.fields.end()) add(it->first, it->second);
  }
  for (const auto& [name, value] : e.fields) {
    if (name == "action" || name == "func" || name == "mask" || name == "type" || name == "node" ||
        name == "res")
      continue;
    add(name, value);
  }
  return out;
}

}  // namespace

std::string_view Name(ImaAuditKind kind) { return kNames[static_cast<size_t>(kind)]; }

int AuditType(ImaAuditKind kind) { return kFirstImaAuditType + static_cast<int>(kind); }

std::optional<ImaAuditKind> KindOfAuditType(int type) {
  if (type < kFirstImaAuditType || type > kLastImaAuditType) return std::nullopt;
  return static_cast<ImaAuditKind>(type - kFirstImaAuditType);
}

bool ImaAuditEvent::is_finding() const {
  const bool failed = result == 0;
  if (failed && (IsAppraisalOp(op) || cause.find("signature") != std::string::npos)) return true;
  if (op == "policy_update") return true;
  return op == "update_policy" && failed;
}

std::string ImaAuditEvent::Explanation() const {
  if (op == "invalid_pcr" && cause == "open_writers") {
    return "a measured file was open for write: IMA logged a violation (PCR extended with 0xff..) for " +
           Quoted(path) + ByWhom(*this, "read by");
  }
  if (op == "invalid_pcr" && cause == "ToMToU") {
    return "a file was opened for write while it was open for measurement (time of measure, time of use): "
           "IMA logged a violation (PCR extended with 0xff..) for " +
           Quoted(path) + ByWhom(*this, "written by");
  }
  if (result == 0 && (IsAppraisalOp(op) || cause.find("signature") != std::string::npos)) {
    std::string out = Quoted(path) + " failed appraisal: " + cause;
    if (std::string_view meaning = CauseMeaning(cause); !meaning.empty()) {
      out += " (" + std::string(meaning) + ")";
    }
    return out + ByWhom(*this, "accessed by");
  }
  if (op == "policy_update") {
    if (cause == "completed") return "the IMA policy was updated" + ByWhom(*this, "written by");
    if (cause == "failed") {
      return "an IMA policy update failed: the rules written were not applied" + ByWhom(*this, "written by");
    }
    if (cause == "signed policy required") {
      return "an IMA policy update was refused: the kernel accepts only a signed policy file" +
             ByWhom(*this, "written by");
    }
    return "IMA policy update: " + cause + ByWhom(*this, "written by");
  }
  if (op == "update_policy" && result == 0) {
    return "the kernel rejected an IMA policy rule (" + cause + ")" + ByWhom(*this, "written by");
  }
  if (op == "collect_data") {
    return "IMA could not read " + Quoted(path) + " to hash it (" + cause + ")" + ByWhom(*this, "opened by");
  }
  if (kind == ImaAuditKind::kIntegrityRule && !path.empty()) {
    return "IMA audit rule: " + path + (hash.empty() ? "" : " has hash " + hash) +
           ByWhom(*this, "accessed by");
  }
  if ((kind == ImaAuditKind::kIntegrityPolicyRule || kind == ImaAuditKind::kIntegrityRule) && op.empty()) {
    return std::string(result == 0 ? "IMA policy rule rejected: " : "IMA policy rule loaded: ") +
           RuleText(*this);
  }
  if (kind == ImaAuditKind::kEvmXattr) {
    auto it = fields.find("xattr");
    return "an extended attribute was added to the set EVM protects" +
           (it == fields.end() ? std::string() : ": " + it->second);
  }
  std::string out(Name(kind));
  if (!op.empty()) out += " " + op;
  if (!cause.empty()) out += " (" + cause + ")";
  if (!path.empty()) out += " on " + path;
  if (result) out += *result == 0 ? ", failed" : ", succeeded";
  return out + ByWhom(*this, "by");
}

std::string ImaAuditEvent::FindingKey() const {
  std::string key = "audit:" + (op.empty() ? std::string(Name(kind)) : op);
  for (const std::string* part : {&cause, &path}) {
    if (!part->empty()) key += ":" + *part;
  }
  return key;
}

}  // namespace imawatch::audit
