// How the evaluator asks whether a measured digest is known good, without knowing where allow
// lists come from. The appraisal side implements it over its allow-list index; the module order
// (appraise before compliance) means that adapter lives in compliance or later (daemon, cli).
#pragma once

#include <string>
#include <string_view>

#include "monitor/ima/digest.h"

namespace imawatch::compliance {

enum class DigestStatus {
  kAllowed,    // the digest is listed for this path (or for any path, if lists are path-free)
  kNotListed,  // no allow list knows this digest
  kDenied,     // a list names it explicitly as bad (revoked, known-vulnerable)
};

struct DigestVerdict {
  DigestStatus status = DigestStatus::kNotListed;
  std::string detail;  // which list or entry decided, for the report
};

class DigestLookup {
 public:
  virtual ~DigestLookup() = default;
  virtual DigestVerdict Lookup(std::string_view path, const ima::Digest& digest) const = 0;
};

}  // namespace imawatch::compliance
