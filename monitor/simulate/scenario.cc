#include "monitor/simulate/scenario.h"

#include <thread>

#include "monitor/simulate/node.h"
#include "monitor/simulate/node_files.h"
#include "monitor/tpm/tpm.h"

namespace imawatch::simulate {

const std::vector<std::string>& ScenarioNames() {
  static const std::vector<std::string> names = {"normal",        "drift",       "unknown-exec", "violation",
                                                 "tamper-append", "tamper-edit", "reboot"};
  return names;
}

Result<ScenarioReport> RunScenario(Env& env, const std::string& root, const ScenarioOptions& o) {
  const auto& names = ScenarioNames();
  if (std::find(names.begin(), names.end(), o.scenario) == names.end()) {
    return InvalidInput("unknown scenario '" + o.scenario + "'");
  }
  auto loaded = SimulatedNode::Load(env, root);
  if (!loaded) return loaded.error();
  SimulatedNode& node = **loaded;
  NodeSettings& s = node.settings();
  auto files = s.files_root.empty() ? NodeFiles::Synthetic() : NodeFiles::FromRoot(env, s.files_root);
  if (!files) return files.error();
  ScenarioReport report;

  if (o.scenario == "tamper-edit") {
    auto edited = node.EditFileDigest(o.edit_index);
    if (!edited) return edited.error();
    report.edited = *edited;
    report.list_entries = s.entries;
    report.boot = s.boot;
    return report;
  }
  if (o.scenario == "tamper-append") {
    // A clean-looking entry for a file the node runs: the list claims what the TPM never saw.
    const uint64_t count = o.entries.value_or(1);
    for (uint64_t i = 0; i < count; ++i) {
      auto record = files->Changed(o.path.empty() ? "/usr/bin/kubelet" : o.path, s.ima_hash,
                                   static_cast<uint32_t>(1000 + o.seed + i));
      if (!record) return record.error();
      if (Status st = node.AppendWithoutExtend(*record); !st) return st.error();
      ++report.appended;
    }
    if (Status st = node.Save(); !st) return st.error();
    report.list_entries = s.entries;
    report.boot = s.boot;
    return report;
  }

  uint64_t count = o.entries.value_or(o.scenario == "normal" ? 100 : o.scenario == "reboot" ? 0 : 1);
  bool rebooted = o.scenario != "reboot";
  const uint64_t burst = o.burst == 0 ? std::max<uint64_t>(count, 1) : o.burst;
  uint64_t done = 0;
  while (!rebooted || done < count) {
    auto tpm = tpm::Tpm::Open(o.tcti);
    if (!tpm) return tpm.error();
    if (!rebooted) {
      if (Status st = node.Reboot(**tpm, o.control); !st) return st.error();
      rebooted = true;
    }
    for (uint64_t i = 0; i < burst && done < count; ++i, ++done) {
      Result<ima::MeasurementRecord> record = ima::MeasurementRecord{};
      if (o.scenario == "normal" || o.scenario == "reboot") {
        record = files->Normal(s.serial++, s.ima_hash);
      } else if (o.scenario == "drift") {
        std::string path = o.path.empty() ? "/etc/kubernetes/kubelet.conf" : o.path;
        record = files->Changed(path, s.ima_hash, ++s.versions[path]);
      } else if (o.scenario == "unknown-exec") {
        std::string path = o.path.empty() ? "/tmp/.cache/kworker-" + std::to_string(o.seed + done) : o.path;
        record = files->Changed(path, s.ima_hash, static_cast<uint32_t>(o.seed));
        if (record) {
          record->mode = 0100755;
          record->uid = record->gid = 1000;
        }
      } else {  // violation: a file read while open for write (ToMToU / open_writers)
        record = ima::MeasurementRecord{.path = o.path.empty() ? "/var/lib/kubelet/config.yaml" : o.path,
                                        .algo = s.ima_hash,
                                        .violation = true};
      }
      if (o.rate > 0 && done > 0) {
        std::this_thread::sleep_for(std::chrono::duration<double>(1.0 / o.rate));
      }
      if (!record) return record.error();
      if (Status st = node.Measure(**tpm, *record); !st) return st.error();
      ++report.appended;
      ++report.extended;
    }
    if (Status st = node.Save(); !st) return st.error();
    tpm->reset();  // release the TPM between bursts
    if (done < count && o.interval.count() > 0) std::this_thread::sleep_for(o.interval);
  }
  report.list_entries = s.entries;
  report.boot = s.boot;
  return report;
}

}  // namespace imawatch::simulate
