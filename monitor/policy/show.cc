#include "monitor/policy/show.h"

#include <array>
#include <cstdio>

namespace imawatch::policy {
namespace {

// The kernel prints ids with %d.
std::string IdText(const char* key, const IdCondition& id) {
  char op = id.op == IdOp::kGt ? '>' : (id.op == IdOp::kLt ? '<' : '=');
  return std::string(key) + op + std::to_string(static_cast<int32_t>(id.value)) + " ";
}

// appraise_algos print in hash_algo_name[] order.
constexpr std::array<const char*, 23> kHashOrder = {
    "md4",    "md5",    "sha1",        "rmd160",      "sha256",   "sha384",   "sha512",  "sha224",
    "rmd128", "rmd256", "rmd320",      "wp256",       "wp384",    "wp512",    "tgr128",  "tgr160",
    "tgr192", "sm3",    "streebog256", "streebog512", "sha3-256", "sha3-384", "sha3-512"};

std::string Join(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

}  // namespace

std::string ShowRule(const Rule& rule, KernelVersion kernel) {
  KernelFeatures features = FeaturesOf(kernel);
  std::string out(ActionName(rule.action));
  out += " ";
  if (rule.Has(kFlagFunc)) out += "func=" + std::string(FuncName(rule.func)) + " ";
  if (rule.Has(kFlagMask) || rule.Has(kFlagInmask)) {
    out += "mask=" + std::string(rule.Has(kFlagInmask) ? "^" : "") + std::string(MaskName(rule.mask)) + " ";
  }
  if (rule.Has(kFlagFsmagic)) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "fsmagic=0x%llx ", static_cast<unsigned long long>(rule.fsmagic));
    out += buf;
  }
  if (rule.Has(kFlagFsname)) out += "fsname=" + rule.fsname + " ";
  if (rule.Has(kFlagKeyrings)) out += "keyrings=" + Join(rule.keyrings, '|') + " ";
  if (rule.Has(kFlagLabel)) out += "label=" + Join(rule.labels, '|') + " ";
  if (rule.Has(kFlagPcr)) out += "pcr=" + std::to_string(rule.pcr) + " ";
  if (rule.Has(kFlagFsuuid)) {
    char buf[64];
    const auto& u = rule.fsuuid;
    std::snprintf(buf, sizeof(buf),
                  "fsuuid=%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x ", u[0], u[1],
                  u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    out += buf;
  }
  if (rule.Has(kFlagUid)) out += IdText("uid", rule.uid);
  if (rule.Has(kFlagEuid)) out += IdText("euid", rule.uid);
  if (rule.Has(kFlagGid)) out += IdText("gid", rule.gid);
  if (rule.Has(kFlagEgid)) out += IdText("egid", rule.gid);
  if (rule.Has(kFlagFowner)) out += IdText("fowner", rule.fowner);
  if (rule.Has(kFlagFgroup)) out += IdText("fgroup", rule.fgroup);
  if (rule.Has(kFlagValidateAlgos)) {
    std::vector<std::string> ordered;
    for (const char* name : kHashOrder) {
      for (const auto& algo : rule.appraise_algos) {
        if (algo == name && (ordered.empty() || ordered.back() != algo)) ordered.push_back(algo);
      }
    }
    out += "appraise_algos=" + Join(ordered, ',') + " ";
  }
  for (size_t k = 0; k < kLsmKeyCount; ++k) {
    if (rule.lsm[k]) out += std::string(LsmKeyName(static_cast<LsmKey>(k))) + "=" + *rule.lsm[k] + " ";
  }
  if (!rule.template_name.empty()) out += "template=" + rule.template_name + " ";
  if (rule.Has(kFlagDigsigRequired)) {
    if (rule.Has(kFlagVerityRequired)) {
      out += "appraise_type=sigv3 ";
    } else if (rule.Has(kFlagModsigAllowed)) {
      out += "appraise_type=imasig|modsig ";
    } else {
      out += "appraise_type=imasig ";
    }
  }
  if (rule.Has(kFlagVerityRequired)) out += "digest_type=verity ";
  if (rule.Has(kFlagCheckBlacklist) && !features.appraise_flag_ignored)
    out += "appraise_flag=check_blacklist ";
  if (rule.Has(kFlagPermitDirectio)) out += "permit_directio ";
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string NormalizedText(const Rule& rule) {
  std::string out;
  for (const auto& token : rule.tokens) {
    if (!out.empty()) out += ' ';
    out += token.text;
  }
  return out;
}

}  // namespace imawatch::policy
