#include "monitor/policy/kernel.h"

#include <sys/utsname.h>

#include <array>
#include <cctype>

namespace imawatch::policy {
namespace {

constexpr std::array<KernelVersion, 5> kReferenceKernels = {KernelVersion{5, 4}, KernelVersion{5, 10},
                                                            KernelVersion{5, 15}, KernelVersion{6, 1},
                                                            KernelVersion{6, 12}};

std::optional<uint16_t> ParseNumber(std::string_view text, size_t& pos) {
  size_t start = pos;
  uint32_t value = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) && pos - start < 5) {
    value = value * 10 + static_cast<uint32_t>(text[pos] - '0');
    ++pos;
  }
  if (pos == start || value > 0xffff) return std::nullopt;
  return static_cast<uint16_t>(value);
}

bool IsTrue(std::string_view v) { return v == "y" || v == "Y" || v == "yes" || v == "1" || v == "true"; }
bool IsFalse(std::string_view v) { return v == "n" || v == "N" || v == "no" || v == "0" || v == "false"; }

}  // namespace

std::string KernelVersion::ToString() const { return std::to_string(major) + "." + std::to_string(minor); }

std::span<const KernelVersion> ReferenceKernels() { return kReferenceKernels; }
KernelVersion OldestReferenceKernel() { return kReferenceKernels.front(); }
KernelVersion NewestReferenceKernel() { return kReferenceKernels.back(); }

std::optional<KernelVersion> ParseKernelVersion(std::string_view text) {
  size_t pos = 0;
  auto major = ParseNumber(text, pos);
  if (!major || pos >= text.size() || text[pos] != '.') return std::nullopt;
  ++pos;
  auto minor = ParseNumber(text, pos);
  if (!minor) return std::nullopt;
  // After "N.M" only a further ".patch" or a "-"/"+" suffix may follow (uname -r forms).
  if (pos < text.size() && text[pos] != '.' && text[pos] != '-' && text[pos] != '+') return std::nullopt;
  return KernelVersion{*major, *minor};
}

KernelVersion KernelForRelease(std::string_view release) {
  auto parsed = ParseKernelVersion(release);
  return parsed ? *parsed : NewestReferenceKernel();
}

std::string RunningKernelRelease() {
  struct utsname name {};
  if (::uname(&name) != 0) return "";
  return name.release;
}

std::optional<Lsm> LsmFromName(std::string_view name) {
  if (name == "selinux") return Lsm::kSelinux;
  if (name == "apparmor") return Lsm::kApparmor;
  if (name == "smack") return Lsm::kSmack;
  if (name == "none") return Lsm::kNone;
  if (name == "unknown") return Lsm::kUnknown;
  return std::nullopt;
}

std::string_view LsmName(Lsm lsm) {
  switch (lsm) {
    case Lsm::kSelinux:
      return "selinux";
    case Lsm::kApparmor:
      return "apparmor";
    case Lsm::kSmack:
      return "smack";
    case Lsm::kNone:
      return "none";
    case Lsm::kUnknown:
      break;
  }
  return "unknown";
}

Status ApplyKernelSetting(KernelConfig& config, std::string_view setting) {
  size_t eq = setting.find('=');
  if (eq == std::string_view::npos) {
    return InvalidInput("kernel setting '" + std::string(setting) + "' is not NAME=VALUE");
  }
  std::string_view name = setting.substr(0, eq);
  std::string_view value = setting.substr(eq + 1);
  if (name == "lsm") {
    auto lsm = LsmFromName(value);
    if (!lsm)
      return InvalidInput("unknown LSM '" + std::string(value) + "' (selinux, apparmor, smack, none)");
    config.lsm = *lsm;
    return Status::Ok();
  }
  if (name == "hash_algos" || name == "apparmor_profiles") {
    auto& set = name == "hash_algos" ? config.hash_algos : config.apparmor_profiles;
    set.emplace();
    size_t start = 0;
    while (start <= value.size()) {
      size_t bar = value.find('|', start);
      std::string_view item =
          value.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
      if (!item.empty()) set->emplace(item);
      if (bar == std::string_view::npos) break;
      start = bar + 1;
    }
    return Status::Ok();
  }
  if (name.starts_with("CONFIG_")) name.remove_prefix(7);
  bool* flag = nullptr;
  if (name == "IMA_APPRAISE_MODSIG") flag = &config.appraise_modsig;
  if (name == "IMA_MEASURE_ASYMMETRIC_KEYS") flag = &config.measure_asymmetric_keys;
  if (name == "IMA_LSM_RULES") flag = &config.lsm_rules;
  if (name == "IMA_APPRAISE") flag = &config.appraise;
  if (!flag) {
    return InvalidInput(
        "unknown kernel setting '" + std::string(name) +
        "' (IMA_APPRAISE_MODSIG, IMA_MEASURE_ASYMMETRIC_KEYS, IMA_LSM_RULES, IMA_APPRAISE, lsm, "
        "hash_algos, apparmor_profiles)");
  }
  if (IsTrue(value)) {
    *flag = true;
  } else if (IsFalse(value)) {
    *flag = false;
  } else {
    return InvalidInput("kernel setting '" + std::string(setting) + "' needs y or n");
  }
  return Status::Ok();
}

KernelFeatures FeaturesOf(KernelVersion k) {
  return {
      .key_check = k >= kKeyCheckSince,
      .validate_rule = k >= kValidateRuleSince,
      .critical_data = k >= kCriticalDataSince,
      .evm_sig_template = k >= kEvmSigSince,
      .appraise_algos = k >= kAppraiseAlgosSince,
      .gid = k >= kGidSince,
      .verity = k >= kVeritySince,
      .mmap_reqprot = k >= kMmapReqprotSince,
      .appraise_flag_ignored = k >= kAppraiseFlagIgnoredSince,
      .sha3 = k >= kSha3Since,
  };
}

}  // namespace imawatch::policy
