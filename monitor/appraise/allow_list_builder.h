// Builds an AllowList from entries in any order: names and tags are interned as they come,
// digests go straight into their open-addressing tables, so building is linear and the
// builder's arrays become the list's tables without a copy.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "monitor/appraise/allow_list.h"

namespace imawatch::appraise {

class AllowListBuilder {
 public:
  AllowListBuilder();
  ~AllowListBuilder();
  AllowListBuilder(AllowListBuilder&&) noexcept;
  AllowListBuilder& operator=(AllowListBuilder&&) noexcept;

  // Allows `digest` for `name`; tags add to the name's tags. Duplicates are harmless.
  Status Add(NameKind kind, std::string_view name, const ima::Digest& digest,
             std::span<const std::string_view> tags = {});
  // Adds tags to a name without a digest (the name must get one before Build to be listed).
  Status AddTags(NameKind kind, std::string_view name, std::span<const std::string_view> tags);
  // Checks the pattern compiles; identical patterns are kept once.
  Status AddExclude(PatternKind kind, std::string_view pattern);
  // Everything of another list: its entries, tags, excludes; settings are merged.
  Status AddAll(const AllowList& list);

  // Capacity hints (a text list of n bytes holds at most n bytes of names): growing tables by
  // copying costs more than parsing. Untouched capacity costs no memory.
  void Reserve(size_t entries, size_t text_bytes, ima::HashAlgo likely_algo = ima::HashAlgo::kSha256);

  PolicySettings& settings() { return settings_; }
  size_t entry_count() const;
  size_t name_count() const;

  // The builder is empty afterwards.
  Result<AllowList> Build();

 private:
  struct Storage;
  Result<uint32_t> InternName(NameKind kind, std::string_view name);
  Result<uint32_t> InternText(std::string_view text);
  Status MergeTags(uint32_t name_id, std::span<const std::string_view> tags);
  void GrowNameSlots();
  void ResizeNameSlots(size_t size);
  uint32_t InternDigest(uint8_t code, const ima::Digest& digest);
  void GrowDigestSlots(uint8_t code);
  void ResizeDigestSlots(uint8_t code, size_t size);

  std::unique_ptr<Storage> s_;
  struct Pair {
    uint32_t digest;
    uint32_t name;
  };
  std::array<std::vector<Pair>, layout::kAlgoCount> pairs_;
  std::unordered_map<std::string, uint32_t> tag_ids_;
  std::map<std::vector<uint32_t>, uint32_t> tagset_ids_;
  PolicySettings settings_;
};

}  // namespace imawatch::appraise
