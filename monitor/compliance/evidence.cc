#include "monitor/compliance/evidence.h"

#include <algorithm>
#include <limits>

#include "monitor/compliance/path_glob.h"

namespace imawatch::compliance {
namespace {

bool IsViolation(const ima::Digest& d) {
  return std::ranges::all_of(d.view(), [](uint8_t b) { return b == 0; });
}

}  // namespace

const char* Evidence::CopyPath(std::string_view path) {
  // Fixed chunks, never reallocated: records point into them.
  constexpr size_t kChunkSize = 256 * 1024;
  if (path_chunks_.empty() || path.size() > path_chunk_size_ - path_chunk_used_) {
    path_chunk_size_ = std::max(kChunkSize, path.size());
    path_chunks_.push_back(std::make_unique_for_overwrite<char[]>(path_chunk_size_));
    path_chunk_used_ = 0;
  }
  char* at = path_chunks_.back().get() + path_chunk_used_;
  std::copy(path.begin(), path.end(), at);
  path_chunk_used_ += path.size();
  return at;
}

Evidence::Evidence(const Evidence& other) { *this = other; }

Evidence& Evidence::operator=(const Evidence& other) {
  if (this == &other) return *this;
  path_chunks_.clear();
  path_chunk_size_ = path_chunk_used_ = 0;
  records_ = other.records_;
  for (Record& r : records_) r.path = CopyPath(PathOf(r));
  digests_ = other.digests_;
  slots_ = other.slots_;
  template_names_ = other.template_names_;
  modules_ = other.modules_;
  templates_ = other.templates_;
  measures_module_loads_ = other.measures_module_loads_;
  by_path_ = other.by_path_;
  views_.clear();
  view_of_.clear();
  lookup_log_ = nullptr;
  return *this;
}

std::optional<uint32_t> Evidence::Find(std::string_view path) const {
  if (slots_.empty()) return std::nullopt;
  const size_t mask = slots_.size() - 1;
  for (size_t slot = std::hash<std::string_view>{}(path)&mask;; slot = (slot + 1) & mask) {
    if (slots_[slot] == 0) return std::nullopt;
    if (PathOf(records_[slots_[slot] - 1]) == path) return slots_[slot] - 1;
  }
}

void Evidence::GrowSlots() {
  std::vector<uint32_t> slots(std::max<size_t>(slots_.size() * 2, 1024), 0);
  const size_t mask = slots.size() - 1;
  for (uint32_t i = 0; i < records_.size(); ++i) {
    size_t slot = std::hash<std::string_view>{}(PathOf(records_[i])) & mask;
    while (slots[slot] != 0) slot = (slot + 1) & mask;
    slots[slot] = i + 1;
  }
  slots_ = std::move(slots);
}

void Evidence::Store(Record& r, const MeasuredFile& file) {
  const std::span<const uint8_t> digest = file.file_digest.view();
  if (r.digest_size != digest.size()) {
    // A re-measurement with another algorithm: its old bytes stay behind (rare: one policy per boot).
    r.digest_offset = static_cast<uint32_t>(digests_.size());
    digests_.resize(digests_.size() + digest.size());
  }
  std::copy(digest.begin(), digest.end(), digests_.begin() + r.digest_offset);
  r.digest_size = static_cast<uint8_t>(digest.size());
  r.algo = file.file_digest.algo;
  r.entry_index = file.entry_index;
  r.pcr = static_cast<uint8_t>(file.pcr);
  r.uid = file.uid.value_or(0);
  r.gid = file.gid.value_or(0);
  r.mode = file.mode.value_or(0);
  r.owner_fields = static_cast<uint8_t>((file.uid ? 1 : 0) | (file.gid ? 2 : 0) | (file.mode ? 4 : 0));
  auto name = std::find(template_names_.begin(), template_names_.end(), file.template_name);
  if (name == template_names_.end()) name = template_names_.insert(name, file.template_name);
  r.template_id = static_cast<uint8_t>(name - template_names_.begin());
  r.bank_proof = file.bank_proof;
}

bool Evidence::AddFile(MeasuredFile file, std::string_view stored_path) {
  if (!file.proved || IsViolation(file.file_digest)) return false;
  if (file.path.size() > std::numeric_limits<uint32_t>::max()) return false;
  templates_.insert(file.template_name);
  views_.clear();
  view_of_.clear();
  if (std::optional<uint32_t> i = Find(file.path)) {
    if (records_[*i].entry_index > file.entry_index) return false;
    Store(records_[*i], file);
    return true;
  }
  if ((records_.size() + 1) * 2 > slots_.size()) GrowSlots();
  Record r;
  r.path = stored_path == file.path ? stored_path.data() : CopyPath(file.path);
  r.path_size = static_cast<uint32_t>(file.path.size());
  Store(r, file);
  records_.push_back(std::move(r));
  const size_t mask = slots_.size() - 1;
  size_t slot = std::hash<std::string_view>{}(file.path) & mask;
  while (slots_[slot] != 0) slot = (slot + 1) & mask;
  slots_[slot] = static_cast<uint32_t>(records_.size());
  return true;
}

bool Evidence::AddModule(MeasuredFile module) {
  if (!module.proved) return false;
  templates_.insert(module.template_name);
  modules_.push_back(std::move(module));
  return true;
}

MeasuredFile Evidence::Materialize(uint32_t record) const {
  const Record& r = records_[record];
  MeasuredFile m;
  m.path = PathOf(r);
  m.file_digest = ima::Digest(r.algo, {digests_.data() + r.digest_offset, r.digest_size});
  m.template_name = template_names_[r.template_id];
  m.entry_index = r.entry_index;
  m.pcr = r.pcr;
  if (r.owner_fields & 1) m.uid = r.uid;
  if (r.owner_fields & 2) m.gid = r.gid;
  if (r.owner_fields & 4) m.mode = r.mode;
  m.proved = true;
  m.bank_proof = r.bank_proof;
  return m;
}

const MeasuredFile* Evidence::View(uint32_t record) const {
  auto [it, fresh] = view_of_.try_emplace(record, nullptr);
  if (fresh) it->second = &views_.emplace_back(Materialize(record));
  return it->second;
}

void Evidence::ForEachFile(const std::function<void(const MeasuredFile&)>& visit) const {
  std::vector<uint32_t> order(records_.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return records_[a].entry_index < records_[b].entry_index; });
  // One file at a time: visiting 10^5 files must not hold 10^5 views.
  for (uint32_t i : order) visit(Materialize(i));
}

