// A simulated node for daemon tests: swtpm, a securityfs directory the simulator fills, an
// allow list of the simulator's normal files, and a daemon config pointing at them.
#pragma once

#include <string>
#include <vector>

#include "tests/testing/daemon_process.h"
#include "tests/testing/paths.h"
#include "tests/testing/swtpm.h"

namespace imawatch::testing {

class DaemonNode {
 public:
  // One swtpm per test binary (swtpm serves one client at a time).
  static SwTpm& Tpm();

  DaemonNode();

  CommandResult Simulate(std::vector<std::string> args) const;
  // The normal scenario's first `count` files (and the given extra versions of kubelet.conf).
  void WriteAllowList(int count, int kubelet_conf_versions = 1) const;
  // The config with extra YAML appended (top-level keys); ak_context: take quotes with it.
  void WriteConfig(const std::string& extra = "", const std::string& ak_context = "") const;

  void set_poll_interval(std::string interval) { poll_interval_ = std::move(interval); }
  // Where the node's files are read (default: the compliance node fixture, read-only).
  void set_root(std::string root) { root_ = std::move(root); }

  const std::string& dir() const { return dir_; }
  const std::string& securityfs() const { return securityfs_; }
  const std::string& config() const { return config_; }
  const std::string& store() const { return store_; }
  const std::string& allow_list() const { return allow_list_; }
  const std::string& token() const { return token_; }

 private:
  std::string dir_, securityfs_, config_, store_, allow_list_, token_file_, token_;
  std::string poll_interval_ = "100ms";
  std::string root_;
};

}  // namespace imawatch::testing
