// imawatch verify --securityfs DIR --tcti T --follow: live proof of a growing list.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "monitor/ima/binary_reader.h"
#include "monitor/ima/hash_algo.h"

namespace imawatch::cli {

struct FollowOptions {
  std::string securityfs;
  std::string tcti;
  std::vector<ima::HashAlgo> banks;
  std::vector<uint32_t> ima_pcrs;
  std::chrono::milliseconds interval{1000};
  bool json = false;
  ima::ReaderOptions reader;
};

// Polls until SIGINT or SIGTERM; exit code 1 if a mismatch was seen, 2 if the list could not
// be read, else 0.
int Follow(const FollowOptions& options);

}  // namespace imawatch::cli
