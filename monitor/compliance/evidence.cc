#include "monitor/compliance/evidence.h"

#include <algorithm>

#include "monitor/compliance/path_glob.h"

namespace imawatch::compliance {
namespace {

bool IsViolation(const ima::Digest& d) {
  return std::ranges::all_of(d.view(), [](uint8_t b) { return b == 0; });
}

}  // namespace

bool Evidence::AddFile(MeasuredFile file) {
  if (!file.proved || IsViolation(file.file_digest)) return false;
  templates_.insert(file.template_name);
  auto it = files_.find(file.path);
  if (it != files_.end() && it->second.entry_index > file.entry_index) return false;
  std::string key = file.path;
  files_.insert_or_assign(std::move(key), std::move(file));
  return true;
}

bool Evidence::AddModule(MeasuredFile module) {
  if (!module.proved) return false;
  templates_.insert(module.template_name);
  modules_.push_back(std::move(module));
  return true;
}

const MeasuredFile* Evidence::Latest(std::string_view path) const {
  if (lookup_log_) lookup_log_->emplace_back(path);
  const MeasuredFile* best = nullptr;
  for (const std::string& spelling : CanonicalSpellings(path)) {
    auto it = files_.find(spelling);
    if (it != files_.end() && (!best || it->second.entry_index > best->entry_index)) best = &it->second;
  }
  return best;
}

std::vector<const MeasuredFile*> Evidence::Matching(std::string_view pattern) const {
  if (!IsGlob(pattern)) {
    const MeasuredFile* f = Latest(pattern);
    return f ? std::vector<const MeasuredFile*>{f} : std::vector<const MeasuredFile*>{};
  }
  if (lookup_log_) lookup_log_->emplace_back(pattern);
  std::vector<const MeasuredFile*> out;
  for (const std::string& spelling : CanonicalSpellings(pattern)) {
    // Only paths sharing the pattern's literal prefix can match: scan just that range.
    std::string prefix = spelling.substr(0, spelling.find_first_of("*?"));
    for (auto it = files_.lower_bound(prefix); it != files_.end() && it->first.starts_with(prefix); ++it) {
      if (GlobMatch(spelling, it->first)) out.push_back(&it->second);
    }
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->path < b->path; });
  out.erase(std::unique(out.begin(), out.end()), out.end());
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
