// The whole path from a measurement list to benchmark verdicts, as `imawatch check` and the
// daemon run it: prove the list against a PCR reading, appraise the proved entries against allow
// lists and signing keys, and evaluate a benchmark on them. Entries the reading does not prove
// never become evidence: a list that does not verify leaves every recommendation that needs IMA
// evidence in `error` ("measurement list not verified"), never `pass`.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "monitor/appraise/allow_list.h"
#include "monitor/appraise/trusted_keys.h"
#include "monitor/base/env.h"
#include "monitor/base/result.h"
#include "monitor/compliance/benchmark.h"
#include "monitor/compliance/evidence_builder.h"
#include "monitor/compliance/verdict.h"
#include "monitor/ima/binary_reader.h"
#include "monitor/ima/pcr_values.h"
#include "monitor/ima/verify.h"

namespace imawatch::compliance {

inline constexpr const char* kListNotVerified = "measurement list not verified";

struct CheckInputs {
  std::string list_path;       // binary or ascii measurement list
  ima::PcrValues reading;      // read before the list (a growing list's tail stays unproved)
  std::string reading_source;  // for the proof text: "pcrs.txt", "TPM swtpm:..."
  ima::ReaderOptions reader;
  std::vector<uint32_t> ima_pcrs = {10};
  std::vector<std::shared_ptr<const appraise::AllowList>> allow_lists;
  std::shared_ptr<const appraise::TrustedKeys> keys;  // may be null: no signature appraisal
  std::string root = "/";                             // where the node's files are read
  // The IMA policy in effect measures MODULE_CHECK: only then does a module's missing entry
  // mean it was not loaded.
  bool measures_module_loads = false;
  // Recommendations kept: level <= max_level (CIS Level 2 includes Level 1), listing profile.
  std::optional<int> max_level;
  std::optional<std::string> profile;
  unsigned threads = 0;
};

// One PCR whose replay the verdicts rest on.
struct PcrProofSummary {
  ima::HashAlgo bank = ima::HashAlgo::kSha256;
  uint32_t pcr = 10;
  std::string value;  // the reading, hex
  bool matched = false;
  uint64_t proved_entries = 0;  // length of the list prefix the reading proves
};

struct CheckOutcome {
  ima::VerifyReport verify;
  bool verified = false;
  uint64_t proved_entries = 0;      // entries used as evidence: the proved prefix
  std::string not_verified_reason;  // empty when verified
  std::vector<PcrProofSummary> proofs;
  AppraisalCounts appraisals;
  Report report;
};

// Benchmark restricted to the recommendations the level/profile filters keep; sections stay.
Benchmark FilterBenchmark(const Benchmark& benchmark, std::optional<int> max_level,
                          const std::optional<std::string>& profile);

// Errors are input errors (an unreadable or malformed list); a list that reads but does not
// verify is an outcome (verified = false), not an error.
Result<CheckOutcome> RunCheck(Env& env, const Benchmark& benchmark, const CheckInputs& inputs);

// Withdraws the evidence of an outcome found untrustworthy after the fact (e.g. entries the TPM
// never received, seen by a later reading): every recommendation that needs IMA evidence becomes
// `error` with "measurement list not verified: <why>"; scores are recomputed. benchmark: the
// one evaluated (FilterBenchmark of the original with the same filters).
void MarkListNotVerified(const Benchmark& benchmark, const std::string& why, CheckOutcome& out);

// Whether a recommendation with this result is compliant: only pass. fail and error (evidence
// missing, drifted or unproved) are not; manual and not-applicable are not scored.
bool IsNonCompliant(const RecommendationResult& result);

}  // namespace imawatch::compliance
