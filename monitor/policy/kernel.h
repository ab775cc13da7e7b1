// Which kernel a policy is checked for. The IMA policy parser changed between releases, so
// every check names a kernel version and the build options that decide what it accepts.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "monitor/base/result.h"

namespace imawatch::policy {

struct KernelVersion {
  uint16_t major = 0;
  uint16_t minor = 0;
  auto operator<=>(const KernelVersion&) const = default;
  std::string ToString() const;  // "6.12"
};

// Kernels whose security/integrity/ima/ima_policy.c was read to build the linter (doc/ima-policy-lint.md
// names the sources). Versions in between follow the feature thresholds in KernelFeatures.
std::span<const KernelVersion> ReferenceKernels();
KernelVersion OldestReferenceKernel();
KernelVersion NewestReferenceKernel();

// "6.1", "5.15.0-91-generic", "6.12.117+deb13-amd64" -> major.minor; nullopt if no "N.M" prefix.
std::optional<KernelVersion> ParseKernelVersion(std::string_view text);
// The version for a `uname -r` release string; an unparsable release gives the newest reference.
KernelVersion KernelForRelease(std::string_view release);
// uname(2) release of the running kernel ("" if uname fails).
std::string RunningKernelRelease();

// The running LSM decides which obj_*/subj_* keys the kernel can turn into rules.
enum class Lsm : uint8_t { kUnknown, kNone, kSelinux, kApparmor, kSmack };
std::optional<Lsm> LsmFromName(std::string_view name);
std::string_view LsmName(Lsm lsm);

// Kernel build options (and boot state) that change what the policy parser accepts. The
// defaults are those of Ubuntu's kernels (Debian's lack CONFIG_IMA_APPRAISE_MODSIG).
struct KernelConfig {
  bool appraise_modsig = true;          // CONFIG_IMA_APPRAISE_MODSIG: appraise_type=imasig|modsig
  bool measure_asymmetric_keys = true;  // CONFIG_IMA_MEASURE_ASYMMETRIC_KEYS: func=KEY_CHECK, keyrings=
  bool lsm_rules = true;                // CONFIG_IMA_LSM_RULES: obj_*/subj_* conditions
  bool appraise = true;                 // CONFIG_IMA_APPRAISE and not ima_appraise=off
  Lsm lsm = Lsm::kUnknown;
  // Hash algorithms the kernel's crypto API can provide (built in, or a module it can load):
  // appraise_algos= names only these (crypto_has_alg). Unset: not known, any hash name passes.
  std::optional<std::set<std::string, std::less<>>> hash_algos;
  // AppArmor profiles loaded: subj_role= must name one or "unconfined" (the label must
  // resolve on the first policy load). Unset: not known, any name passes.
  std::optional<std::set<std::string, std::less<>>> apparmor_profiles;
};
// Applies "IMA_APPRAISE_MODSIG=n" (CONFIG_ prefix optional, y/n), "lsm=apparmor",
// "hash_algos=sha1|sha256" or "apparmor_profiles=a|b" ('|'-separated, may be empty).
Status ApplyKernelSetting(KernelConfig& config, std::string_view setting);

struct Target {
  KernelVersion kernel;
  KernelConfig config;
};

// What one kernel version's parser knows. Each threshold is the upstream release that
// introduced the feature (docs/ima-policy-lint.md, "Version thresholds").
struct KernelFeatures {
  bool key_check = false;      // func=KEY_CHECK, keyrings=                       (5.6)
  bool validate_rule = false;  // ima_validate_rule(): per-func checks, order-free pcr=/appraise_type= (5.9)
  bool critical_data = false;  // func=CRITICAL_DATA, label=                      (5.12)
  bool evm_sig_template = false;  // template=evm-sig                                (5.14)
  bool appraise_algos = false;    // func=SETXATTR_CHECK, appraise_algos=            (5.15)
  bool gid = false;               // gid/egid/fgroup with =, <, >                    (5.16)
  bool verity = false;            // digest_type=verity, appraise_type=sigv3, ima-ngv2/ima-sigv2 (5.19)
  bool mmap_reqprot = false;      // func=MMAP_CHECK_REQPROT                         (6.3)
  bool appraise_flag_ignored =
      false;          // appraise_flag= accepted and ignored; blacklist implied by appraise_type (6.6)
  bool sha3 = false;  // sha3-256/384/512 in hash_algo_name              (6.7)
};
KernelFeatures FeaturesOf(KernelVersion kernel);

// First release with each feature, for messages such as "added in Linux 5.16".
inline constexpr KernelVersion kKeyCheckSince{5, 6};
inline constexpr KernelVersion kValidateRuleSince{5, 9};
inline constexpr KernelVersion kCriticalDataSince{5, 12};
inline constexpr KernelVersion kEvmSigSince{5, 14};
inline constexpr KernelVersion kAppraiseAlgosSince{5, 15};
inline constexpr KernelVersion kGidSince{5, 16};
inline constexpr KernelVersion kVeritySince{5, 19};
inline constexpr KernelVersion kMmapReqprotSince{6, 3};
inline constexpr KernelVersion kAppraiseFlagIgnoredSince{6, 6};
inline constexpr KernelVersion kSha3Since{6, 7};

}  // namespace imawatch::policy
