#include <iostream>

#include "monitor/cli/command.h"

namespace imawatch::cli {
namespace {

const CommandRegistration kVersion("version", [](CLI::App& root, int& exit_code) {
  auto* cmd = root.add_subcommand("version", "Print the version of imawatch");
  cmd->callback([&exit_code] {
    std::cout << "imawatch 0.1.0\n";
    exit_code = kExitOk;
  });
});

}  // namespace
}  // namespace imawatch::cli
