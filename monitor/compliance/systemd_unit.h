// The parts of systemd unit files that decide a service's command line: ExecStart=,
// Environment= and EnvironmentFile= in [Service], merged over the unit and its drop-ins the way
// systemd merges them, environment files, and ExecStart variable expansion. IMA never records a
// command line, so the kubelet's flags are rebuilt from these measured files.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imawatch::compliance {

struct UnitDirective {
  std::string value;
  std::string path;
  uint32_t line = 0;
};

// Accumulated over the unit file and then its drop-ins in order: an empty assignment
// ("ExecStart=") resets what came before, as systemd does.
struct ServiceDirectives {
  std::vector<UnitDirective> exec_start;
  std::vector<UnitDirective> environment;
  std::vector<UnitDirective> environment_files;
};

void ParseUnitFile(std::string_view text, const std::string& path, ServiceDirectives& directives);

// Splits like systemd's extract_first_word with unquoting and C escapes: whitespace separates
// words, "..." and '...' group, backslash escapes.
std::vector<std::string> SplitUnitWords(std::string_view text);

struct EnvValue {
  std::string value;
  std::string origin;  // "path:line" of the assignment
};
using Environment = std::map<std::string, EnvValue>;

// Environment= assignments ("A=1" "B=two words"), later ones overriding.
void ApplyEnvironmentDirective(const UnitDirective& directive, Environment& env);
// An EnvironmentFile: KEY=VALUE lines, '#'/';' comments, quotes, trailing-backslash continuation.
void ParseEnvironmentFile(std::string_view text, const std::string& path, Environment& env);

struct CommandArg {
  std::string text;
  std::string origin;  // where the word came from, including the variable that carried it
};

// ExecStart words with variables expanded: "$NAME" as a whole word becomes the value split at
// whitespace, "${NAME}" is replaced inside a word, "$$" is a literal '$', unset names are empty.
// The leading special prefixes (-, @, :, +, !) are dropped from the executable.
std::vector<CommandArg> ExpandExecStart(const UnitDirective& exec_start, const Environment& env);

}  // namespace imawatch::compliance
