#include "monitor/appraise/baseline.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <optional>
#include <thread>

#include "monitor/appraise/allow_list_builder.h"
#include "monitor/appraise/file_hasher.h"

namespace imawatch::appraise {

Result<Baseline> BuildBaseline(Env& env, const BaselineOptions& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();

  AllowListBuilder builder;
  ExcludeSet excludes;
  for (const auto& glob : options.exclude_globs) {
    auto pattern = PathPattern::Compile(PatternKind::kGlob, glob);
    if (!pattern) return pattern.error().WithSource("--exclude");
    excludes.Add(std::move(*pattern));
    if (Status st = builder.AddExclude(PatternKind::kGlob, glob); !st) return st.error();
  }
  std::vector<std::pair<PathPattern, std::string>> tag_rules;
  for (const auto& [glob, tag] : options.tag_rules) {
    auto pattern = PathPattern::Compile(PatternKind::kGlob, glob);
    if (!pattern) return pattern.error().WithSource("--tag");
    tag_rules.emplace_back(std::move(*pattern), tag);
  }

  auto walk = WalkRoot(
      env, options.root,
      {.subtrees = options.subtrees, .excludes = &excludes, .one_file_system = options.one_file_system});
  if (!walk) return walk.error();
  std::vector<RootFile>& files = walk->files;
  // Biggest first, so no thread is left hashing one large file at the end.
  std::sort(files.begin(), files.end(), [](const RootFile& a, const RootFile& b) { return a.size > b.size; });

  BaselineReport report;
  report.symlinks = walk->symlinks;
  report.special = walk->special;
  report.excluded = walk->excluded;
  report.other_file_systems = walk->other_file_systems;
  report.errors = std::move(walk->errors);
  unsigned threads =
      options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::max<size_t>(1, std::min<size_t>(threads, files.size())));
  report.threads = threads;
  report.files_per_thread.assign(threads, 0);

  BaselineProgress progress;
  progress.files_total = files.size();
  for (const auto& f : files) progress.bytes_total += f.size;

  std::vector<std::optional<ima::Digest>> digests(files.size());
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> files_done{0};
  std::atomic<uint64_t> bytes_done{0};
  std::mutex mu;
  std::condition_variable finished;
  unsigned running = threads;
  std::vector<Error> errors;
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      FileHasher hasher(options.algo);
      uint64_t mine = 0;
      for (size_t i = next.fetch_add(1); i < files.size(); i = next.fetch_add(1)) {
        auto digest = hasher.HashFile(env, options.root + files[i].path, &bytes_done);
        if (digest) {
          digests[i] = *digest;
          ++mine;
        } else {
          std::lock_guard lock(mu);
          errors.push_back(digest.error());
        }
        files_done.fetch_add(1, std::memory_order_relaxed);
      }
      std::lock_guard lock(mu);
      report.files_per_thread[t] = mine;
      if (--running == 0) finished.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    while (running > 0) {
      finished.wait_for(lock, std::chrono::milliseconds(100));
      if (options.progress && running > 0) {
        progress.files_done = files_done.load();
        progress.bytes_done = bytes_done.load();
        lock.unlock();
        options.progress(progress);
        lock.lock();
      }
    }
  }
  for (auto& w : workers) w.join();
  if (options.progress) {
    progress.files_done = files_done.load();
    progress.bytes_done = bytes_done.load();
    options.progress(progress);
  }
  for (auto& e : errors) report.errors.push_back(std::move(e));

  std::vector<std::string_view> tags;
  for (size_t i = 0; i < files.size(); ++i) {
    if (!digests[i]) continue;
    tags.clear();
    for (const auto& [pattern, tag] : tag_rules) {
      if (pattern.Matches(files[i].path)) tags.push_back(tag);
    }
    if (Status st = builder.Add(NameKind::kFile, files[i].path, *digests[i], tags); !st) {
      Error error = st.error();
      return error.WithSource(files[i].path);
    }
    ++report.files;
    report.bytes += files[i].size;
  }
  auto list = builder.Build();
  if (!list) return list.error();
  report.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  report.cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  return Baseline{std::move(*list), std::move(report)};
}

}  // namespace imawatch::appraise
