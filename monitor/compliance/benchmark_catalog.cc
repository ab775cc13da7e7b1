#include "monitor/compliance/benchmark_catalog.h"

#include "monitor/compliance/benchmark_loader.h"

namespace imawatch::compliance {

std::string DefaultBenchmarksDir() { return IMAWATCH_BENCHMARKS_DIR; }

Result<Benchmark> FindBenchmark(Env& env, const std::string& id_or_file, const std::string& dir) {
  bool looks_like_path = id_or_file.find('/') != std::string::npos || id_or_file.ends_with(".yaml");
  if (looks_like_path || (env.Exists(id_or_file) && !env.IsDirectory(id_or_file))) {
    return LoadBenchmark(env, id_or_file);
  }
  std::string direct = dir + "/" + id_or_file + ".yaml";
  if (env.Exists(direct)) return LoadBenchmark(env, direct);
  if (!env.IsDirectory(dir)) {
    return Error(ErrorKind::kNotFound, "no benchmarks directory", {.source = dir});
  }
  auto names = env.ListDirectory(dir);
  if (!names) return names.error();
  for (const std::string& name : *names) {
    if (!name.ends_with(".yaml")) continue;
    auto b = LoadBenchmark(env, dir + "/" + name);
    if (!b) return b.error();  // a broken benchmark file is reported, not skipped
    if (b->id == id_or_file) return b;
  }
  return Error(ErrorKind::kNotFound, "no benchmark with id '" + id_or_file + "'", {.source = dir});
}

}  // namespace imawatch::compliance
