#include "monitor/appraise/allow_list_binary.h"

#include <map>
#include <string>
#include <vector>

#include "monitor/appraise/path_pattern.h"

namespace imawatch::appraise {
namespace {

enum SectionId : uint32_t {
  kText = 1,
  kNames = 2,
  kNameSlots = 3,
  kTags = 4,
  kTagsets = 5,
  kTagsetMembers = 6,
  kOwners = 7,
  kExcludes = 8,
  kSettings = 9,
  kDigests = 10,       // param: algorithm code
  kDigestOwners = 11,  // param: algorithm code
  kDigestSlots = 12,   // param: algorithm code
};

constexpr size_t kHeaderSize = 32;
constexpr size_t kSectionEntrySize = 24;
constexpr uint32_t kMaxSections = 64;

template <typename T>
void Put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
T Get(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

struct SectionData {
  uint32_t id;
  uint32_t param;
  std::string_view bytes;
};

template <typename T>
std::string_view Bytes(std::span<const T> s) {
  return {reinterpret_cast<const char*>(s.data()), s.size_bytes()};
}

bool IsPowerOfTwo(size_t n) { return n != 0 && (n & (n - 1)) == 0; }

class Checker {
 public:
  Checker(std::span<const uint8_t> file, std::string source) : file_(file), source_(std::move(source)) {}

  Error Fail(const std::string& message, uint64_t offset) const {
    return InvalidInput(message, {.source = source_, .byte_offset = offset});
  }

  Status ReadDirectory() {
    if (file_.size() < kHeaderSize) return Fail("file is shorter than the allow-list header", 0);
    if (std::memcmp(file_.data(), kBinaryMagic.data(), kBinaryMagic.size()) != 0) {
      return Fail("not a binary allow list (bad magic)", 0);
    }
    auto version = Get<uint32_t>(file_.data() + 8);
    if (version != kBinaryVersion) {
      return Error(ErrorKind::kUnsupported,
                   "binary allow-list version " + std::to_string(version) +
                       " is not supported (this build reads version 1)",
                   {.source = source_, .byte_offset = 8});
    }
    auto count = Get<uint32_t>(file_.data() + 12);
    if (count > kMaxSections) return Fail("too many sections", 12);
    auto file_size = Get<uint64_t>(file_.data() + 16);
    if (file_size != file_.size()) {
      return Fail("header says " + std::to_string(file_size) + " bytes but the file has " +
                      std::to_string(file_.size()) + " (truncated or appended to)",
                  16);
    }
    if (file_.size() < kHeaderSize + size_t{count} * kSectionEntrySize)
      return Fail("section table truncated", 12);
    for (uint32_t i = 0; i < count; ++i) {
      size_t at = kHeaderSize + size_t{i} * kSectionEntrySize;
      auto id = Get<uint32_t>(file_.data() + at);
      auto param = Get<uint32_t>(file_.data() + at + 4);
      auto offset = Get<uint64_t>(file_.data() + at + 8);
      auto size = Get<uint64_t>(file_.data() + at + 16);
      if (id < kText || id > kDigestSlots) return Fail("unknown section id " + std::to_string(id), at);
      if (id >= kDigests ? param >= layout::kAlgoCount : param != 0) {
        return Fail("bad section parameter " + std::to_string(param), at + 4);
      }
      if (offset % 8 != 0) return Fail("section is not 8-byte aligned", at + 8);
      if (offset > file_.size() || size > file_.size() - offset)
        return Fail("section lies outside the file", at + 8);
      if (!sections_.try_emplace({id, param}, Section{offset, size, at}).second) {
        return Fail("duplicate section " + std::to_string(id), at);
      }
    }
    return Status::Ok();
  }

  // A section as an array of T (empty when absent).
  template <typename T>
  Result<std::span<const T>> Array(uint32_t id, uint32_t param = 0) {
    auto it = sections_.find({id, param});
    if (it == sections_.end()) return std::span<const T>();
    const Section& s = it->second;
    if (s.size % sizeof(T) != 0) {
      return Fail("section " + std::to_string(id) + " size is not a multiple of " + std::to_string(sizeof(T)),
                  s.entry + 16);
    }
    return std::span<const T>(reinterpret_cast<const T*>(file_.data() + s.offset), s.size / sizeof(T));
  }

  uint64_t OffsetOf(uint32_t id, uint32_t param = 0) const {
    auto it = sections_.find({id, param});
    return it == sections_.end() ? 0 : it->second.offset;
  }
  bool Has(uint32_t id, uint32_t param) const { return sections_.count({id, param}) != 0; }

 private:
  struct Section {
    uint64_t offset;
    uint64_t size;
    size_t entry;  // where its directory entry is
  };
  std::span<const uint8_t> file_;
  std::string source_;
  std::map<std::pair<uint32_t, uint32_t>, Section> sections_;
};

Status CheckSlots(const Checker& c, std::span<const uint32_t> slots, size_t count, uint64_t base,
                  const char* what) {
  if (count == 0 && slots.empty()) return Status::Ok();
  if (!IsPowerOfTwo(slots.size()) || slots.size() <= count) {
    return c.Fail(std::string(what) + " slot table size must be a power of two above the entry count", base);
  }
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i] > count) return c.Fail(std::string(what) + " slot points past the table", base + 4 * i);
  }
  return Status::Ok();
}

