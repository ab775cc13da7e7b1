#include "monitor/appraise/allow_list.h"

#include <nlohmann/json.hpp>

#include "monitor/base/utf8.h"

namespace imawatch::appraise {

std::string_view NameKindName(NameKind kind) {
  switch (kind) {
    case NameKind::kFile:
      return "file";
    case NameKind::kKeyring:
      return "keyring";
    case NameKind::kImaBuf:
      return "ima-buf";
  }
  return "file";
}

std::vector<std::string_view> TagList::ToVector() const {
  std::vector<std::string_view> out;
  out.reserve(size());
  for (size_t i = 0; i < size(); ++i) out.push_back((*this)[i]);
  return out;
}

AllowList::AllowList() = default;

Result<AllowList> AllowList::FromTables(const AllowListTables& tables, std::shared_ptr<const void> storage) {
  AllowList list;
  list.t_ = tables;
  list.storage_ = std::move(storage);
  for (size_t i = 0; i < tables.excludes.size(); ++i) {
    const auto& rec = tables.excludes[i];
    auto pattern = PathPattern::Compile(static_cast<PatternKind>(rec.kind),
                                        tables.text.substr(rec.text_offset, rec.text_size));
    if (!pattern) return pattern.error();
    list.excludes_.Add(std::move(*pattern));
  }
  if (!tables.settings_json.empty()) {
    auto settings = SettingsFromJson(tables.settings_json);
    if (!settings) return settings.error();
    list.settings_ = std::move(*settings);
  }
  return list;
}

std::span<const AllowList::NameId> AllowList::FindDigest(const ima::Digest& digest) const {
  auto code = layout::AlgoCode(digest.algo);
  if (!code) return {};
  const auto& table = t_.digests[*code];
  if (table.count == 0 || digest.size != table.digest_size) return {};
  const size_t mask = table.slots.size() - 1;
  size_t slot = layout::HashDigest(digest.bytes.data(), digest.size) & mask;
  for (size_t probes = 0; probes < table.slots.size(); ++probes, slot = (slot + 1) & mask) {
    uint32_t value = table.slots[slot];
    if (value == 0) return {};
    const uint8_t* candidate = table.bytes + static_cast<size_t>(value - 1) * table.digest_size;
    if (std::memcmp(candidate, digest.bytes.data(), table.digest_size) == 0) {
      const layout::Range& range = table.owners[value - 1];
      return t_.owners.subspan(range.first, range.count);
    }
  }
  return {};
}

std::optional<AllowList::NameId> AllowList::FindName(NameKind kind, std::string_view name) const {
  if (t_.name_slots.empty()) return std::nullopt;
  const size_t mask = t_.name_slots.size() - 1;
  size_t slot = layout::HashName(name) & mask;
  for (size_t probes = 0; probes < t_.name_slots.size(); ++probes, slot = (slot + 1) & mask) {
    uint32_t value = t_.name_slots[slot];
    if (value == 0) return std::nullopt;
    const layout::NameRecord& rec = t_.names[value - 1];
    if (rec.kind == static_cast<uint8_t>(kind) && rec.text_size == name.size() &&
        std::memcmp(t_.text.data() + rec.text_offset, name.data(), name.size()) == 0) {
      return value - 1;
    }
  }
  return std::nullopt;
}

bool AllowList::IsIgnoredKeyring(std::string_view keyring) const {
  for (const auto& ignored : settings_.ignored_keyrings) {
    if (ignored == "*" || ignored == keyring) return true;
  }
  return false;
}

std::string_view AllowList::Name(NameId id) const {
  const layout::NameRecord& rec = t_.names[id];
  return t_.text.substr(rec.text_offset, rec.text_size);
}

TagList AllowList::Tags(NameId id) const {
  const layout::Range& set = t_.tagsets[t_.names[id].tagset];
  return TagList(t_.text, t_.tags, t_.tagset_members.subspan(set.first, set.count));
}

bool AllowList::HasAlgorithm(NameId id, ima::HashAlgo algo) const {
  auto code = layout::AlgoCode(algo);
  return code && (t_.names[id].algo_mask >> *code & 1) != 0;
}

size_t AllowList::digest_count() const {
  size_t n = 0;
  for (const auto& table : t_.digests) n += table.count;
  return n;
}

void AllowList::ForEachEntry(const std::function<void(NameId, const ima::Digest&)>& fn) const {
  for (size_t code = 0; code < layout::kAlgoCount; ++code) {
    const auto& table = t_.digests[code];
    for (uint32_t i = 0; i < table.count; ++i) {
      ima::Digest digest(layout::kAlgoByCode[code],
                         {table.bytes + size_t{i} * table.digest_size, table.digest_size});
      const layout::Range& range = table.owners[i];
      for (uint32_t owner : t_.owners.subspan(range.first, range.count)) fn(owner, digest);
    }
  }
}

std::vector<ima::Digest> AllowList::DigestsOf(NameId id) const {
  std::vector<ima::Digest> out;
  for (size_t code = 0; code < layout::kAlgoCount; ++code) {
    if ((t_.names[id].algo_mask >> code & 1) == 0) continue;
    const auto& table = t_.digests[code];
    for (uint32_t i = 0; i < table.count; ++i) {
      const layout::Range& range = table.owners[i];
      for (uint32_t owner : t_.owners.subspan(range.first, range.count)) {
        if (owner == id) {
          out.emplace_back(
              layout::kAlgoByCode[code],
              std::span<const uint8_t>(table.bytes + size_t{i} * table.digest_size, table.digest_size));
        }
      }
    }
  }
  return out;
}

Status CheckKeylimeExtra(std::string_view json) {
  auto extra = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!extra.is_object()) return InvalidInput("Keylime settings are not a JSON object");
  for (const char* key : {"digests", "excludes", "keyrings", "ima-buf"}) {
    if (extra.contains(key))
      return InvalidInput(std::string("Keylime settings may not hold \"") + key + "\"");
  }
  if (auto ima = extra.find("ima"); ima != extra.end()) {
    if (!ima->is_object()) return InvalidInput("Keylime settings: \"ima\" is not an object");
    for (const char* key : {"ignored_keyrings", "log_hash_alg"}) {
      if (ima->contains(key)) return InvalidInput(std::string("Keylime settings may not hold ima.") + key);
    }
  }
  return Status::Ok();
}

