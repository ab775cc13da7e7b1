#include <algorithm>
#include <iostream>

#include "monitor/cli/command.h"

namespace imawatch::cli {

std::vector<RegisteredCommand>& RegisteredCommands() {
  static std::vector<RegisteredCommand> commands;
  return commands;
}

CommandRegistration::CommandRegistration(std::string name, CommandSetup setup) {
  RegisteredCommands().push_back({std::move(name), std::move(setup)});
}

}  // namespace imawatch::cli

int main(int argc, char** argv) {
  using namespace imawatch::cli;
  CLI::App app{"imawatch: Linux IMA runtime-integrity monitor with CIS benchmark mapping"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "imawatch 0.1.0");
  int exit_code = kExitOk;
  auto& commands = RegisteredCommands();
  std::sort(commands.begin(), commands.end(), [](auto& a, auto& b) { return a.name < b.name; });
  for (auto& command : commands) command.setup(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}
