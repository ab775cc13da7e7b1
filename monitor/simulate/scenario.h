// Scripted activity on a simulated node (doc/simulator.md): what `imawatch simulate run` does.
//
//   normal        files a Kubernetes worker executes and reads (kubelet, containerd, runc, CNI
//                 plugins, their configs, then container image files), each with a stable digest,
//                 or the node root's real files (node_files.h)
//   drift         a file already measured, measured again with a different digest
//   unknown-exec  an executable no allow list knows
//   violation     a ToMToU / open-writers violation
//   tamper-append an entry appended without extending the TPM
//   tamper-edit   one byte of an entry's file digest changed in place
//   reboot        TPM reset and a new list (then --entries normal entries)
//
// The TPM is connected for each burst and released between bursts, so a verifier can read
// the PCRs meanwhile (swtpm serves one client at a time).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "monitor/base/env.h"
#include "monitor/base/result.h"
#include "monitor/ima/entry_writer.h"
#include "monitor/simulate/swtpm_control.h"

namespace imawatch::simulate {

const std::vector<std::string>& ScenarioNames();

struct ScenarioOptions {
  std::string scenario = "normal";
  std::optional<uint64_t> entries;        // default: 100 for normal, 1 for the others, 0 after a reboot
  uint64_t burst = 0;                     // entries per TPM connection; 0: all in one
  std::chrono::milliseconds interval{0};  // pause between bursts
  double rate = 0;                        // entries per second within a burst; 0: as fast as possible
  uint64_t seed = 1;
  std::optional<uint64_t> edit_index;  // tamper-edit: the entry (default: the last)
  std::string path;                    // drift / violation / unknown-exec: the file (default: per scenario)
  std::string tcti;
  SwtpmControl control;  // reboot
};

struct ScenarioReport {
  uint64_t appended = 0;  // entries written to the list
  uint64_t extended = 0;  // of those, extended into the TPM
  uint64_t list_entries = 0;
  uint64_t boot = 1;
  std::optional<uint64_t> edited;
};

Result<ScenarioReport> RunScenario(Env& env, const std::string& root, const ScenarioOptions& options);

}  // namespace imawatch::simulate
