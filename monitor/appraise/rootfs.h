// A root file system (a golden image, an unpacked container) seen the way IMA names its
// files: paths relative to the root, through real directories only, so a merged-/usr root's
// /lib/x shows up once, as /usr/lib/x. Symlinks are never followed out of the root.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/appraise/path_pattern.h"
#include "monitor/base/env.h"

namespace imawatch::appraise {

// Resolves `path` as if `root` were "/": symlinks are followed, absolute targets and ".."
// stay inside the root. Returns the canonical path, e.g. "/lib" -> "/usr/lib".
Result<std::string> ResolveInRoot(Env& env, const std::string& root, std::string_view path);

struct RootFile {
  std::string path;  // canonical, from the root: "/usr/bin/ls"
  uint64_t size = 0;
};

struct RootWalkOptions {
  std::vector<std::string> subtrees;     // paths inside the root to walk; empty: all of it
  const ExcludeSet* excludes = nullptr;  // excluded files are skipped, excluded directories not entered
  bool one_file_system = false;          // stay on the file system each walk starts on
};

struct RootWalk {
  std::vector<RootFile> files;
  uint64_t symlinks = 0;  // skipped: the target is walked where it really is
  uint64_t special = 0;   // devices, sockets, fifos
  uint64_t excluded = 0;
  uint64_t other_file_systems = 0;
  std::vector<Error> errors;  // unreadable directories or entries; the walk goes on
};

Result<RootWalk> WalkRoot(Env& env, const std::string& root, const RootWalkOptions& options);

}  // namespace imawatch::appraise
