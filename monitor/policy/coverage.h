// Would IMA measure this file on this access, and with which template? The input for joining
// a policy with benchmark coverage (`imawatch policy coverage`, compliance module).
//
// The answer follows ima_match_policy(): rules are tried in order and the first measure or
// dont_measure rule that matches decides; no match means not measured. Conditions that depend
// on facts a path cannot give (filesystem magic, name or UUID, owner, LSM labels) are decided
// from FileFacts when known; a rule whose match depends on an unknown fact is reported as
// undecided instead of being guessed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "monitor/policy/filesystems.h"
#include "monitor/policy/kernel.h"
#include "monitor/policy/policy.h"

namespace imawatch::policy {

// What is known about the file. Unset members are unknown.
struct FileFacts {
  std::string path;
  std::optional<uint64_t> fs_magic;                // statfs f_type
  std::optional<std::string> fs_name;              // filesystem type name, as in /proc/mounts
  std::optional<std::array<uint8_t, 16>> fs_uuid;  // the filesystem's UUID
  std::optional<uint32_t> owner_uid;
  std::optional<uint32_t> owner_gid;
};

// Facts from the path alone. Assumptions: paths under the usual pseudo-filesystem mount points
// (/proc, /sys, /sys/kernel/security, /sys/kernel/debug, /sys/kernel/tracing, /sys/fs/cgroup,
// /sys/firmware/efi/efivars, /dev/pts, /dev/shm, /run) are on that filesystem; every other path
// is on the root filesystem, whose magic and name are given (ext4 by default). UUID and owner
// stay unknown.
FileFacts InferFileFacts(std::string path, uint64_t root_fs_magic = kExt4SuperMagic,
                         std::string root_fs_name = "ext4");

// Who accesses the file and through which hook, with the mask that hook passes to IMA.
struct Access {
  Func hook = Func::kFileCheck;
  uint32_t mask = kMayRead;
  uint32_t uid = 0, euid = 0, suid = 0;
  uint32_t gid = 0, egid = 0, sgid = 0;
  bool cap_setuid = true;  // euid=/egid= rules then also match the real and saved ids
  bool cap_setgid = true;
  std::optional<std::string> data_name;  // KEY_CHECK: keyring; CRITICAL_DATA: label

  static Access RootRead();             // FILE_CHECK, MAY_READ, by uid 0
  static Access Exec();                 // BPRM_CHECK, MAY_EXEC, by uid 0
  static Access MmapExec();             // MMAP_CHECK, MAY_EXEC, by uid 0
  static Access KernelRead(Func hook);  // MODULE_CHECK, FIRMWARE_CHECK, ...: MAY_READ, by uid 0
};

enum class Tristate : uint8_t { kNo, kYes, kUnknown };

struct UndecidedRule {
  size_t rule_index = 0;
  uint32_t line = 0;
  std::vector<std::string> conditions;  // the tokens that could not be decided
};

struct CoverageOptions {
  std::string default_template = "ima-ng";  // the kernel's ima_template= (ima-ng unless changed at boot)
  int default_pcr = 10;                     // CONFIG_IMA_MEASURE_PCR_IDX
};

struct MeasurementVerdict {
  Tristate measured = Tristate::kNo;
  std::optional<size_t> rule_index;  // the first rule that certainly matches, if any
  uint32_t line = 0;                 // its line
  std::string template_name;         // template of a measuring rule (its template= or the default)
  int pcr = 10;
  std::vector<UndecidedRule> undecided;  // earlier rules whose match could not be decided
};

MeasurementVerdict EvaluateMeasurement(const Policy& policy, KernelVersion kernel, const FileFacts& file,
                                       const Access& access, const CoverageOptions& options = {});

}  // namespace imawatch::policy