const MeasuredFile* Evidence::Latest(std::string_view path) const {
  if (lookup_log_) lookup_log_->emplace_back(path);
  std::optional<uint32_t> best;
  for (const std::string& spelling : CanonicalSpellings(path)) {
    std::optional<uint32_t> i = Find(spelling);
    if (i && (!best || records_[*i].entry_index > records_[*best].entry_index)) best = i;
  }
  return best ? View(*best) : nullptr;
}

void Evidence::SortPaths() const {
  // New paths since the last scan: sort them and merge them in, not the whole index again.
  const size_t sorted = by_path_.size();
  if (sorted == records_.size()) return;
  for (auto i = static_cast<uint32_t>(sorted); i < records_.size(); ++i) by_path_.push_back(i);
  auto less = [&](uint32_t a, uint32_t b) { return PathOf(records_[a]) < PathOf(records_[b]); };
  std::sort(by_path_.begin() + static_cast<std::ptrdiff_t>(sorted), by_path_.end(), less);
  std::inplace_merge(by_path_.begin(), by_path_.begin() + static_cast<std::ptrdiff_t>(sorted), by_path_.end(),
                     less);
}

std::vector<const MeasuredFile*> Evidence::Matching(std::string_view pattern) const {
  if (!IsGlob(pattern)) {
    const MeasuredFile* f = Latest(pattern);
    return f ? std::vector<const MeasuredFile*>{f} : std::vector<const MeasuredFile*>{};
  }
  if (lookup_log_) lookup_log_->emplace_back(pattern);
  SortPaths();
  std::vector<uint32_t> found;
  for (const std::string& spelling : CanonicalSpellings(pattern)) {
    // Only paths sharing the pattern's literal prefix can match: scan just that range.
    std::string_view prefix = std::string_view(spelling).substr(0, spelling.find_first_of("*?"));
    auto it = std::lower_bound(by_path_.begin(), by_path_.end(), prefix,
                               [&](uint32_t r, std::string_view p) { return PathOf(records_[r]) < p; });
    for (; it != by_path_.end() && PathOf(records_[*it]).starts_with(prefix); ++it) {
      if (GlobMatch(spelling, PathOf(records_[*it]))) found.push_back(*it);
    }
  }
  std::sort(found.begin(), found.end(),
            [&](uint32_t a, uint32_t b) { return PathOf(records_[a]) < PathOf(records_[b]); });
  found.erase(std::unique(found.begin(), found.end()), found.end());
  std::vector<const MeasuredFile*> out;
  for (uint32_t r : found) out.push_back(View(r));
  return out;
}

std::vector<const MeasuredFile*> Evidence::ModuleEntries(std::string_view module) const {
  std::string want = NormalizeModuleName(module);
  std::vector<const MeasuredFile*> out;
  for (const MeasuredFile& m : modules_) {
    if (ModuleNameFromPath(m.path) == want) out.push_back(&m);
  }
  return out;
}

std::string NormalizeModuleName(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

std::string ModuleNameFromPath(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t ko = base.find(".ko");
  if (ko != std::string_view::npos) base = base.substr(0, ko);
  return NormalizeModuleName(base);
}

}  // namespace imawatch::compliance
