#include "monitor/ima/template.h"

#include <vector>

namespace imawatch::ima {
namespace {

constexpr std::array<FieldInfo, 16> kFields = {{
    {FieldId::kD, "d", FieldFormat::kDigest},
    {FieldId::kN, "n", FieldFormat::kString},
    {FieldId::kDNg, "d-ng", FieldFormat::kDigestWithAlgo},
    {FieldId::kDNgV2, "d-ngv2", FieldFormat::kDigestWithTypeAndAlgo},
    {FieldId::kNNg, "n-ng", FieldFormat::kString},
    {FieldId::kSig, "sig", FieldFormat::kHex},
    {FieldId::kBuf, "buf", FieldFormat::kHex},
    {FieldId::kDModsig, "d-modsig", FieldFormat::kDigestWithAlgo},
    {FieldId::kModsig, "modsig", FieldFormat::kHex},
    {FieldId::kEvmsig, "evmsig", FieldFormat::kHex},
    {FieldId::kXattrNames, "xattrnames", FieldFormat::kString},
    {FieldId::kXattrLengths, "xattrlengths", FieldFormat::kHex},
    {FieldId::kXattrValues, "xattrvalues", FieldFormat::kHex},
    {FieldId::kIuid, "iuid", FieldFormat::kUint},
    {FieldId::kIgid, "igid", FieldFormat::kUint},
    {FieldId::kImode, "imode", FieldFormat::kUint},
}};

// The kernel's builtin_templates[] (ima_template.c).
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kBuiltins = {{
    {"ima", "d|n"},
    {"ima-ng", "d-ng|n-ng"},
    {"ima-ngv2", "d-ngv2|n-ng"},
    {"ima-sig", "d-ng|n-ng|sig"},
    {"ima-sigv2", "d-ngv2|n-ng|sig"},
    {"ima-buf", "d-ng|n-ng|buf"},
    {"ima-modsig", "d-ng|n-ng|sig|d-modsig|modsig"},
    {"evm-sig", "d-ng|n-ng|evmsig|xattrnames|xattrlengths|xattrvalues|iuid|igid|imode"},
}};

std::optional<TemplateDescriptor> FromFieldList(std::string_view name, std::string_view fmt) {
  TemplateDescriptor desc;
  desc.name = std::string(name);
  while (true) {
    size_t bar = fmt.find('|');
    auto id = FieldIdFromName(fmt.substr(0, bar));
    if (!id || desc.num_fields == kMaxTemplateFields) return std::nullopt;
    desc.fields[desc.num_fields++] = *id;
    if (bar == std::string_view::npos) break;
    fmt.remove_prefix(bar + 1);
  }
  return desc;
}

}  // namespace

const FieldInfo& Info(FieldId id) { return kFields[static_cast<size_t>(id)]; }

std::optional<FieldId> FieldIdFromName(std::string_view name) {
  for (const auto& f : kFields) {
    if (f.name == name) return f.id;
  }
  return std::nullopt;
}

int TemplateDescriptor::FieldIndex(FieldId id) const {
  for (int i = 0; i < num_fields; ++i) {
    if (fields[static_cast<size_t>(i)] == id) return i;
  }
  return -1;
}

std::optional<TemplateDescriptor> LookupTemplate(std::string_view name) {
  for (const auto& [builtin, fmt] : kBuiltins) {
    if (builtin == name) {
      auto desc = FromFieldList(name, fmt);
      desc->legacy_ima = name == "ima";
      return desc;
    }
  }
  if (name.empty()) return std::nullopt;
  return FromFieldList(name, name);
}

}  // namespace imawatch::ima
