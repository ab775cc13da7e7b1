// Checking an evidence bundle, shared by verify-evidence and verify-report (whose nonce is the
// report's SHA-256).
#pragma once

#include <string>
#include <vector>

namespace imawatch::cli {

struct VerifyEvidenceArgs {
  std::string file;
  std::string ak;
  std::string nonce;
  std::string list;
  std::vector<std::string> banks;
  unsigned threads = 0;
  bool json = false;
};

// Prints the verification (text or JSON) and returns the exit status; command names errors.
int VerifyEvidenceFile(const std::string& command, const VerifyEvidenceArgs& args);

}  // namespace imawatch::cli
