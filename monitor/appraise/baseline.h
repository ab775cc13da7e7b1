// A golden root file system hashed into an allow list on all cores: every regular file under
// its canonical path (see rootfs.h), excludes recorded in the list, tags from path rules.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "monitor/appraise/allow_list.h"
#include "monitor/appraise/rootfs.h"
#include "monitor/base/env.h"

namespace imawatch::appraise {

struct BaselineProgress {
  uint64_t files_done = 0;
  uint64_t files_total = 0;
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;
};

struct BaselineOptions {
  std::string root;
  std::vector<std::string> subtrees;                           // inside the root; empty: all of it
  std::vector<std::string> exclude_globs;                      // skipped, and recorded as the list's excludes
  std::vector<std::pair<std::string, std::string>> tag_rules;  // glob -> tag
  ima::HashAlgo algo = ima::HashAlgo::kSha256;
  unsigned threads = 0;  // 0: one per online CPU
  bool one_file_system = false;
  // Called on the calling thread about ten times a second while files are hashed, and once
  // at the end.
  std::function<void(const BaselineProgress&)> progress;
};

struct BaselineReport {
  uint64_t files = 0;  // hashed
  uint64_t bytes = 0;
  uint64_t symlinks = 0;
  uint64_t special = 0;
  uint64_t excluded = 0;
  uint64_t other_file_systems = 0;
  std::vector<Error> errors;  // unreadable files and directories: left out of the list
  unsigned threads = 0;
  std::vector<uint64_t> files_per_thread;
  double wall_seconds = 0;
  double cpu_seconds = 0;  // process CPU time (all threads) over the same span
};

struct Baseline {
  AllowList list;
  BaselineReport report;
};

Result<Baseline> BuildBaseline(Env& env, const BaselineOptions& options);

}  // namespace imawatch::appraise
