#include "monitor/simulate/node_files.h"

#include <algorithm>

#include "monitor/ima/digest.h"
#include "monitor/ima/hash.h"

namespace imawatch::simulate {
namespace {

struct KnownFile {
  std::string_view path;
  uint16_t mode;
  bool program;  // executed or mapped; the rest is configuration, which a root replaces
};

// What a kubeadm-installed worker executes and root reads first.
constexpr KnownFile kNodeFiles[] = {
    {"/usr/lib/systemd/systemd", 0100755, true},
    {"/usr/lib/x86_64-linux-gnu/libc.so.6", 0100755, true},
    {"/usr/lib/x86_64-linux-gnu/libseccomp.so.2", 0100644, true},
    {"/usr/lib/systemd/systemd-journald", 0100755, true},
    {"/usr/sbin/sshd", 0100755, true},
    {"/etc/ssh/sshd_config", 0100600, false},
    {"/etc/sysctl.d/99-kubernetes-cri.conf", 0100644, false},
    {"/etc/modules-load.d/k8s.conf", 0100644, false},
    {"/usr/bin/containerd", 0100755, true},
    {"/etc/containerd/config.toml", 0100644, false},
    {"/usr/bin/kubelet", 0100755, true},
    {"/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", 0100644, false},
    {"/etc/kubernetes/kubelet.conf", 0100600, false},
    {"/var/lib/kubelet/config.yaml", 0100644, false},
    {"/etc/kubernetes/pki/ca.crt", 0100644, false},
    {"/var/lib/kubelet/pki/kubelet-client-current.pem", 0100600, false},
    {"/usr/bin/containerd-shim-runc-v2", 0100755, true},
    {"/usr/sbin/runc", 0100755, true},
    {"/usr/sbin/xtables-nft-multi", 0100755, true},
    {"/usr/sbin/conntrack", 0100755, true},
    {"/usr/sbin/ip", 0100755, true},
    {"/usr/bin/mount", 0100755, true},
    {"/opt/cni/bin/bridge", 0100755, true},
    {"/opt/cni/bin/host-local", 0100755, true},
    {"/opt/cni/bin/loopback", 0100755, true},
    {"/opt/cni/bin/portmap", 0100755, true},
    {"/etc/cni/net.d/10-containerd-net.conflist", 0100644, false},
    {"/usr/bin/crictl", 0100755, true},
    {"/usr/bin/kubectl", 0100755, true},
    {"/usr/bin/bash", 0100755, true},
};

// Files of the container images the node then runs, one snapshot directory per layer.
constexpr KnownFile kImageFiles[] = {
    {"pause", 0100755, true},
    {"usr/local/bin/kube-proxy", 0100755, true},
    {"coredns", 0100755, true},
    {"usr/bin/cilium-agent", 0100755, true},
    {"bin/busybox", 0100755, true},
    {"usr/lib/libssl.so.3", 0100644, true},
    {"usr/lib/libcrypto.so.3", 0100644, true},
    {"etc/ssl/certs/ca-certificates.crt", 0100644, false},
};
constexpr size_t kImageFileCount = sizeof(kImageFiles) / sizeof(kImageFiles[0]);

// A config file the kernel would refuse to hash whole is no node file worth simulating.
constexpr uint64_t kMaxRootFileBytes = 64 << 20;

std::vector<uint8_t> ContentDigest(ima::HashAlgo algo, std::string_view bytes) {
  std::vector<uint8_t> out(ima::DigestSize(algo));
  ima::Hash(algo, {std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())}, out.data());
  return out;
}

ima::MeasurementRecord SyntheticRecord(const std::string& path, uint16_t mode, ima::HashAlgo algo,
                                       uint32_t version) {
  ima::MeasurementRecord r{.path = path, .algo = algo, .mode = mode};
  r.digest = ContentDigest(algo, "imawatch simulator file " + path + " version " + std::to_string(version));
  return r;
}

Status ListRegularFiles(Env& env, const std::string& root, const std::string& dir,
                        std::vector<std::string>& out) {
  auto names = env.ListDirectory(root + dir);
  if (!names) return names.error();
  for (const std::string& name : *names) {
    const std::string path = dir + "/" + name;
    auto status = env.StatNoFollow(root + path);
    if (!status) return status.error();
    if (status->type == FileType::kDirectory) {
      if (Status s = ListRegularFiles(env, root, path, out); !s) return s;
    } else if (status->type == FileType::kRegular) {
      out.push_back(path);
    }
  }
  return {};
}

}  // namespace

