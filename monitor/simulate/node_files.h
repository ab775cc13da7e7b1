// The files a simulated node measures, in the order its normal scenario measures them
// (doc/simulator.md): the programs and configuration a kubeadm worker executes and reads, then
// files of container image snapshots, without end.
//
// Without a root, every content is synthetic (the digest of "imawatch simulator file <path>
// version <v>"): every node and run measure the same digests, and an allow list can be built
// for them. With a root (a directory laid out like a node's file system, e.g. a copy of
// tests/fixtures/compliance/node), the node's configuration is that tree's regular files, hashed
// and stat'ed when measured as the kernel records them (content digest, i_uid, i_gid, i_mode),
// so the settings a benchmark judges are the ones in those files; the programs stay synthetic
// unless the root holds them too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "monitor/base/env.h"
#include "monitor/base/result.h"
#include "monitor/ima/entry_writer.h"

namespace imawatch::simulate {

class NodeFiles {
 public:
  static NodeFiles Synthetic();
  // Lists the root's regular files (symbolic links and other types are not measured by IMA's
  // file hooks as such; their targets are, under their own names).
  static Result<NodeFiles> FromRoot(Env& env, const std::string& root);

  // The serial-th measurement of the normal scenario. `version` picks a synthetic content.
  Result<ima::MeasurementRecord> Normal(uint64_t serial, ima::HashAlgo algo, uint32_t version = 0) const;
  // `path` measured again after it changed: a file of the root as it is on disk now, any other
  // with synthetic content `version`.
  Result<ima::MeasurementRecord> Changed(const std::string& path, ima::HashAlgo algo, uint32_t version) const;
  // An allow list (native form, doc/allowlist-format.md) of the first `count` measurements:
  // what a golden image of the node would hold. Synthetic node files are listed in versions
  // 0..versions-1 (`versions = 2` also accepts what one drift measures); files of the root once,
  // as they are now.
  Result<std::string> AllowList(uint64_t count, ima::HashAlgo algo, uint32_t versions = 1) const;

  // The programs and configuration measured before the image files.
  size_t node_file_count() const { return node_.size(); }

 private:
  struct File {
    std::string path;
    uint16_t mode;
    bool on_disk;  // under root_: measured as it is there
  };

  NodeFiles(Env* env, std::string root, std::vector<File> files)
      : env_(env), root_(std::move(root)), node_(std::move(files)) {}
  Result<ima::MeasurementRecord> OnDisk(const std::string& path, ima::HashAlgo algo) const;

  Env* env_;
  std::string root_;
  std::vector<File> node_;
};

}  // namespace imawatch::simulate
