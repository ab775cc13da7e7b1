// Reads a measured file's current content under the node's root (--root) through Env and hands
// it out only if it still hashes to the digest IMA measured: settings are then judged on
// attested content. A file changed since its last measurement is reported, not guessed at.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "monitor/base/env.h"
#include "monitor/compliance/evidence.h"

namespace imawatch::compliance {

inline constexpr uint64_t kMaxConfigFileBytes = 4 << 20;

struct FileProblem {
  enum Kind {
    kNotMeasured,  // no proved measurement this boot
    kDrifted,      // content on disk no longer hashes to the measured digest (or is gone)
    kUnreadable,   // I/O error, too large, unknown hash algorithm
  };
  Kind kind;
  std::string path;
  std::string message;  // complete sentence for the report
};

struct AttestedText {
  const MeasuredFile* measurement = nullptr;
  std::string text;
};

class AttestedReader {
 public:
  AttestedReader(Env& env, std::string root);

  // Memoized per path: several checks read the same sshd_config.
  const std::variant<AttestedText, FileProblem>& Read(const MeasuredFile& measured);

  // The path under the node's root.
  std::string HostPath(std::string_view path) const;
  bool ExistsOnDisk(std::string_view path);
  // Regular-file names in a directory of the node, sorted; empty if it does not exist.
  std::vector<std::string> ListOnDisk(std::string_view dir);
  Env& env() { return env_; }

 private:
  Env& env_;
  std::string root_;
  std::map<std::string, std::variant<AttestedText, FileProblem>, std::less<>> cache_;
};

// Hex digest of bytes with the algorithm IMA used; empty if OpenSSL lacks the algorithm.
std::string HashHex(ima::HashAlgo algo, std::string_view bytes);

}  // namespace imawatch::compliance