NodeFiles NodeFiles::Synthetic() {
  std::vector<File> files;
  for (const KnownFile& f : kNodeFiles) files.push_back({std::string(f.path), f.mode, false});
  return NodeFiles(nullptr, "", std::move(files));
}

Result<NodeFiles> NodeFiles::FromRoot(Env& env, const std::string& root) {
  if (!env.IsDirectory(root)) return InvalidInput("node root is not a directory", {.source = root});
  std::vector<std::string> on_disk;
  if (Status s = ListRegularFiles(env, root, "", on_disk); !s) return s.error();
  std::vector<File> files;
  for (const KnownFile& f : kNodeFiles) {
    const bool there = std::binary_search(on_disk.begin(), on_disk.end(), f.path);
    if (f.program || there) files.push_back({std::string(f.path), f.mode, there});
  }
  for (const std::string& path : on_disk) {
    auto known = std::find_if(std::begin(kNodeFiles), std::end(kNodeFiles),
                              [&](const KnownFile& f) { return f.path == path; });
    if (known == std::end(kNodeFiles)) files.push_back({path, 0, true});
  }
  return NodeFiles(&env, root, std::move(files));
}

Result<ima::MeasurementRecord> NodeFiles::OnDisk(const std::string& path, ima::HashAlgo algo) const {
  auto status = env_->StatNoFollow(root_ + path);
  if (!status) return status.error();
  auto content = env_->ReadFile(root_ + path, kMaxRootFileBytes);
  if (!content) return content.error();
  ima::MeasurementRecord r{.path = path, .algo = algo, .digest = ContentDigest(algo, *content)};
  r.uid = status->uid;
  r.gid = status->gid;
  r.mode = static_cast<uint16_t>(status->mode);
  return r;
}

Result<ima::MeasurementRecord> NodeFiles::Normal(uint64_t serial, ima::HashAlgo algo,
                                                 uint32_t version) const {
  if (serial < node_.size()) {
    const File& f = node_[serial];
    if (f.on_disk) return OnDisk(f.path, algo);
    return SyntheticRecord(f.path, f.mode, algo, version);
  }
  const uint64_t n = serial - node_.size();
  const KnownFile& f = kImageFiles[n % kImageFileCount];
  const std::string path = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/" +
                           std::to_string(1 + n / kImageFileCount) + "/fs/" + std::string(f.path);
  return SyntheticRecord(path, f.mode, algo, version);
}

Result<ima::MeasurementRecord> NodeFiles::Changed(const std::string& path, ima::HashAlgo algo,
                                                  uint32_t version) const {
  auto known = std::find_if(node_.begin(), node_.end(), [&](const File& f) { return f.path == path; });
  if (known != node_.end() && known->on_disk) return OnDisk(path, algo);
  return SyntheticRecord(path, known != node_.end() ? known->mode : 0100644, algo, version);
}

Result<std::string> NodeFiles::AllowList(uint64_t count, ima::HashAlgo algo, uint32_t versions) const {
  std::string text =
      "# imawatch simulator: the normal scenario's first " + std::to_string(count) + " files\n";
  for (uint64_t serial = 0; serial < count; ++serial) {
    const bool node_file = serial < node_.size();
    const uint32_t kept = node_file && !node_[serial].on_disk ? std::max<uint32_t>(versions, 1) : 1;
    for (uint32_t v = 0; v < kept; ++v) {
      auto r = Normal(serial, algo, v);
      if (!r) return r.error();
      text += std::string(ima::Name(algo)) + ":" + ima::Digest(algo, r->digest).hex() + " " + r->path + "\n";
    }
  }
  return text;
}

}  // namespace imawatch::simulate
