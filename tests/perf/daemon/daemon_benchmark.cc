// The daemon's costs on a simulated node (doc/performance.md, "Daemon"): catch-up speed on a
// large list, idle CPU and memory, and the latency from a drift entry to its metric while the
// simulator appends 1 000 entries per second. Run by hand: scripts/bench-daemon.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "monitor/base/env.h"
#include "tests/integration/daemon/daemon_node.h"

namespace imawatch {
namespace {

using namespace std::chrono_literals;
using testing::DaemonNode;
using testing::DaemonProcess;
using testing::HttpGet;
using testing::WaitUntil;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// utime + stime of a process, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  std::vector<std::string> v;
  while (fields >> f) v.push_back(f);
  return (std::stod(v[11]) + std::stod(v[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// VmRSS or VmHWM in MB.
double MemoryMb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;
  }
  return 0;
}

double DriftPaths(uint16_t port) {
  std::string body = HttpGet(port, "/metrics").body;
  size_t at = body.find("\nimawatch_drift_paths_open ");
  return at == std::string::npos ? -1 : std::stod(body.substr(at + 27));
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5)];
}

int Run(uint64_t entries, int idle_seconds, int samples, int rate, const std::string& poll_interval,
        const std::string& recheck) {
  DaemonNode node;
  node.set_poll_interval(poll_interval);
  auto started = Clock::now();
  if (node.Simulate({"init"}).exit_code != 0) return 1;
  testing::CommandResult filled =
      node.Simulate({"run", "--scenario", "normal", "--entries", std::to_string(entries), "--burst", "5000"});
  if (filled.exit_code != 0) {
    std::cerr << filled.err;
    return 1;
  }
  std::printf("simulated list: %llu entries in %.1f s\n", static_cast<unsigned long long>(entries + 1),
              Seconds(Clock::now() - started));
  // The golden image of the node as it is: its resident set is measured with it.
  node.WriteAllowList(static_cast<int>(entries) + 1000);
  node.WriteConfig();
  if (recheck != "auto") {
    // ima.recheck_list inside the ima section: `never` stands for the kernel's append-only list.
    std::string yaml = testing::ReadFileOrDie(node.config());
    yaml.insert(yaml.find("  poll_interval:"), "  recheck_list: " + recheck + "\n");
    if (!Env::Default().WriteFileAtomically(node.config(), yaml).ok()) return 1;
  }

  DaemonProcess d(node.config());
  const uint16_t port = d.Port();
  started = Clock::now();
  bool caught_up = WaitUntil(
      [&] {
        auto s = nlohmann::json::parse(HttpGet(port, "/v1/status", node.token()).body, nullptr, false);
        return s.is_object() && s.value("proved_entries", uint64_t{0}) == entries + 1;
      },
      600s);
  if (!caught_up) {
    std::cerr << "the daemon did not catch up\n" << d.Log().substr(0, 4000);
    return 1;
  }
  const double catch_up = Seconds(Clock::now() - started);
  std::fflush(stdout);
  std::printf(
      "catch-up: %.2f s for %llu entries (%.0f entries/s), RSS %.1f MB (anonymous %.1f, file %.1f), peak "
      "%.1f MB\n",
      catch_up, static_cast<unsigned long long>(entries + 1), static_cast<double>(entries + 1) / catch_up,
      MemoryMb(d.pid(), "VmRSS"), MemoryMb(d.pid(), "RssAnon"), MemoryMb(d.pid(), "RssFile"),
      MemoryMb(d.pid(), "VmHWM"));

  const double cpu0 = CpuSeconds(d.pid());
  const auto idle0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(idle_seconds));
  const double idle_cpu = (CpuSeconds(d.pid()) - cpu0) / Seconds(Clock::now() - idle0) * 100.0;
  std::printf("idle %d s: CPU %.3f %% of one core, RSS %.1f MB (anonymous %.1f, file %.1f), peak %.1f MB\n",
              idle_seconds, idle_cpu, MemoryMb(d.pid(), "VmRSS"), MemoryMb(d.pid(), "RssAnon"),
              MemoryMb(d.pid(), "RssFile"), MemoryMb(d.pid(), "VmHWM"));

