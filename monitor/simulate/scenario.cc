#include "monitor/simulate/scenario.h"

#include <thread>

#include "monitor/ima/hash.h"
#include "monitor/simulate/node.h"
#include "monitor/tpm/tpm.h"

namespace imawatch::simulate {
namespace {

struct KnownFile {
  std::string_view path;
  uint16_t mode;
};

// What a kubeadm-installed worker executes and root reads first.
constexpr KnownFile kNodeFiles[] = {
    {"/usr/lib/systemd/systemd", 0100755},
    {"/usr/lib/x86_64-linux-gnu/libc.so.6", 0100755},
    {"/usr/lib/x86_64-linux-gnu/libseccomp.so.2", 0100644},
    {"/usr/lib/systemd/systemd-journald", 0100755},
    {"/usr/sbin/sshd", 0100755},
    {"/etc/ssh/sshd_config", 0100600},
    {"/etc/sysctl.d/99-kubernetes-cri.conf", 0100644},
    {"/etc/modules-load.d/k8s.conf", 0100644},
    {"/usr/bin/containerd", 0100755},
    {"/etc/containerd/config.toml", 0100644},
    {"/usr/bin/kubelet", 0100755},
    {"/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", 0100644},
    {"/etc/kubernetes/kubelet.conf", 0100600},
    {"/var/lib/kubelet/config.yaml", 0100644},
    {"/etc/kubernetes/pki/ca.crt", 0100644},
    {"/var/lib/kubelet/pki/kubelet-client-current.pem", 0100600},
    {"/usr/bin/containerd-shim-runc-v2", 0100755},
    {"/usr/sbin/runc", 0100755},
    {"/usr/sbin/xtables-nft-multi", 0100755},
    {"/usr/sbin/conntrack", 0100755},
    {"/usr/sbin/ip", 0100755},
    {"/usr/bin/mount", 0100755},
    {"/opt/cni/bin/bridge", 0100755},
    {"/opt/cni/bin/host-local", 0100755},
    {"/opt/cni/bin/loopback", 0100755},
    {"/opt/cni/bin/portmap", 0100755},
    {"/etc/cni/net.d/10-containerd-net.conflist", 0100644},
    {"/usr/bin/crictl", 0100755},
    {"/usr/bin/kubectl", 0100755},
    {"/usr/bin/bash", 0100755},
};
constexpr size_t kNodeFileCount = sizeof(kNodeFiles) / sizeof(kNodeFiles[0]);

// Files of the container images the node then runs, one snapshot directory per layer.
constexpr KnownFile kImageFiles[] = {
    {"pause", 0100755},
    {"usr/local/bin/kube-proxy", 0100755},
    {"coredns", 0100755},
    {"usr/bin/cilium-agent", 0100755},
    {"bin/busybox", 0100755},
    {"usr/lib/libssl.so.3", 0100644},
    {"usr/lib/libcrypto.so.3", 0100644},
    {"etc/ssl/certs/ca-certificates.crt", 0100644},
};
constexpr size_t kImageFileCount = sizeof(kImageFiles) / sizeof(kImageFiles[0]);

std::vector<uint8_t> ContentDigest(ima::HashAlgo algo, const std::string& what) {
  std::vector<uint8_t> out(ima::DigestSize(algo));
  ima::Hash(algo, {std::span(reinterpret_cast<const uint8_t*>(what.data()), what.size())}, out.data());
  return out;
}

ima::MeasurementRecord FileRecord(const std::string& path, uint16_t mode, ima::HashAlgo algo,
                                  uint32_t version) {
  ima::MeasurementRecord r{.path = path, .algo = algo, .mode = mode};
  r.digest = ContentDigest(algo, "imawatch simulator file " + path + " version " + std::to_string(version));
  return r;
}

const KnownFile* FindNodeFile(std::string_view path) {
  for (const auto& f : kNodeFiles) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

}  // namespace

const std::vector<std::string>& ScenarioNames() {
  static const std::vector<std::string> names = {"normal",        "drift",       "unknown-exec", "violation",
                                                 "tamper-append", "tamper-edit", "reboot"};
  return names;
}

ima::MeasurementRecord NormalMeasurement(uint64_t serial, ima::HashAlgo algo, uint32_t version) {
  if (serial < kNodeFileCount) {
    const KnownFile& f = kNodeFiles[serial];
    return FileRecord(std::string(f.path), f.mode, algo, version);
  }
  const uint64_t n = serial - kNodeFileCount;
  const KnownFile& f = kImageFiles[n % kImageFileCount];
  const std::string path = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/" +
                           std::to_string(1 + n / kImageFileCount) + "/fs/" + std::string(f.path);
  return FileRecord(path, f.mode, algo, version);
}

std::string NormalAllowList(uint64_t count, ima::HashAlgo algo, uint32_t versions) {
  std::string text =
      "# imawatch simulator: the normal scenario's first " + std::to_string(count) + " files\n";
  for (uint64_t serial = 0; serial < count; ++serial) {
    const uint32_t kept = serial < kNodeFileCount ? std::max<uint32_t>(versions, 1) : 1;
    for (uint32_t v = 0; v < kept; ++v) {
      ima::MeasurementRecord r = NormalMeasurement(serial, algo, v);
      text += std::string(ima::Name(algo)) + ":" + ima::Digest(algo, r.digest).hex() + " " + r.path + "\n";
    }
  }
  return text;
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
      auto record = FileRecord(o.path.empty() ? "/usr/bin/kubelet" : o.path, 0100755, s.ima_hash,
                               static_cast<uint32_t>(1000 + o.seed + i));
      if (Status st = node.AppendWithoutExtend(record); !st) return st.error();
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
      ima::MeasurementRecord record;
      if (o.scenario == "normal" || o.scenario == "reboot") {
        record = NormalMeasurement(s.serial++, s.ima_hash);
      } else if (o.scenario == "drift") {
        std::string path = o.path.empty() ? "/etc/kubernetes/kubelet.conf" : o.path;
        const KnownFile* known = FindNodeFile(path);
        uint32_t version = ++s.versions[path];
        record = FileRecord(path, known ? known->mode : 0100644, s.ima_hash, version);
      } else if (o.scenario == "unknown-exec") {
        std::string path = o.path.empty() ? "/tmp/.cache/kworker-" + std::to_string(o.seed + done) : o.path;
        record = FileRecord(path, 0100755, s.ima_hash, static_cast<uint32_t>(o.seed));
        record.uid = record.gid = 1000;
      } else {  // violation: a file read while open for write (ToMToU / open_writers)
        record = ima::MeasurementRecord{.path = o.path.empty() ? "/var/lib/kubelet/config.yaml" : o.path,
                                        .algo = s.ima_hash,
                                        .violation = true};
      }
      if (o.rate > 0 && done > 0) {
        std::this_thread::sleep_for(std::chrono::duration<double>(1.0 / o.rate));
      }
      if (Status st = node.Measure(**tpm, record); !st) return st.error();
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