bool TextInBounds(std::string_view text, uint32_t offset, uint32_t size) {
  return offset <= text.size() && size <= text.size() - offset;
}

}  // namespace

bool LooksBinary(std::span<const uint8_t> head) {
  return head.size() >= kBinaryMagic.size() &&
         std::memcmp(head.data(), kBinaryMagic.data(), kBinaryMagic.size()) == 0;
}

std::string SerializeBinary(const AllowList& list) {
  const AllowListTables& t = list.tables();
  std::vector<SectionData> sections = {
      {kText, 0, t.text},
      {kNames, 0, Bytes(t.names)},
      {kNameSlots, 0, Bytes(t.name_slots)},
      {kTags, 0, Bytes(t.tags)},
      {kTagsets, 0, Bytes(t.tagsets)},
      {kTagsetMembers, 0, Bytes(t.tagset_members)},
      {kOwners, 0, Bytes(t.owners)},
      {kExcludes, 0, Bytes(t.excludes)},
      {kSettings, 0, t.settings_json},
  };
  for (uint32_t code = 0; code < layout::kAlgoCount; ++code) {
    const auto& d = t.digests[code];
    if (d.count == 0) continue;
    sections.push_back(
        {kDigests, code, {reinterpret_cast<const char*>(d.bytes), size_t{d.count} * d.digest_size}});
    sections.push_back({kDigestOwners, code, Bytes(d.owners)});
    sections.push_back({kDigestSlots, code, Bytes(d.slots)});
  }
  auto aligned = [](uint64_t n) { return (n + 7) & ~uint64_t{7}; };
  uint64_t offset = aligned(kHeaderSize + sections.size() * kSectionEntrySize);
  std::vector<uint64_t> offsets;
  for (const auto& s : sections) {
    offsets.push_back(offset);
    offset = aligned(offset + s.bytes.size());
  }
  std::string out;
  out.reserve(offset);
  out.append(kBinaryMagic);
  Put<uint32_t>(out, kBinaryVersion);
  Put<uint32_t>(out, static_cast<uint32_t>(sections.size()));
  Put<uint64_t>(out, offset);
  Put<uint64_t>(out, 0);
  for (size_t i = 0; i < sections.size(); ++i) {
    Put<uint32_t>(out, sections[i].id);
    Put<uint32_t>(out, sections[i].param);
    Put<uint64_t>(out, offsets[i]);
    Put<uint64_t>(out, sections[i].bytes.size());
  }
  for (size_t i = 0; i < sections.size(); ++i) {
    out.resize(offsets[i], '\0');
    out.append(sections[i].bytes);
  }
  out.resize(offset, '\0');
  return out;
}