  // The golden image grows to every normal file the load will append (reloaded on inotify):
  // only the injected unknown executables are drift.
  node.WriteAllowList(static_cast<int>(entries) + samples * (rate / 2) + 1000);
  if (!WaitUntil(
          [&] {
            return HttpGet(port, "/metrics")
                       .body.find("imawatch_config_reloads_total{result=\"success\"} 1") != std::string::npos;
          },
          60s)) {
    std::cerr << "the daemon did not reload the allow list\n";
    return 1;
  }

  // Load: the simulator appends `rate` entries per second and, every half second, one
  // unknown executable (one simulator at a time: it is the node's only writer). A poller
  // timestamps each rise of the drift gauge.
  const double base = DriftPaths(port);
  std::atomic<bool> stop{false};
  std::mutex seen_mutex;
  std::vector<Clock::time_point> seen;  // seen[i]: the gauge reached base + i + 1
  std::thread poller([&] {
    double last = base;
    while (!stop) {
      const double now_value = DriftPaths(port);
      const auto at = Clock::now();
      std::lock_guard lock(seen_mutex);
      for (; last < now_value; last += 1) seen.push_back(at);
      std::this_thread::sleep_for(5ms);
    }
  });
  std::vector<Clock::time_point> injected;
  uint64_t appended = 0;
  const auto load0 = Clock::now();
  for (int i = 0; i < samples; ++i) {
    const std::string n = std::to_string(rate / 2);
    if (node.Simulate({"run", "--scenario", "normal", "--entries", n, "--rate", std::to_string(rate)})
            .exit_code == 0)
      appended += static_cast<uint64_t>(rate / 2);
    // From before the simulator starts: its own start-up and TPM extend count against us.
    const auto t0 = Clock::now();
    if (node.Simulate({"run", "--scenario", "unknown-exec", "--seed", std::to_string(i)}).exit_code != 0)
      break;
    injected.push_back(t0);
    ++appended;
  }
  WaitUntil(
      [&] {
        std::lock_guard lock(seen_mutex);
        return seen.size() >= injected.size();
      },
      30s);
  stop = true;
  poller.join();
  std::vector<double> latencies;
  for (size_t i = 0; i < injected.size() && i < seen.size(); ++i) {
    latencies.push_back(std::max(0.0, Seconds(seen[i] - injected[i])) * 1000.0);
  }
  const double load_seconds = Seconds(Clock::now() - load0);
  if (latencies.empty()) return 1;
  std::printf(
      "drift -> /metrics while appending %.0f entries/s (target %d): p50 %.0f ms, p99 %.0f ms, max %.0f ms "
      "(%zu of %zu drifts seen; poll interval %s)\n",
      static_cast<double>(appended) / load_seconds, rate, Percentile(latencies, 0.5),
      Percentile(latencies, 0.99), *std::max_element(latencies.begin(), latencies.end()), latencies.size(),
      injected.size(), poll_interval.c_str());
  std::printf("after load: RSS %.1f MB, peak %.1f MB\n", MemoryMb(d.pid(), "VmRSS"),
              MemoryMb(d.pid(), "VmHWM"));
  return 0;
}

}  // namespace
}  // namespace imawatch

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines as they come, also into a file
  CLI::App app("imawatch daemon benchmark");
  uint64_t entries = 100000;
  int idle_seconds = 600, samples = 100, rate = 1000;
  std::string poll_interval = "1s", recheck = "never";
  app.add_option("--entries", entries, "Entries in the list before the daemon starts");
  app.add_option("--idle-seconds", idle_seconds, "How long to measure idle CPU");
  app.add_option("--samples", samples, "Drift entries injected under load");
  app.add_option("--rate", rate, "Entries per second appended meanwhile");
  app.add_option("--poll-interval", poll_interval, "ima.poll_interval of the daemon");
  app.add_option(
      "--recheck-list", recheck,
      "ima.recheck_list: never models the kernel's append-only list (default), always the simulator's");
  CLI11_PARSE(app, argc, argv);
  return imawatch::Run(entries, idle_seconds, samples, rate, poll_interval, recheck);
}
