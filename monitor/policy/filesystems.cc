#include "monitor/policy/filesystems.h"

#include <array>

namespace imawatch::policy {
namespace {

constexpr std::array<FilesystemInfo, 13> kTcbExcluded = {{
    {"proc", kProcSuperMagic, true},
    {"sysfs", kSysfsMagic, true},
    {"debugfs", kDebugfsMagic, true},
    {"tmpfs", kTmpfsMagic, true},
    {"devpts", kDevptsSuperMagic, true},
    {"binfmt_misc", kBinfmtfsMagic, true},
    {"securityfs", kSecurityfsMagic, true},
    {"selinuxfs", kSelinuxMagic, true},
    {"smackfs", kSmackMagic, true},
    {"cgroup", kCgroupSuperMagic, true},
    {"cgroup2", kCgroup2SuperMagic, true},
    {"nsfs", kNsfsMagic, true},
    {"efivarfs", kEfivarfsMagic, true},
}};

constexpr std::array<FilesystemInfo, 21> kKnown = {{
    {"proc", kProcSuperMagic, true},        {"sysfs", kSysfsMagic, true},
    {"debugfs", kDebugfsMagic, true},       {"tmpfs", kTmpfsMagic, true},
    {"devpts", kDevptsSuperMagic, true},    {"binfmt_misc", kBinfmtfsMagic, true},
    {"securityfs", kSecurityfsMagic, true}, {"selinuxfs", kSelinuxMagic, true},
    {"smackfs", kSmackMagic, true},         {"cgroup", kCgroupSuperMagic, true},
    {"cgroup2", kCgroup2SuperMagic, true},  {"nsfs", kNsfsMagic, true},
    {"efivarfs", kEfivarfsMagic, true},     {"ramfs", kRamfsMagic, true},
    {"tracefs", kTracefsMagic, true},       {"bpf", kBpfFsMagic, true},
    {"ext4", kExt4SuperMagic, false},       {"xfs", kXfsSuperMagic, false},
    {"btrfs", kBtrfsSuperMagic, false},     {"overlay", kOverlayfsSuperMagic, false},
    {"squashfs", kSquashfsMagic, false},
}};

}  // namespace

std::span<const FilesystemInfo> KnownFilesystems() { return kKnown; }
std::span<const FilesystemInfo> TcbExcludedFilesystems() { return kTcbExcluded; }

const FilesystemInfo* FilesystemByMagic(uint64_t magic) {
  for (const auto& fs : kKnown) {
    if (fs.magic == magic) return &fs;
  }
  return nullptr;
}

const FilesystemInfo* FilesystemByName(std::string_view name) {
  for (const auto& fs : kKnown) {
    if (fs.name == name) return &fs;
  }
  return nullptr;
}

}  // namespace imawatch::policy
