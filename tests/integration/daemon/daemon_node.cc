#include "tests/integration/daemon/daemon_node.h"

#include <fstream>
#include <stdexcept>

#include "monitor/base/env.h"
#include "monitor/simulate/node_files.h"
#include "monitor/simulate/scenario.h"

namespace imawatch::testing {
namespace {

void WriteFile(const std::string& path, const std::string& text) {
  // Atomically, as an admin's tooling (or a ConfigMap update) would replace it.
  Status s = Env::Default().WriteFileAtomically(path, text);
  if (!s.ok()) throw std::runtime_error(s.error().ToString());
}

}  // namespace

SwTpm& DaemonNode::Tpm() {
  static SwTpm swtpm(SwTpmTransport::kUnixSocket);
  return swtpm;
}

DaemonNode::DaemonNode() {
  dir_ = MakeTempDir("daemon-node");
  securityfs_ = dir_ + "/securityfs";
  config_ = dir_ + "/imawatch.yaml";
  store_ = dir_ + "/imawatch.db";
  allow_list_ = dir_ + "/allow.list";
  token_file_ = dir_ + "/token";
  token_ = "t0ken-" + std::to_string(reinterpret_cast<uintptr_t>(this));
  WriteFile(token_file_, token_ + "\n");
}

CommandResult DaemonNode::Simulate(std::vector<std::string> args) const {
  args.insert(args.begin(), {ImawatchBinary(), "simulate"});
  args.insert(args.begin() + 3, {"--securityfs", securityfs_, "--tcti", Tpm().Tcti()});
  return RunCommand(args);
}

void DaemonNode::WriteAllowList(int count, int kubelet_conf_versions) const {
  WriteFile(allow_list_, simulate::NodeFiles::Synthetic()
                             .AllowList(static_cast<uint64_t>(count), ima::HashAlgo::kSha256,
                                        static_cast<uint32_t>(kubelet_conf_versions))
                             .value());
}

void DaemonNode::WriteConfig(const std::string& extra, const std::string& ak_context) const {
  std::string yaml =
      "node:\n  name: test-node\n  root: " + (root_.empty() ? FixturePath("compliance/node") : root_) +
      "\ntpm:\n  tcti: \"" + Tpm().Tcti() + "\"\n";
  if (!ak_context.empty()) yaml += "  ak_context: " + ak_context + "\n  quote_interval: 1s\n";
  yaml +=
      "ima:\n  securityfs: " + securityfs_ + "\n  poll_interval: " + poll_interval_ +
      "\nappraisal:\n  allow_lists: [" + allow_list_ + "]\nbenchmarks:\n  dir: " + SourceDir() +
      "/benchmarks\n  enabled:\n    - id: cis-kubernetes-v1.7.1\n      level: 1\nstore:\n  path: " + store_ +
      "\nhttp:\n  listen: 127.0.0.1:0\n  token_file: " + token_file_ +
      "\naudit:\n  source: none\nwatch:\n  debounce: 100ms\nlog:\n  level: debug\n" + extra;
  WriteFile(config_, yaml);
}

}  // namespace imawatch::testing
