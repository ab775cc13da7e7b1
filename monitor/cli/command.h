// Subcommands register themselves: each monitor/cli/<name>.cc defines one static
// CommandRegistration, so adding a subcommand touches no other file.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace imawatch::cli {

// Exit codes of every subcommand (README, "Exit codes").
enum ExitCode : int {
  kExitOk = 0,      // verified / check passed
  kExitFailed = 1,  // mismatch, failed check, failed recommendation
  kExitUsage = 2,   // usage or input error
};

// Adds a subcommand to the root app; its callback sets exit_code.
using CommandSetup = std::function<void(CLI::App& root, int& exit_code)>;

struct CommandRegistration {
  CommandRegistration(std::string name, CommandSetup setup);
};

struct RegisteredCommand {
  std::string name;
  CommandSetup setup;
};
std::vector<RegisteredCommand>& RegisteredCommands();

}  // namespace imawatch::cli
