#include "monitor/appraise/allow_list_builder.h"

#include <algorithm>
#include <bit>
#include <limits>

namespace imawatch::appraise {
namespace {

constexpr size_t kMaxNameSize = 64 * 1024;
constexpr size_t kInitialSlots = 16;
constexpr uint64_t kMaxTableSize = std::numeric_limits<uint32_t>::max() - 1;

bool ValidTag(std::string_view tag) {
  if (tag.empty()) return false;
  for (unsigned char c : tag) {
    if (c <= ' ' || c == ',' || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

struct AllowListBuilder::Storage {
  std::string text;
  std::vector<layout::NameRecord> names;
  std::vector<uint32_t> name_slots = std::vector<uint32_t>(kInitialSlots, 0);
  std::vector<layout::TextRef> tags;
  std::vector<layout::Range> tagsets = {layout::Range{0, 0}};
  std::vector<uint32_t> tagset_members;
  std::vector<uint32_t> owners;
  std::vector<layout::ExcludeRecord> excludes;
  std::array<std::vector<uint8_t>, layout::kAlgoCount> digest_bytes;
  std::array<uint32_t, layout::kAlgoCount> digest_counts{};
  std::array<std::vector<layout::Range>, layout::kAlgoCount> digest_owners;
  std::array<std::vector<uint32_t>, layout::kAlgoCount> digest_slots;
  std::string settings_json;

  AllowListTables Tables() const {
    AllowListTables t;
    t.text = text;
    t.names = names;
    t.name_slots = name_slots;
    t.tags = tags;
    t.tagsets = tagsets;
    t.tagset_members = tagset_members;
    t.owners = owners;
    t.excludes = excludes;
    for (size_t code = 0; code < layout::kAlgoCount; ++code) {
      auto& d = t.digests[code];
      d.digest_size = static_cast<uint8_t>(ima::DigestSize(layout::kAlgoByCode[code]));
      d.count = digest_counts[code];
      d.bytes = digest_bytes[code].data();
      d.owners = digest_owners[code];
      d.slots = digest_slots[code];
    }
    t.settings_json = settings_json;
    return t;
  }
};

AllowListBuilder::AllowListBuilder() : s_(std::make_unique<Storage>()) {}
AllowListBuilder::~AllowListBuilder() = default;
AllowListBuilder::AllowListBuilder(AllowListBuilder&&) noexcept = default;
AllowListBuilder& AllowListBuilder::operator=(AllowListBuilder&&) noexcept = default;

size_t AllowListBuilder::entry_count() const {
  size_t n = 0;
  for (const auto& pairs : pairs_) n += pairs.size();
  return n;
}

size_t AllowListBuilder::name_count() const { return s_->names.size(); }

void AllowListBuilder::Reserve(size_t entries, size_t text_bytes, ima::HashAlgo likely_algo) {
  s_->text.reserve(std::min<size_t>(text_bytes, kMaxTableSize));
  s_->names.reserve(entries);
  if (auto code = layout::AlgoCode(likely_algo)) {
    s_->digest_bytes[*code].reserve(entries * ima::DigestSize(likely_algo));
    pairs_[*code].reserve(entries);
    // Slot tables sized up front: growing a million-entry table by doubling rehashes it ~17
    // times. `entries` is an upper estimate (text size / 64), so half-full tables at the
    // estimate are at most as large as doubling would make them for the real count.
    while (s_->digest_slots[*code].size() < entries) GrowDigestSlots(*code);
  }
  while (s_->name_slots.size() < entries) GrowNameSlots();
}

Result<uint32_t> AllowListBuilder::InternText(std::string_view text) {
  if (s_->text.size() + text.size() > kMaxTableSize) return InvalidInput("allow list text exceeds 4 GiB");
  auto offset = static_cast<uint32_t>(s_->text.size());
  s_->text.append(text);
  return offset;
}

void AllowListBuilder::GrowNameSlots() { ResizeNameSlots(s_->name_slots.size() * 2); }

void AllowListBuilder::GrowDigestSlots(uint8_t code) {
  const size_t size = s_->digest_slots[code].size();
  ResizeDigestSlots(code, size == 0 ? kInitialSlots : size * 2);
}

void AllowListBuilder::ResizeNameSlots(size_t size) {
  std::vector<uint32_t> slots(size, 0);
  const size_t mask = slots.size() - 1;
  for (uint32_t id = 0; id < s_->names.size(); ++id) {
    const auto& rec = s_->names[id];
    size_t slot = layout::HashName(std::string_view(s_->text).substr(rec.text_offset, rec.text_size)) & mask;
    while (slots[slot] != 0) slot = (slot + 1) & mask;
    slots[slot] = id + 1;
  }
  s_->name_slots = std::move(slots);
}

Result<uint32_t> AllowListBuilder::InternName(NameKind kind, std::string_view name) {
  if (name.empty()) return InvalidInput("empty name");
  if (name.size() > kMaxNameSize) {
    return InvalidInput("name is longer than " + std::to_string(kMaxNameSize) + " bytes");
  }
  const size_t mask = s_->name_slots.size() - 1;
  size_t slot = layout::HashName(name) & mask;
  for (;; slot = (slot + 1) & mask) {
    uint32_t value = s_->name_slots[slot];
    if (value == 0) break;
    const auto& rec = s_->names[value - 1];
    if (rec.kind == static_cast<uint8_t>(kind) && rec.text_size == name.size() &&
        std::memcmp(s_->text.data() + rec.text_offset, name.data(), name.size()) == 0) {
      return value - 1;
    }
  }
  if (s_->names.size() >= kMaxTableSize) return InvalidInput("too many names");
  auto offset = InternText(name);
  if (!offset) return offset.error();
  auto id = static_cast<uint32_t>(s_->names.size());
  s_->names.push_back({*offset, static_cast<uint32_t>(name.size()), 0, static_cast<uint8_t>(kind), 0, 0});
  s_->name_slots[slot] = id + 1;
  if (s_->names.size() * 2 > s_->name_slots.size()) GrowNameSlots();
  return id;
}

void AllowListBuilder::ResizeDigestSlots(uint8_t code, size_t size) {
  auto& old = s_->digest_slots[code];
  std::vector<uint32_t> slots(size, 0);
  const size_t mask = slots.size() - 1;
  const size_t digest_size = ima::DigestSize(layout::kAlgoByCode[code]);
  const uint8_t* bytes = s_->digest_bytes[code].data();
  for (uint32_t i = 0; i < s_->digest_counts[code]; ++i) {
    size_t slot = layout::HashDigest(bytes + size_t{i} * digest_size, digest_size) & mask;
    while (slots[slot] != 0) slot = (slot + 1) & mask;
    slots[slot] = i + 1;
  }
  old = std::move(slots);
}

uint32_t AllowListBuilder::InternDigest(uint8_t code, const ima::Digest& digest) {
  if ((s_->digest_counts[code] + size_t{1}) * 2 > s_->digest_slots[code].size()) GrowDigestSlots(code);
  auto& slots = s_->digest_slots[code];
  auto& bytes = s_->digest_bytes[code];
  const size_t mask = slots.size() - 1;
  const size_t size = digest.size;
  size_t slot = layout::HashDigest(digest.bytes.data(), size) & mask;
  for (;; slot = (slot + 1) & mask) {
    uint32_t value = slots[slot];
    if (value == 0) break;
    if (std::memcmp(bytes.data() + size_t{value - 1} * size, digest.bytes.data(), size) == 0)
      return value - 1;
  }
  uint32_t index = s_->digest_counts[code]++;
  bytes.insert(bytes.end(), digest.bytes.begin(), digest.bytes.begin() + static_cast<ptrdiff_t>(size));
  slots[slot] = index + 1;
  return index;
}

Status AllowListBuilder::MergeTags(uint32_t name_id, std::span<const std::string_view> tags) {
  if (tags.empty()) return Status::Ok();
  const layout::Range current = s_->tagsets[s_->names[name_id].tagset];
  std::vector<uint32_t> members(s_->tagset_members.begin() + current.first,
                                s_->tagset_members.begin() + current.first + current.count);
  for (std::string_view tag : tags) {
    if (!ValidTag(tag)) return InvalidInput("invalid tag '" + std::string(tag) + "' (no spaces or commas)");
    auto [it, inserted] = tag_ids_.try_emplace(std::string(tag), static_cast<uint32_t>(s_->tags.size()));
    if (inserted) {
      auto offset = InternText(tag);
      if (!offset) return offset.error();
      s_->tags.push_back({*offset, static_cast<uint32_t>(tag.size())});
    }
    members.push_back(it->second);
  }
  // By text, so a name's tags come out in the same order however the list was built.
  std::sort(members.begin(), members.end(), [&](uint32_t a, uint32_t b) {
    std::string_view text(s_->text);
    return text.substr(s_->tags[a].offset, s_->tags[a].size) <
           text.substr(s_->tags[b].offset, s_->tags[b].size);
  });
  members.erase(std::unique(members.begin(), members.end()), members.end());
  if (members.size() == current.count) return Status::Ok();
  auto [it, inserted] = tagset_ids_.try_emplace(members, static_cast<uint32_t>(s_->tagsets.size()));
  if (inserted) {
    s_->tagsets.push_back(
        {static_cast<uint32_t>(s_->tagset_members.size()), static_cast<uint32_t>(members.size())});
    s_->tagset_members.insert(s_->tagset_members.end(), members.begin(), members.end());
  }
  s_->names[name_id].tagset = it->second;
  return Status::Ok();
}

Status AllowListBuilder::Add(NameKind kind, std::string_view name, const ima::Digest& digest,
                             std::span<const std::string_view> tags) {
  auto code = layout::AlgoCode(digest.algo);
  if (!code || digest.size != ima::DigestSize(digest.algo)) {
    return InvalidInput("digest size does not match its algorithm " + std::string(ima::Name(digest.algo)));
  }
  auto id = InternName(kind, name);
  if (!id) return id.error();
  if (Status st = MergeTags(*id, tags); !st) return st;
  if (entry_count() >= kMaxTableSize) return InvalidInput("too many entries");
  uint32_t digest_index = InternDigest(*code, digest);
  pairs_[*code].push_back({digest_index, *id});
  s_->names[*id].algo_mask |= static_cast<uint8_t>(1u << *code);
  return Status::Ok();
}

Status AllowListBuilder::AddTags(NameKind kind, std::string_view name,
                                 std::span<const std::string_view> tags) {
  auto id = InternName(kind, name);
  if (!id) return id.error();
  return MergeTags(*id, tags);
}

Status AllowListBuilder::AddExclude(PatternKind kind, std::string_view pattern) {
  auto compiled = PathPattern::Compile(kind, pattern);
  if (!compiled) return compiled.error();
  for (const auto& rec : s_->excludes) {
    if (rec.kind == static_cast<uint32_t>(kind) &&
        std::string_view(s_->text).substr(rec.text_offset, rec.text_size) == pattern) {
      return Status::Ok();
    }
  }
  auto offset = InternText(pattern);
  if (!offset) return offset.error();
  s_->excludes.push_back({static_cast<uint32_t>(kind), *offset, static_cast<uint32_t>(pattern.size()), 0});
  return Status::Ok();
}

Status AllowListBuilder::AddAll(const AllowList& list) {
  for (const auto& pattern : list.excludes().patterns()) {
    if (Status st = AddExclude(pattern.kind(), pattern.text()); !st) return st;
  }
  std::vector<std::string_view> tags;
  Status status;
  for (AllowList::NameId id = 0; id < list.name_count(); ++id) {
    tags = list.Tags(id).ToVector();
    if (tags.empty()) continue;
    if (Status st = AddTags(list.Kind(id), list.Name(id), tags); !st) return st;
  }
  list.ForEachEntry([&](AllowList::NameId id, const ima::Digest& digest) {
    if (!status) return;
    status = Add(list.Kind(id), list.Name(id), digest);
  });
  if (!status) return status;
  const PolicySettings& other = list.settings();
  for (const auto& keyring : other.ignored_keyrings) {
    if (std::find(settings_.ignored_keyrings.begin(), settings_.ignored_keyrings.end(), keyring) ==
        settings_.ignored_keyrings.end()) {
      settings_.ignored_keyrings.push_back(keyring);
    }
  }
  if (settings_.log_hash_alg.empty()) settings_.log_hash_alg = other.log_hash_alg;
  if (settings_.keylime_extra.empty()) settings_.keylime_extra = other.keylime_extra;
  return Status::Ok();
}

Result<AllowList> AllowListBuilder::Build() {
  if (Status st = CheckSettings(settings_); !st) return st.error();
  Storage& s = *s_;
  // Group each digest's names into one run of the owner table (counting sort, then dedupe).
  for (size_t code = 0; code < layout::kAlgoCount; ++code) {
    auto& pairs = pairs_[code];
    auto& ranges = s.digest_owners[code];
    ranges.assign(s.digest_counts[code], layout::Range{0, 0});
    for (const Pair& p : pairs) ++ranges[p.digest].count;
    auto base = static_cast<uint32_t>(s.owners.size());
    uint32_t next = base;
    for (auto& r : ranges) {
      r.first = next;
      next += r.count;
      r.count = 0;
    }
    s.owners.resize(next);
    for (const Pair& p : pairs) {
      layout::Range& r = ranges[p.digest];
      s.owners[r.first + r.count++] = p.name;
    }
    std::vector<Pair>().swap(pairs);
    uint32_t write = base;
    for (auto& r : ranges) {
      auto begin = s.owners.begin() + r.first, end = begin + r.count;
      if (r.count > 1) {
        std::sort(begin, end);
        end = std::unique(begin, end);
      }
      auto kept = static_cast<uint32_t>(end - begin);
      if (write != r.first) std::copy(begin, end, s.owners.begin() + write);
      r = {write, kept};
      write += kept;
    }
    s.owners.resize(write);
  }
  s.owners.shrink_to_fit();
  s.settings_json = SettingsToJson(settings_);
  // Reserve() sized the slot tables for an upper estimate of the entries (text size / 64, ~2.5x
  // a native list's): fit them to the real counts, at most half full, as growing would have.
  auto fit = [](size_t count) { return std::max(kInitialSlots, std::bit_ceil(count * 2)); };
  if (s.name_slots.size() > fit(s.names.size())) ResizeNameSlots(fit(s.names.size()));
  for (uint8_t code = 0; code < layout::kAlgoCount; ++code) {
    const size_t want = fit(s.digest_counts[code]);
    if (s.digest_slots[code].size() > want) ResizeDigestSlots(code, want);
  }

  std::shared_ptr<Storage> storage(std::move(s_));
  s_ = std::make_unique<Storage>();
  tag_ids_.clear();
  tagset_ids_.clear();
  settings_ = {};
  return AllowList::FromTables(storage->Tables(), storage);
}

}  // namespace imawatch::appraise
