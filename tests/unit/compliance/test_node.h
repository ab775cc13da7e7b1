// A node for compliance tests: a copy of tests/fixtures/compliance/node (a root file system with
// kubelet, sshd, sysctl, modprobe, cron and audit files) that a test may edit, and IMA evidence
// computed over it the way the kernel would record it (sha256 of each file's content).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "monitor/compliance/evidence.h"

namespace imawatch::compliance::testing {

struct Owner {
  uint32_t uid = 0, gid = 0;
  uint16_t mode = 0600;
};

class TestNode {
 public:
  TestNode();  // copies the fixture tree into a fresh temp dir

  const std::string& root() const { return root_; }
  void Write(const std::string& path, const std::string& content) const;
  void Remove(const std::string& path) const;
  std::string Read(const std::string& path) const;
  // Replaces the first occurrence of `from` in a file; the test fails if it is not there.
  void Replace(const std::string& path, const std::string& from, const std::string& to) const;

  // evm-sig metadata recorded for a path (default: 0600 root:root).
  void SetOwner(const std::string& path, Owner owner) { owners_[path] = owner; }
  // Paths never measured this boot.
  void Unmeasure(const std::string& path) { unmeasured_[path] = true; }

  // Every regular file of the tree, measured now with the given template (evm-sig records owner
  // and mode); entry indexes follow sorted path order, starting at first_index.
  Evidence Measure(const std::string& template_name = "evm-sig", uint64_t first_index = 1) const;

 private:
  std::string root_;
  std::map<std::string, Owner> owners_;
  std::map<std::string, bool> unmeasured_;
};

// A measurement of bytes as IMA logs it for path (sha256, proved).
MeasuredFile MeasuredContent(const std::string& path, const std::string& content, uint64_t index,
                             const std::string& template_name = "ima-ng");

}  // namespace imawatch::compliance::testing
