// Filesystem magic numbers (include/uapi/linux/magic.h) that IMA policies name in fsmagic=,
// with the names fsname= uses.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace imawatch::policy {

struct FilesystemInfo {
  std::string_view name;  // sb->s_type->name, what fsname= compares
  uint64_t magic;         // sb->s_magic, what fsmagic= compares
  bool pseudo;            // kernel-generated content: the tcb policy excludes it from measurement
};

inline constexpr uint64_t kProcSuperMagic = 0x9fa0;
inline constexpr uint64_t kSysfsMagic = 0x62656572;
inline constexpr uint64_t kDebugfsMagic = 0x64626720;
inline constexpr uint64_t kTmpfsMagic = 0x01021994;
inline constexpr uint64_t kDevptsSuperMagic = 0x1cd1;
inline constexpr uint64_t kBinfmtfsMagic = 0x42494e4d;
inline constexpr uint64_t kSecurityfsMagic = 0x73636673;
inline constexpr uint64_t kSelinuxMagic = 0xf97cff8c;
inline constexpr uint64_t kSmackMagic = 0x43415d53;
inline constexpr uint64_t kCgroupSuperMagic = 0x27e0eb;
inline constexpr uint64_t kCgroup2SuperMagic = 0x63677270;
inline constexpr uint64_t kNsfsMagic = 0x6e736673;
inline constexpr uint64_t kEfivarfsMagic = 0xde5e81e4;
inline constexpr uint64_t kRamfsMagic = 0x858458f6;
inline constexpr uint64_t kTracefsMagic = 0x74726163;
inline constexpr uint64_t kBpfFsMagic = 0xcafe4a11;
inline constexpr uint64_t kExt4SuperMagic = 0xef53;
inline constexpr uint64_t kXfsSuperMagic = 0x58465342;
inline constexpr uint64_t kBtrfsSuperMagic = 0x9123683e;
inline constexpr uint64_t kOverlayfsSuperMagic = 0x794c7630;
inline constexpr uint64_t kSquashfsMagic = 0x73717368;

std::span<const FilesystemInfo> KnownFilesystems();
const FilesystemInfo* FilesystemByMagic(uint64_t magic);
const FilesystemInfo* FilesystemByName(std::string_view name);
// The filesystems the kernel's tcb policy excludes from measurement (ima_policy.c
// dont_measure_rules[]), in the kernel's order.
std::span<const FilesystemInfo> TcbExcludedFilesystems();

}  // namespace imawatch::policy
