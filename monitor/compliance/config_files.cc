#include "monitor/compliance/config_files.h"

#include <algorithm>
#include <map>
#include <set>

#include "monitor/compliance/path_glob.h"

namespace imawatch::compliance {

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

namespace {

void NoteUnmeasured(const std::string& pattern, const Evidence& evidence, AttestedReader& reader,
                    std::vector<std::string>& out) {
  if (!IsGlob(pattern)) {
    if (!evidence.Latest(pattern) && reader.ExistsOnDisk(pattern)) out.push_back(pattern);
    return;
  }
  std::string dir = DirName(pattern), base = BaseName(pattern);
  if (IsGlob(dir)) return;  // only a wildcard in the last component is listed on disk
  for (const std::string& name : reader.ListOnDisk(dir)) {
    std::string path = (dir == "/" ? "" : dir) + "/" + name;
    if (GlobMatch(base, name) && !evidence.Latest(path)) out.push_back(path);
  }
}

}  // namespace

ConfigFileSet ResolveConfigFiles(const std::vector<std::string>& patterns, const Evidence& evidence,
                                 AttestedReader& reader, FileOrder order) {
  ConfigFileSet set;
  std::set<const MeasuredFile*> seen;
  auto add = [&](const MeasuredFile* f) {
    if (seen.insert(f).second) set.files.push_back(f);
  };
  if (order == FileOrder::kListed) {
    for (const std::string& p : patterns) {
      for (const MeasuredFile* f : evidence.Matching(p)) add(f);
    }
  } else {
    std::map<std::string, const MeasuredFile*> by_name;
    for (const std::string& p : patterns) {
      if (!IsGlob(p)) continue;
      for (const MeasuredFile* f : evidence.Matching(p)) by_name.emplace(BaseName(f->path), f);
    }
    for (const auto& [name, f] : by_name) add(f);
    for (const std::string& p : patterns) {
      if (IsGlob(p)) continue;
      if (const MeasuredFile* f = evidence.Latest(p)) add(f);
    }
  }
  for (const std::string& p : patterns) NoteUnmeasured(p, evidence, reader, set.unmeasured_on_disk);
  std::sort(set.unmeasured_on_disk.begin(), set.unmeasured_on_disk.end());
  set.unmeasured_on_disk.erase(std::unique(set.unmeasured_on_disk.begin(), set.unmeasured_on_disk.end()),
                               set.unmeasured_on_disk.end());
  return set;
}

}  // namespace imawatch::compliance
