// An allow list: which file digests are allowed for which paths, which paths are never
// judged, and which benchmark recommendations (tags) a path belongs to. Immutable once built;
// lookups do not allocate and are safe from many threads.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/appraise/allow_list_layout.h"
#include "monitor/appraise/path_pattern.h"
#include "monitor/base/result.h"
#include "monitor/ima/digest.h"

namespace imawatch::appraise {

std::string_view NameKindName(NameKind kind);  // "file", "keyring", "ima-buf"

// Policy-level settings that travel with a list (Keylime runtime policies carry them).
struct PolicySettings {
  std::vector<std::string> ignored_keyrings;  // keyring names never judged; "*" is all
  std::string log_hash_alg;                   // Keylime ima.log_hash_alg; empty when unset
  // Keylime fields imawatch keeps but does not interpret (meta, release, verification-keys,
  // ima.dm_policy, ...), as a JSON object; empty when none.
  std::string keylime_extra;

  bool operator==(const PolicySettings&) const = default;
};

// The tables of one list (see allow_list_layout.h); spans into memory the list keeps alive.
struct AllowListTables {
  struct Digests {
    uint8_t digest_size = 0;
    uint32_t count = 0;
    const uint8_t* bytes = nullptr;         // count * digest_size
    std::span<const layout::Range> owners;  // per digest: its names, a range of `owners`
    std::span<const uint32_t> slots;
  };
  std::string_view text;
  std::span<const layout::NameRecord> names;
  std::span<const uint32_t> name_slots;
  std::span<const layout::TextRef> tags;
  std::span<const layout::Range> tagsets;
  std::span<const uint32_t> tagset_members;
  std::span<const uint32_t> owners;  // name ids
  std::span<const layout::ExcludeRecord> excludes;
  std::array<Digests, layout::kAlgoCount> digests;
  std::string_view settings_json;
};

class AllowList;

// The tags of one name, as views into the list.
class TagList {
 public:
  TagList() = default;
  TagList(std::string_view text, std::span<const layout::TextRef> tags, std::span<const uint32_t> members)
      : text_(text), tags_(tags), members_(members) {}
  size_t size() const { return members_.size(); }
  bool empty() const { return members_.empty(); }
  std::string_view operator[](size_t i) const {
    const layout::TextRef& ref = tags_[members_[i]];
    return text_.substr(ref.offset, ref.size);
  }
  std::vector<std::string_view> ToVector() const;

 private:
  std::string_view text_;
  std::span<const layout::TextRef> tags_;
  std::span<const uint32_t> members_;
};

class AllowList {
 public:
  using NameId = uint32_t;

  AllowList();  // empty

  // Takes tables that stay valid while `storage` lives; compiles the excludes and reads the
  // settings. The tables must be consistent (the builder's are; LoadBinary checks a file's).
  static Result<AllowList> FromTables(const AllowListTables& tables, std::shared_ptr<const void> storage);

  // Names the digest is allowed for (empty: unknown digest).
  std::span<const NameId> FindDigest(const ima::Digest& digest) const;
  std::optional<NameId> FindName(NameKind kind, std::string_view name) const;
  bool IsExcluded(std::string_view path) const { return excludes_.Matches(path); }
  bool IsIgnoredKeyring(std::string_view keyring) const;

  std::string_view Name(NameId id) const;
  NameKind Kind(NameId id) const { return static_cast<NameKind>(t_.names[id].kind); }
  TagList Tags(NameId id) const;
  // Whether the list holds some digest of this algorithm for the name.
  bool HasAlgorithm(NameId id, ima::HashAlgo algo) const;

  size_t name_count() const { return t_.names.size(); }
  size_t digest_count() const;                             // distinct (algorithm, digest) pairs
  size_t entry_count() const { return t_.owners.size(); }  // (digest, name) pairs
  const ExcludeSet& excludes() const { return excludes_; }
  const PolicySettings& settings() const { return settings_; }
  const AllowListTables& tables() const { return t_; }

  // Every (name, digest) pair, in no particular order (exports sort).
  void ForEachEntry(const std::function<void(NameId, const ima::Digest&)>& fn) const;
  // Digests of one name: a scan of every digest (for tools, not the hot path).
  std::vector<ima::Digest> DigestsOf(NameId id) const;

 private:
  AllowListTables t_;
  std::shared_ptr<const void> storage_;
  ExcludeSet excludes_;
  PolicySettings settings_;
};

// PolicySettings::keylime_extra must be a JSON object without the sections a list holds as
// entries (digests, excludes, keyrings, ima-buf, ima.ignored_keyrings, ima.log_hash_alg).
Status CheckKeylimeExtra(std::string_view json);
// All of the above, non-empty keyring names and a known log_hash_alg (or none).
Status CheckSettings(const PolicySettings& settings);

// Serializes settings to the JSON object stored with the tables, and back.
std::string SettingsToJson(const PolicySettings& settings);
Result<PolicySettings> SettingsFromJson(std::string_view json);

}  // namespace imawatch::appraise
