// Decides a benchmark's recommendations from proved IMA evidence. Settings are read from files
// whose current content hashes to the latest proved measurement (attested content) under the
// node's root; owner and mode come from evm-sig template fields; nothing is guessed: missing
// evidence is an error, evidence the template cannot carry is manual.
#pragma once

#include <string>

#include "monitor/base/env.h"
#include "monitor/compliance/benchmark.h"
#include "monitor/compliance/digest_lookup.h"
#include "monitor/compliance/evidence.h"
#include "monitor/compliance/verdict.h"

namespace imawatch::compliance {

class Evaluator {
 public:
  // root: where the node's file system is ("/" on the node, a copied rootfs in tests); lookup
  // answers digest-allowed checks (without one they are errors).
  Evaluator(Env& env, std::string root, const DigestLookup* lookup = nullptr);

  Report Evaluate(const Benchmark& benchmark, const Evidence& evidence) const;

 private:
  Env& env_;
  std::string root_;
  const DigestLookup* lookup_;
};

// How a recommendation's checks combine: with "all", any fail fails, then any error, then any
// manual, then all not-applicable; with "any", any pass passes, then error, manual, fail.
Verdict CombineVerdicts(Logic logic, const std::vector<CheckResult>& checks);

}  // namespace imawatch::compliance
