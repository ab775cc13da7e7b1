#include "monitor/compliance/benchmark.h"

#include <array>
#include <cstdio>
#include <utility>

namespace imawatch::compliance {
namespace {

template <typename E, size_t N>
std::optional<E> FromName(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view name) {
  for (const auto& [value, text] : table) {
    if (text == name) return value;
  }
  return std::nullopt;
}
template <typename E, size_t N>
std::string_view ToName(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, text] : table) {
    if (v == value) return text;
  }
  return "?";
}

constexpr std::array<std::pair<CheckKind, std::string_view>, 7> kKinds = {{
    {CheckKind::kDigestAllowed, "digest-allowed"},
    {CheckKind::kMetadata, "metadata"},
    {CheckKind::kConfigValue, "config-value"},
    {CheckKind::kModuleLoaded, "module-loaded"},
    {CheckKind::kModuleNotLoaded, "module-not-loaded"},
    {CheckKind::kMeasured, "measured"},
    {CheckKind::kManual, "manual"},
}};
constexpr std::array<std::pair<ConfigFormat, std::string_view>, 7> kFormats = {{
    {ConfigFormat::kKubelet, "kubelet"},
    {ConfigFormat::kYaml, "yaml"},
    {ConfigFormat::kSshd, "sshd"},
    {ConfigFormat::kSysctl, "sysctl"},
    {ConfigFormat::kModprobe, "modprobe"},
    {ConfigFormat::kKeyValue, "keyvalue"},
    {ConfigFormat::kLines, "lines"},
}};
constexpr std::array<std::pair<ValueType, std::string_view>, 5> kTypes = {{
    {ValueType::kString, "string"},
    {ValueType::kBool, "bool"},
    {ValueType::kInt, "int"},
    {ValueType::kDuration, "duration"},
    {ValueType::kList, "list"},
}};

std::string JoinList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + "]";
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

std::string_view CheckKindName(CheckKind kind) { return ToName(kKinds, kind); }
std::optional<CheckKind> CheckKindFromName(std::string_view name) { return FromName(kKinds, name); }
std::string_view ConfigFormatName(ConfigFormat format) { return ToName(kFormats, format); }
std::optional<ConfigFormat> ConfigFormatFromName(std::string_view name) { return FromName(kFormats, name); }
std::string_view ValueTypeName(ValueType type) { return ToName(kTypes, type); }
std::optional<ValueType> ValueTypeFromName(std::string_view name) { return FromName(kTypes, name); }

std::string Expectation::Describe() const {
  std::vector<std::string> parts;
  if (set) parts.push_back(*set ? "set" : "not set");
  if (equals) parts.push_back("= " + *equals);
  if (not_equals) parts.push_back("!= " + *not_equals);
  if (one_of) parts.push_back("one of " + JoinList(*one_of));
  if (none_of) parts.push_back("none of " + JoinList(*none_of));
  if (subset_of) parts.push_back("only elements of " + JoinList(*subset_of));
  if (contains) parts.push_back("contains " + *contains);
  if (not_contains) parts.push_back("does not contain " + *not_contains);
  if (min) parts.push_back(">= " + Number(*min));
  if (max) parts.push_back("<= " + Number(*max));
  if (matches) parts.push_back("matches /" + *matches + "/");
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? " and " : "") + parts[i];
  return out;
}

const Recommendation* Benchmark::Find(std::string_view rec_id) const {
  for (const Recommendation& r : recommendations) {
    if (r.id == rec_id) return &r;
  }
  return nullptr;
}

const Section* Benchmark::FindSection(std::string_view section_id) const {
  for (const Section& s : sections) {
    if (s.id == section_id) return &s;
  }
  return nullptr;
}

}  // namespace imawatch::compliance
