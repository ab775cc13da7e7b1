// A simulated IMA node: a securityfs-shaped directory whose measurement list grows the way
// the kernel grows it, and a TPM (swtpm) extended the way the kernel extends it.
//
//   <root>/ima/binary_runtime_measurements   entries in the kernel's binary format (LE)
//   <root>/ima/ascii_runtime_measurements    the same entries as the kernel renders them
//   <root>/ima/runtime_measurements_count    entry count, "N\n"
//   <root>/ima/policy                         the IMA policy the node runs
//   <root>/imawatch-simulator.json            the simulator's own state (not securityfs)
//
// Each entry is written whole with one write(2) to each list file (a reader never sees half
// an entry), then extended into the PCR of every active bank: H_bank(template data), or
// all-0xFF for a violation; banks not in `hashed_banks` get the SHA1 template digest
// zero-padded, as a kernel that cannot allocate that bank's hash does. A new list (init,
// reboot) replaces the files atomically. The format is doc/ima-log-format.md; the simulator
// doc/simulator.md.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "monitor/base/env.h"
#include "monitor/base/result.h"
#include "monitor/ima/entry_writer.h"
#include "monitor/simulate/swtpm_control.h"
#include "monitor/tpm/tpm.h"

namespace imawatch::simulate {

struct NodeSettings {
  ima::WritableTemplate template_kind = ima::WritableTemplate::kImaNg;
  ima::HashAlgo ima_hash = ima::HashAlgo::kSha256;  // file digests and the boot_aggregate bank
  std::vector<ima::HashAlgo> hashed_banks;          // empty: every active bank
  uint64_t boot = 1;
  uint64_t entries = 0;
  uint64_t serial = 0;                       // files measured by the normal scenario so far
  std::map<std::string, uint32_t> versions;  // content version of files that drifted
  std::string files_root;                    // the node's file system (node_files.h); "": synthetic
};

class SimulatedNode {
 public:
  static std::string SettingsPath(const std::string& root) { return root + "/imawatch-simulator.json"; }
  static std::string ImaDir(const std::string& root) { return root + "/ima"; }

  // A fresh node: firmware PCRs 0-9 (if the TPM has none yet), then a list holding only
  // boot_aggregate. A TPM whose PCR 10 is already extended is reset first through control.
  static Result<std::unique_ptr<SimulatedNode>> Init(Env& env, std::string root, tpm::Tpm& tpm,
                                                     const SwtpmControl& control, NodeSettings settings);
  // The node an earlier Init left in root.
  static Result<std::unique_ptr<SimulatedNode>> Load(Env& env, std::string root);

  // Appends the entry to the list files, then extends the TPM.
  Status Measure(tpm::Tpm& tpm, const ima::MeasurementRecord& record);
  // Tampering: appends the entry without extending the TPM.
  Status AppendWithoutExtend(const ima::MeasurementRecord& record);
  // Tampering: flips one byte of the file digest of entry `index` (default: the last one) in
  // the binary list; returns the entry index edited.
  Result<uint64_t> EditFileDigest(std::optional<uint64_t> index);
  // Resets the TPM (TPM_Init + Startup), replays firmware into PCRs 0-9, and starts a new list.
  Status Reboot(tpm::Tpm& tpm, const SwtpmControl& control);
  // Writes runtime_measurements_count and the simulator state (after each burst).
  Status Save();

  NodeSettings& settings() { return settings_; }
  const std::string& root() const { return root_; }
  std::string ListPath() const { return ImaDir(root_) + "/binary_runtime_measurements"; }
  std::string AsciiPath() const { return ImaDir(root_) + "/ascii_runtime_measurements"; }

 private:
  SimulatedNode(Env& env, std::string root, NodeSettings settings)
      : env_(env), root_(std::move(root)), settings_(std::move(settings)) {}
  Status Write(const ima::EncodedEntry& entry);
  Status Extend(tpm::Tpm& tpm, const ima::EncodedEntry& entry);
  Status StartList(tpm::Tpm& tpm);

  Env& env_;
  std::string root_;
  NodeSettings settings_;
  std::vector<ima::HashAlgo> active_banks_;
  std::unique_ptr<WritableFile> binary_, ascii_;
};

// One entry's line in ascii_runtime_measurements.
Result<std::string> AsciiLine(const ima::EncodedEntry& entry);

}  // namespace imawatch::simulate
