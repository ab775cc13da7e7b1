// replay_benchmark: how fast `imawatch verify` replays a large genuine IMA list, next to evmctl
// on the same list, and whether its memory stays flat as the list grows.
//
// Generates (or reuses) a list of --entries (default 1 M) and one of --small-entries (100 k)
// with generate_ima_log, then runs every command --runs times and keeps the best wall-clock
// time; peak RSS comes from wait4()'s rusage. Prints a table and the exact commands.
// Not a ctest test: timings depend on the machine and never gate the suite.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

struct Options {
  std::string work = "/tmp/imawatch-replay-bench";
  uint64_t entries = 1000000;
  uint64_t small_entries = 100000;
  uint64_t violations = 100;
  unsigned runs = 3;
  std::string imawatch = IMAWATCH_BINARY;
  std::string generator = GENERATE_IMA_LOG_BINARY;
  std::string evmctl = "evmctl";
};

struct Run {
  double seconds = 0;      // wall clock
  double cpu_seconds = 0;  // user + system: less disturbed by other load on the machine
  long max_rss_kb = 0;
};

std::string Join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One run of argv, output to files under work; throws unless it exits 0.
Run RunOnce(const std::vector<std::string>& argv, const std::string& work) {
  const std::string out = work + "/last.out", err = work + "/last.err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const auto start = std::chrono::steady_clock::now();
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) throw std::runtime_error("cannot start " + argv[0]);
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid) throw std::runtime_error("wait4 failed for " + argv[0]);
  const auto stop = std::chrono::steady_clock::now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(Join(argv) + "\nfailed (status " + std::to_string(status) + "):\n" + Slurp(out) +
                             Slurp(err));
  }
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return {std::chrono::duration<double>(stop - start).count(), secs(usage.ru_utime) + secs(usage.ru_stime),
          usage.ru_maxrss};
}

// The run with the best (shortest) wall time, with the largest peak RSS of all runs.
Run Best(const std::vector<std::string>& argv, const Options& o) {
  Run best{std::numeric_limits<double>::max(), 0, 0};
  long rss = 0;
  for (unsigned i = 0; i < o.runs; ++i) {
    Run r = RunOnce(argv, o.work);
    if (r.seconds < best.seconds) best = r;
    rss = std::max(rss, r.max_rss_kb);
  }
  best.max_rss_kb = rss;
  return best;
}

struct List {
  std::string dir;
  uint64_t entries;
  std::string log() const { return dir + "/binary_runtime_measurements"; }
  std::string pcrs() const { return dir + "/pcrs.txt"; }
};

// Reuses a list generated earlier with the same command (recorded beside it).
List EnsureList(const Options& o, uint64_t entries) {
  List list{o.work + "/list-" + std::to_string(entries), entries};
  std::vector<std::string> argv = {o.generator, "--entries",    std::to_string(entries),
                                   "--out",     list.dir,       "--seed",
                                   "1",         "--violations", std::to_string(o.violations)};
  const std::string stamp = list.dir + "/generated-by", command = Join(argv) + "\n";
  struct stat st {};
  if (Slurp(stamp) == command && stat(list.log().c_str(), &st) == 0) return list;
  std::printf("generating %llu entries in %s ...\n", static_cast<unsigned long long>(entries),
              list.dir.c_str());
  std::fflush(stdout);
  RunOnce(argv, o.work);
  std::ofstream(stamp) << command;
  return list;
}

std::vector<std::string> Verify(const Options& o, const List& l, const std::string& banks, int threads = 0) {
  std::vector<std::string> argv = {o.imawatch, "verify", "--log",  l.log(),
                                   "--pcrs",   l.pcrs(), "--bank", banks};
  if (threads > 0) {
    argv.push_back("--threads");
    argv.push_back(std::to_string(threads));
  }
  return argv;
}

double Rate(const List& l, const Run& r) { return static_cast<double>(l.entries) / r.seconds / 1e6; }

void Row(const char* what, const List& l, const Run& r) {
  std::printf("%-36s %7.3f s %7.3f M entries/s %7.2f s CPU %7.1f MB peak RSS\n", what, r.seconds, Rate(l, r),
              r.cpu_seconds, static_cast<double>(r.max_rss_kb) / 1024.0);
}

int Benchmark(const Options& o) {
  mkdir(o.work.c_str(), 0755);
  const List big = EnsureList(o, o.entries);
  const List small = EnsureList(o, o.small_entries);

  const auto imawatch_cmd = Verify(o, big, "sha1,sha256");
  const std::vector<std::string> evmctl_cmd = {o.evmctl,
                                               "ima_measurement",
                                               "--ignore-violations",
                                               "--pcrs",
                                               "sha1," + big.dir + "/pcrs-sha1.evmctl",
                                               "--pcrs",
                                               "sha256," + big.dir + "/pcrs-sha256.evmctl",
                                               big.log()};
  const Run ours = Best(imawatch_cmd, o);
  const Run theirs = Best(evmctl_cmd, o);
  const Run one = Best(Verify(o, big, "sha1,sha256", 1), o);
  const Run two = Best(Verify(o, big, "sha1,sha256", 2), o);
  const Run all = Best(Verify(o, big, "sha1,sha256,sha384,sha512"), o);
  const Run small_run = Best(Verify(o, small, "sha1,sha256"), o);

  std::printf("\nIMA replay, %llu-entry ima-ng list (%llu violations), best of %u, %u CPUs\n",
              static_cast<unsigned long long>(big.entries), static_cast<unsigned long long>(o.violations),
              o.runs, std::thread::hardware_concurrency());
  Row("imawatch verify sha1,sha256", big, ours);
  Row("evmctl ima_measurement sha1,sha256", big, theirs);
  std::printf("%-36s %7.1fx\n", "imawatch / evmctl (entries/s)", Rate(big, ours) / Rate(big, theirs));
  Row("imawatch --threads 1", big, one);
  Row("imawatch --threads 2", big, two);
  Row("imawatch sha1,sha256,sha384,sha512", big, all);
  Row(("imawatch, " + std::to_string(small.entries) + " entries").c_str(), small, small_run);
  std::printf("%-36s %7.2fx for %.0fx the entries\n", "peak RSS growth",
              static_cast<double>(ours.max_rss_kb) / static_cast<double>(small_run.max_rss_kb),
              static_cast<double>(big.entries) / static_cast<double>(small.entries));
  std::printf("\ncommands:\n  %s\n  %s\n", Join(imawatch_cmd).c_str(), Join(evmctl_cmd).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app("Benchmarks `imawatch verify` against evmctl on generated IMA lists");
  app.add_option("--work", o.work, "Directory for the generated lists (reused between runs)");
  app.add_option("--entries", o.entries, "Entries of the large list");
  app.add_option("--small-entries", o.small_entries, "Entries of the small list (memory comparison)");
  app.add_option("--violations", o.violations, "Violations in each list");
  app.add_option("--runs", o.runs, "Runs per command; the best wall time counts")
      ->check(CLI::Range(1u, 100u));
  app.add_option("--imawatch", o.imawatch, "The imawatch binary");
  app.add_option("--generator", o.generator, "The generate_ima_log binary");
  app.add_option("--evmctl", o.evmctl, "evmctl (ima-evm-utils)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    return Benchmark(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "replay_benchmark: %s\n", e.what());
    return 1;
  }
}
