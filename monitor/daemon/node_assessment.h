// The daemon's running judgement of one boot epoch: proved entries are appraised as the TPM
// proves them, and only the recommendations that read a path a new entry measured (or a file
// that changed on disk, or every one after a reload) are evaluated again.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "monitor/appraise/allow_list.h"
#include "monitor/appraise/trusted_keys.h"
#include "monitor/base/env.h"
#include "monitor/compliance/benchmark.h"
#include "monitor/compliance/evidence_builder.h"
#include "monitor/compliance/verdict.h"

namespace imawatch::daemon {

// What judging needs, replaced whole on reload.
struct AssessmentInputs {
  std::vector<std::shared_ptr<const appraise::AllowList>> allow_lists;
  std::shared_ptr<const appraise::TrustedKeys> keys;
  std::vector<compliance::Benchmark> benchmarks;  // level/profile filters applied
  std::string root = "/";
  bool measures_module_loads = false;
};

// A path whose latest proved measurement the allow lists do not accept.
struct Drift {
  std::string path;
  std::string digest;  // "sha256:<hex>"
  std::string template_name;
  uint64_t entry_index = 0;
  std::string appraisal;  // "changed" or "unknown"
};

class NodeAssessment {
 public:
  NodeAssessment(Env& env, std::shared_ptr<const AssessmentInputs> inputs);

  // A new boot epoch: nothing measured yet.
  void Reset();
  // New allow lists or benchmarks: the latest measurement of every path is judged again and
  // every recommendation evaluated again.
  void SetInputs(std::shared_ptr<const AssessmentInputs> inputs);
  const AssessmentInputs& inputs() const { return *inputs_; }

  // Appraises a proved entry (bank_proof: how the TPM proved it) and keeps it as evidence.
  // Returns whether a benchmark reads its path (it is then evidence worth storing).
  bool AddProved(const compliance::CapturedEntry& entry, std::shared_ptr<const std::string> bank_proof);
  // A file the benchmarks read changed on disk: its recommendations are evaluated again (the
  // content no longer matches the measurement until IMA measures it again).
  void MarkChangedOnDisk(std::string_view path);
  const std::set<std::string>& changed_on_disk() const { return changed_on_disk_; }

  // Evaluates the recommendations that need it; returns the indexes of benchmarks evaluated.
  std::vector<size_t> Evaluate();
  size_t benchmark_count() const { return reports_.size(); }
  const compliance::Report& report(size_t benchmark) const { return reports_[benchmark]; }
  uint64_t evaluations() const { return evaluations_; }  // recommendations evaluated so far

  const std::map<std::string, Drift>& drift() const { return drift_; }
  const compliance::AppraisalCounts& counts() const { return builder_->counts(); }
  // (benchmark id, recommendation id) of the recommendations that read path.
  std::vector<std::pair<std::string, std::string>> RecommendationsReading(std::string_view path) const;
  // Literal paths the benchmarks name (files to watch for changes on disk).
  std::vector<std::string> NamedPaths() const;

 private:
  struct RecommendationIndex {
    std::vector<std::string> patterns;  // every canonical spelling of every file a check names
    // Paths and patterns its last evaluation looked up (files named by settings, such as the
    // kubelet's --config YAML, are known only then), in every canonical spelling.
    std::vector<std::string> looked_up;
    bool reads_modules = false;
  };
  void BuildIndex();
  void MarkAllDirty();
  bool MarkReading(std::string_view path, bool is_module);
  void Judge(const compliance::CapturedEntry& entry, const appraise::Appraisal& appraisal);

  Env& env_;
  std::shared_ptr<const AssessmentInputs> inputs_;
  std::unique_ptr<compliance::EvidenceBuilder> builder_;
  std::vector<std::vector<RecommendationIndex>> index_;  // [benchmark][recommendation]
  std::vector<std::vector<bool>> dirty_;
  std::vector<compliance::Report> reports_;
  // ima-sig signatures of the latest entry of each signed path (the evidence keeps the rest of
  // what judging again on reload needs).
  std::map<std::string, std::vector<uint8_t>, std::less<>> signatures_;
  std::map<std::string, Drift> drift_;
  std::set<std::string> changed_on_disk_;
  uint64_t evaluations_ = 0;
};

}  // namespace imawatch::daemon
