// IMA template descriptors: which fields an entry carries, in which order, and how each field
// is encoded. Built-in names (ima-ng, evm-sig, ...) and custom field lists (ima_template_fmt=,
// logged with the field list as the template name) both resolve to a TemplateDescriptor.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace imawatch::ima {

enum class FieldId : uint8_t {
  kD,             // d: SHA1/MD5 file digest, no algorithm prefix
  kN,             // n: file name (255 chars at most)
  kDNg,           // d-ng: "<algo>:\0" + digest
  kDNgV2,         // d-ngv2: "<ima|verity>:<algo>:\0" + digest
  kNNg,           // n-ng: file name, any length
  kSig,           // sig: IMA signature (security.ima)
  kBuf,           // buf: measured buffer (keys, critical data)
  kDModsig,       // d-modsig: digest without the appended signature
  kModsig,        // modsig: appended signature
  kEvmsig,        // evmsig: EVM portable signature
  kXattrNames,    // xattrnames: '|'-separated names
  kXattrLengths,  // xattrlengths: u32 per xattr
  kXattrValues,   // xattrvalues: concatenated values
  kIuid,          // iuid: inode owner uid (u32)
  kIgid,          // igid: inode group gid (u32)
  kImode,         // imode: inode mode (u16)
};

// How the kernel renders a field in ascii_runtime_measurements (ima_template_lib.c).
enum class FieldFormat : uint8_t { kDigest, kDigestWithAlgo, kDigestWithTypeAndAlgo, kString, kHex, kUint };

struct FieldInfo {
  FieldId id;
  std::string_view name;
  FieldFormat format;
};

const FieldInfo& Info(FieldId id);
std::optional<FieldId> FieldIdFromName(std::string_view name);

inline constexpr size_t kMaxTemplateFields = 15;  // IMA_TEMPLATE_NUM_FIELDS_MAX

struct TemplateDescriptor {
  std::string name;  // as logged: "ima-ng", or the field list for custom templates
  uint8_t num_fields = 0;
  std::array<FieldId, kMaxTemplateFields> fields{};
  // The original 'ima' template: fixed-size binary layout and its own hash input.
  bool legacy_ima = false;

  int FieldIndex(FieldId id) const;  // -1 when absent
};

// Resolves a logged template name; nullopt for names that are neither built in nor a valid
// '|'-separated list of known field ids.
std::optional<TemplateDescriptor> LookupTemplate(std::string_view name);

}  // namespace imawatch::ima