Result<AllowList> ParseBinary(std::span<const uint8_t> bytes, const std::string& source,
                              std::shared_ptr<const void> keepalive) {
  if (reinterpret_cast<uintptr_t>(bytes.data()) % 8 != 0) {
    auto copy = std::make_shared<std::vector<uint64_t>>((bytes.size() + 7) / 8);
    std::memcpy(copy->data(), bytes.data(), bytes.size());
    std::span<const uint8_t> view(reinterpret_cast<const uint8_t*>(copy->data()), bytes.size());
    return ParseBinary(view, source, std::move(copy));
  }
  Checker c(bytes, source);
  if (Status st = c.ReadDirectory(); !st) return st.error();

  AllowListTables t;
  auto text = c.Array<char>(kText);
  auto names = c.Array<layout::NameRecord>(kNames);
  auto name_slots = c.Array<uint32_t>(kNameSlots);
  auto tags = c.Array<layout::TextRef>(kTags);
  auto tagsets = c.Array<layout::Range>(kTagsets);
  auto members = c.Array<uint32_t>(kTagsetMembers);
  auto owners = c.Array<uint32_t>(kOwners);
  auto excludes = c.Array<layout::ExcludeRecord>(kExcludes);
  auto settings = c.Array<char>(kSettings);
  for (const Error* e :
       {names.ok() ? nullptr : &names.error(), name_slots.ok() ? nullptr : &name_slots.error(),
        tags.ok() ? nullptr : &tags.error(), tagsets.ok() ? nullptr : &tagsets.error(),
        members.ok() ? nullptr : &members.error(), owners.ok() ? nullptr : &owners.error(),
        excludes.ok() ? nullptr : &excludes.error()}) {
    if (e) return *e;
  }
  t.text = std::string_view(text->data(), text->size());
  t.names = *names;
  t.name_slots = *name_slots;
  t.tags = *tags;
  t.tagsets = *tagsets;
  t.tagset_members = *members;
  t.owners = *owners;
  t.excludes = *excludes;
  t.settings_json = std::string_view(settings->data(), settings->size());

  for (size_t i = 0; i < t.tags.size(); ++i) {
    if (!TextInBounds(t.text, t.tags[i].offset, t.tags[i].size)) {
      return c.Fail("tag " + std::to_string(i) + " lies outside the text", c.OffsetOf(kTags) + 8 * i);
    }
  }
  for (size_t i = 0; i < t.tagset_members.size(); ++i) {
    if (t.tagset_members[i] >= t.tags.size()) {
      return c.Fail("tag set member points past the tags", c.OffsetOf(kTagsetMembers) + 4 * i);
    }
  }
  for (size_t i = 0; i < t.tagsets.size(); ++i) {
    const auto& r = t.tagsets[i];
    if (r.first > t.tagset_members.size() || r.count > t.tagset_members.size() - r.first) {
      return c.Fail("tag set " + std::to_string(i) + " lies outside its members",
                    c.OffsetOf(kTagsets) + 8 * i);
    }
  }
  for (size_t i = 0; i < t.names.size(); ++i) {
    const auto& n = t.names[i];
    uint64_t at = c.OffsetOf(kNames) + 16 * i;
    if (!TextInBounds(t.text, n.text_offset, n.text_size)) return c.Fail("name lies outside the text", at);
    if (n.tagset >= t.tagsets.size()) return c.Fail("name points past the tag sets", at + 8);
    if (n.kind >= kNameKindCount) return c.Fail("unknown name kind " + std::to_string(n.kind), at + 12);
    if (n.algo_mask >> layout::kAlgoCount != 0) return c.Fail("unknown algorithm in name mask", at + 13);
  }
  if (Status st = CheckSlots(c, t.name_slots, t.names.size(), c.OffsetOf(kNameSlots), "name"); !st) {
    return st.error();
  }
  for (size_t i = 0; i < t.owners.size(); ++i) {
    if (t.owners[i] >= t.names.size())
      return c.Fail("owner points past the names", c.OffsetOf(kOwners) + 4 * i);
  }
  for (size_t i = 0; i < t.excludes.size(); ++i) {
    const auto& e = t.excludes[i];
    uint64_t at = c.OffsetOf(kExcludes) + 16 * i;
    if (e.kind > static_cast<uint32_t>(PatternKind::kRegex)) return c.Fail("unknown pattern kind", at);
    if (!TextInBounds(t.text, e.text_offset, e.text_size))
      return c.Fail("pattern lies outside the text", at + 4);
    auto pattern =
        PathPattern::Compile(static_cast<PatternKind>(e.kind), t.text.substr(e.text_offset, e.text_size));
    if (!pattern)
      return c.Fail("exclude pattern " + std::to_string(i) + ": " + pattern.error().message(), at + 4);
  }
  if (!t.settings_json.empty()) {
    if (auto parsed = SettingsFromJson(t.settings_json); !parsed)
      return c.Fail(parsed.error().message(), c.OffsetOf(kSettings));
  }
  for (uint32_t code = 0; code < layout::kAlgoCount; ++code) {
    auto& d = t.digests[code];
    d.digest_size = static_cast<uint8_t>(ima::DigestSize(layout::kAlgoByCode[code]));
    bool any = c.Has(kDigests, code) || c.Has(kDigestOwners, code) || c.Has(kDigestSlots, code);
    if (!any) continue;
    auto digests = c.Array<uint8_t>(kDigests, code);
    auto ranges = c.Array<layout::Range>(kDigestOwners, code);
    auto slots = c.Array<uint32_t>(kDigestSlots, code);
    if (!ranges) return ranges.error();
    if (!slots) return slots.error();
    if (digests->size() % d.digest_size != 0) {
      return c.Fail("digest table size is not a multiple of the digest size", c.OffsetOf(kDigests, code));
    }
    size_t count = digests->size() / d.digest_size;
    if (ranges->size() != count) {
      return c.Fail("digest owner table does not match the digest count", c.OffsetOf(kDigestOwners, code));
    }
    for (size_t i = 0; i < count; ++i) {
      const auto& r = (*ranges)[i];
      if (r.first > t.owners.size() || r.count > t.owners.size() - r.first) {
        return c.Fail("digest owners lie outside the owner table", c.OffsetOf(kDigestOwners, code) + 8 * i);
      }
    }
    if (Status st = CheckSlots(c, *slots, count, c.OffsetOf(kDigestSlots, code), "digest"); !st)
      return st.error();
    d.count = static_cast<uint32_t>(count);
    d.bytes = digests->data();
    d.owners = *ranges;
    d.slots = *slots;
  }
  auto list = AllowList::FromTables(t, std::move(keepalive));
  if (!list) return list.error().WithSource(source);
  return list;
}

Result<AllowList> LoadBinary(Env& env, const std::string& path) {
  auto mapped = env.MapReadOnly(path);
  if (!mapped) return mapped.error();
  std::shared_ptr<MappedFile> file(std::move(*mapped));
  std::span<const uint8_t> bytes = file->bytes();
  return ParseBinary(bytes, path, std::move(file));
}

}  // namespace imawatch::appraise
