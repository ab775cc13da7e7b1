// imawatch daemon --config FILE: the node-resident monitor (doc/daemon.md, doc/config.md).
#include "monitor/daemon/daemon.h"

#include <csignal>
#include <iostream>

#include "monitor/cli/command.h"
#include "monitor/daemon/config.h"
#include "monitor/daemon/logger.h"

namespace imawatch::cli {
namespace {

void OnStop(int) { daemon::Daemon::RequestStop(); }
void OnReload(int) { daemon::Daemon::RequestReload(); }

void InstallSignals() {
  struct sigaction stop {};
  stop.sa_handler = OnStop;
  sigemptyset(&stop.sa_mask);
  sigaction(SIGTERM, &stop, nullptr);
  sigaction(SIGINT, &stop, nullptr);
  struct sigaction reload {};
  reload.sa_handler = OnReload;
  sigemptyset(&reload.sa_mask);
  sigaction(SIGHUP, &reload, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int Run(const std::string& config_path, bool check_only) {
  Env& env = Env::Default();
  auto config = daemon::LoadConfig(env, config_path);
  if (!config) {
    std::cerr << "imawatch daemon: " << config.error().ToString() << "\n";
    return kExitUsage;
  }
  if (check_only) {
    std::cout << config_path << ": configuration OK\n";
    return kExitOk;
  }
  daemon::Logger log(config->log_format, config->log_level);
  InstallSignals();
  auto d = daemon::Daemon::Create(env, config_path, std::move(*config), log);
  if (!d) {
    log.Error("daemon.start_failed", {{"error", d.error().ToString()}});
    return kExitUsage;
  }
  return (*d)->Run();
}

const CommandRegistration kDaemon("daemon", [](CLI::App& root, int& exit_code) {
  auto config = std::make_shared<std::string>();
  auto check_only = std::make_shared<bool>(false);
  auto* cmd =
      root.add_subcommand("daemon", "Run the node monitor: prove, appraise, evaluate, store, serve metrics");
  cmd->add_option("--config", *config, "Configuration file (YAML, doc/config.md)")->required();
  cmd->add_flag("--check-config", *check_only, "Validate the configuration and exit");
  cmd->footer(
      "Signals: SIGTERM/SIGINT stop after the current batch; SIGHUP reloads the configuration, allow lists "
      "and "
      "benchmarks (a bad configuration is refused and the running one kept).\n"
      "Exit status: 0 after a clean stop; 2 when the configuration or the store cannot be used.");
  cmd->callback([config, check_only, &exit_code] { exit_code = Run(*config, *check_only); });
});

}  // namespace
}  // namespace imawatch::cli