Status CheckSettings(const PolicySettings& settings) {
  for (const auto& keyring : settings.ignored_keyrings) {
    if (keyring.empty()) return InvalidInput("empty ignored keyring name");
    if (!IsValidUtf8(keyring)) return InvalidInput("ignored keyring names must be UTF-8");
  }
  if (!settings.log_hash_alg.empty() && !ima::HashAlgoFromName(settings.log_hash_alg)) {
    return InvalidInput("unknown log hash algorithm '" + settings.log_hash_alg + "'");
  }
  if (!settings.keylime_extra.empty()) return CheckKeylimeExtra(settings.keylime_extra);
  return Status::Ok();
}

std::string SettingsToJson(const PolicySettings& settings) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (!settings.ignored_keyrings.empty()) j["ignored_keyrings"] = settings.ignored_keyrings;
  if (!settings.log_hash_alg.empty()) j["log_hash_alg"] = settings.log_hash_alg;
  if (!settings.keylime_extra.empty()) {
    auto extra = nlohmann::ordered_json::parse(settings.keylime_extra, nullptr, /*allow_exceptions=*/false);
    if (extra.is_object()) j["keylime"] = std::move(extra);  // the builder refuses anything else
  }
  return j.empty() ? std::string() : j.dump();
}

Result<PolicySettings> SettingsFromJson(std::string_view json) {
  auto j = nlohmann::ordered_json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidInput("settings are not a JSON object");
  PolicySettings out;
  for (const auto& [key, value] : j.items()) {
    if (key == "ignored_keyrings") {
      if (!value.is_array()) return InvalidInput("settings: ignored_keyrings is not an array");
      for (const auto& name : value) {
        if (!name.is_string()) return InvalidInput("settings: ignored_keyrings holds a non-string");
        out.ignored_keyrings.push_back(name.get<std::string>());
      }
    } else if (key == "log_hash_alg") {
      if (!value.is_string()) return InvalidInput("settings: log_hash_alg is not a string");
      out.log_hash_alg = value.get<std::string>();
    } else if (key == "keylime") {
      out.keylime_extra = value.dump();
    } else {
      return InvalidInput("settings: unknown key '" + key + "'");
    }
  }
  if (Status st = CheckSettings(out); !st) return st.error();
  return out;
}

}  // namespace imawatch::appraise
