// Where tests find the repo's fixtures, the shared/ folder and the built binary.
#pragma once

#include <string>
#include <vector>

namespace imawatch::testing {

std::string SourceDir();                          // the checkout
std::string FixturePath(const std::string& rel);  // tests/fixtures/<rel>
std::string SharedPath(const std::string& rel);   // ../shared/<rel>; tests skip nothing: it must exist
std::string ImawatchBinary();
std::string ReadFileOrDie(const std::string& path);
// Replaces the file's content in place (same inode, mode kept), as an editor saving it would.
void WriteFileOrDie(const std::string& path, const std::string& bytes);
// A fresh empty directory under the test's temp dir, removed by the OS temp cleanup.
std::string MakeTempDir(const std::string& tag);

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs argv (no shell) and collects its output.
CommandResult RunCommand(const std::vector<std::string>& argv);

}  // namespace imawatch::testing
