#include "monitor/appraise/rootfs.h"

#include <algorithm>
#include <deque>

namespace imawatch::appraise {
namespace {

constexpr int kMaxSymlinks = 40;  // the kernel's MAXSYMLINKS

std::deque<std::string> Split(std::string_view path) {
  std::deque<std::string> out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (!part.empty()) out.emplace_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out;
}

std::string TrimRoot(std::string root) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root == "/") root.clear();  // paths are appended to it: "" + "/usr"
  return root;
}

}  // namespace

Result<std::string> ResolveInRoot(Env& env, const std::string& root_in, std::string_view path) {
  const std::string root = TrimRoot(root_in);
  std::deque<std::string> pending = Split(path);
  std::vector<std::string> resolved;
  int links = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.front());
    pending.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      if (!resolved.empty()) resolved.pop_back();
      continue;
    }
    resolved.push_back(part);
    std::string here = Join(resolved);
    auto st = env.StatNoFollow(root + here);
    if (!st) return Error(st.error().kind(), st.error().message(), {.source = here});
    if (st->type == FileType::kSymlink) {
      if (++links > kMaxSymlinks) return InvalidInput("too many levels of symbolic links", {.source = here});
      auto target = env.ReadLink(root + here);
      if (!target) return target.error();
      resolved.pop_back();
      if (!target->empty() && target->front() == '/') resolved.clear();
      std::deque<std::string> parts = Split(*target);
      pending.insert(pending.begin(), parts.begin(), parts.end());
    } else if (st->type != FileType::kDirectory && !pending.empty()) {
      return InvalidInput("not a directory", {.source = here});
    }
  }
  return resolved.empty() ? std::string("/") : Join(resolved);
}

Result<RootWalk> WalkRoot(Env& env, const std::string& root_in, const RootWalkOptions& options) {
  const std::string root = TrimRoot(root_in);
  if (!env.IsDirectory(root.empty() ? "/" : root))
    return InvalidInput("not a directory", {.source = root_in});

  std::vector<std::string> starts;
  for (const auto& subtree : options.subtrees) {
    auto resolved = ResolveInRoot(env, root_in, subtree);
    if (!resolved) return resolved.error();
    starts.push_back(*resolved == "/" ? std::string() : *resolved);
  }
  if (starts.empty()) starts.emplace_back();
  // A subtree inside another is walked once.
  std::sort(starts.begin(), starts.end());
  std::vector<std::string> unique;
  for (auto& s : starts) {
    bool nested = std::any_of(unique.begin(), unique.end(), [&](const std::string& u) {
      return s == u || u.empty() || s.starts_with(u + "/");
    });
    if (!nested) unique.push_back(std::move(s));
  }

  RootWalk walk;
  for (const auto& start : unique) {
    auto top = env.StatNoFollow(root + (start.empty() ? "/" : start));
    if (!top) return top.error();
    if (top->type != FileType::kDirectory) return InvalidInput("not a directory", {.source = start});
    const uint64_t device = top->device;
    std::vector<std::string> stack = {start};
    while (!stack.empty()) {
      std::string dir = std::move(stack.back());
      stack.pop_back();
      auto names = env.ListDirectory(root + (dir.empty() ? "/" : dir));
      if (!names) {
        walk.errors.push_back(names.error());
        continue;
      }
      for (const auto& name : *names) {
        std::string path = dir + "/" + name;
        auto st = env.StatNoFollow(root + path);
        if (!st) {
          walk.errors.push_back(st.error());
          continue;
        }
        if (options.excludes && options.excludes->Matches(path)) {
          ++walk.excluded;
          continue;
        }
        switch (st->type) {
          case FileType::kRegular:
            walk.files.push_back({std::move(path), st->size});
            break;
          case FileType::kDirectory:
            if (options.one_file_system && st->device != device) {
              ++walk.other_file_systems;
            } else {
              stack.push_back(std::move(path));
            }
            break;
          case FileType::kSymlink:
            ++walk.symlinks;
            break;
          case FileType::kOther:
            ++walk.special;
            break;
        }
      }
    }
  }
  return walk;
}

}  // namespace imawatch::appraise
