#include "monitor/daemon/node_assessment.h"

#include <algorithm>

#include "monitor/compliance/evaluator.h"
#include "monitor/compliance/path_glob.h"

namespace imawatch::daemon {
namespace {

compliance::CapturedEntry Recapture(const compliance::MeasuredFile& m) {
  return compliance::CapturedEntry{.index = m.entry_index,
                                   .pcr = m.pcr,
                                   .template_name = m.template_name,
                                   .path = m.path,
                                   .file_digest = m.file_digest,
                                   .uid = m.uid,
                                   .gid = m.gid,
                                   .mode = m.mode};
}

}  // namespace

NodeAssessment::NodeAssessment(Env& env, std::shared_ptr<const AssessmentInputs> inputs)
    : env_(env), inputs_(std::move(inputs)) {
  BuildIndex();
  Reset();
}

void NodeAssessment::BuildIndex() {
  index_.clear();
  reports_.clear();
  for (const compliance::Benchmark& b : inputs_->benchmarks) {
    std::vector<RecommendationIndex> recs;
    for (const compliance::Recommendation& r : b.recommendations) {
      RecommendationIndex idx;
      for (const compliance::Check& c : r.checks) {
        std::vector<std::string> files = c.files;
        if (c.path_from) files.insert(files.end(), c.path_from->files.begin(), c.path_from->files.end());
        if (c.kind == compliance::CheckKind::kModuleLoaded ||
            c.kind == compliance::CheckKind::kModuleNotLoaded) {
          idx.reads_modules = true;
        }
        for (const std::string& f : files) {
          for (std::string& spelling : compliance::CanonicalSpellings(f))
            idx.patterns.push_back(std::move(spelling));
        }
      }
      recs.push_back(std::move(idx));
    }
    index_.push_back(std::move(recs));
    compliance::Report empty{
        .benchmark_id = b.id, .benchmark_title = b.title, .benchmark_version = b.version};
    reports_.push_back(std::move(empty));
  }
}

void NodeAssessment::MarkAllDirty() {
  dirty_.clear();
  for (const auto& recs : index_) dirty_.emplace_back(recs.size(), true);
}

void NodeAssessment::Reset() {
  builder_ = std::make_unique<compliance::EvidenceBuilder>(inputs_->allow_lists, inputs_->keys,
                                                           inputs_->measures_module_loads);
  drift_.clear();
  signatures_.clear();
  changed_on_disk_.clear();
  BuildIndex();
  MarkAllDirty();
}

void NodeAssessment::SetInputs(std::shared_ptr<const AssessmentInputs> inputs) {
  std::unique_ptr<compliance::EvidenceBuilder> old = std::move(builder_);
  inputs_ = std::move(inputs);
  builder_ = std::make_unique<compliance::EvidenceBuilder>(inputs_->allow_lists, inputs_->keys,
                                                           inputs_->measures_module_loads);
  drift_.clear();
  BuildIndex();
  MarkAllDirty();
  // Entry order is kept: a module and a file at one path keep their relative order.
  const compliance::Evidence& before = old->evidence();
  std::vector<const compliance::MeasuredFile*> modules;
  for (const auto& m : before.modules()) {
    const compliance::MeasuredFile* file = before.Latest(m.path);
    if (!file || file->entry_index != m.entry_index) modules.push_back(&m);
  }
  std::sort(modules.begin(), modules.end(), [](auto* a, auto* b) { return a->entry_index < b->entry_index; });
  auto next_module = modules.begin();
  auto rejudge = [&](const compliance::MeasuredFile& m) {
    compliance::CapturedEntry e = Recapture(m);
    if (auto sig = signatures_.find(m.path); sig != signatures_.end()) e.signature = sig->second;
    Judge(e, builder_->Add(e, m.bank_proof));
  };
  before.ForEachFile([&](const compliance::MeasuredFile& file) {
    for (; next_module != modules.end() && (*next_module)->entry_index < file.entry_index; ++next_module)
      rejudge(**next_module);
    rejudge(file);
  });
  for (; next_module != modules.end(); ++next_module) rejudge(**next_module);
}

bool NodeAssessment::MarkReading(std::string_view path, bool is_module) {
  bool read = false;
  for (size_t b = 0; b < index_.size(); ++b) {
    for (size_t r = 0; r < index_[b].size(); ++r) {
      const RecommendationIndex& idx = index_[b][r];
      auto matches = [&](const std::string& p) { return compliance::GlobMatch(p, path); };
      bool named = std::any_of(idx.patterns.begin(), idx.patterns.end(), matches);
      bool looked_up = std::any_of(idx.looked_up.begin(), idx.looked_up.end(), matches);
      if (named || looked_up || (is_module && idx.reads_modules)) dirty_[b][r] = true;
      read = read || named || (is_module && idx.reads_modules);
    }
  }
  return read;
}

void NodeAssessment::Judge(const compliance::CapturedEntry& e, const appraise::Appraisal& a) {
  if (e.is_buf || e.violation || !e.file_digest) return;
  // The boot_aggregate is judged against PCRs 0-9 by the prover, not by allow lists.
  if (e.index == 0 && e.path == "boot_aggregate") return;
  const bool judged = !inputs_->allow_lists.empty() || (inputs_->keys && inputs_->keys->size() > 0);
  const bool drifted =
      judged && (a.verdict == appraise::Verdict::kChanged || a.verdict == appraise::Verdict::kUnknown);
  if (!drifted) {
    drift_.erase(e.path);
    return;
  }
  drift_[e.path] = Drift{.path = e.path,
                         .digest = std::string(ima::Name(e.file_digest->algo)) + ":" + e.file_digest->hex(),
                         .template_name = e.template_name,
                         .entry_index = e.index,
                         .appraisal = std::string(appraise::VerdictName(a.verdict))};
}

bool NodeAssessment::AddProved(const compliance::CapturedEntry& e,
                               std::shared_ptr<const std::string> bank_proof) {
  appraise::Appraisal a = builder_->Add(e, std::move(bank_proof));
  Judge(e, a);
  if (e.is_buf || e.violation || !e.file_digest) return false;
  if (e.signature.empty()) {
    signatures_.erase(e.path);
  } else {
    signatures_[e.path] = e.signature;
  }
  changed_on_disk_.erase(e.path);
  return MarkReading(e.path, compliance::IsModulePath(e.path)) || drift_.count(e.path) > 0;
}

void NodeAssessment::MarkChangedOnDisk(std::string_view path) {
  changed_on_disk_.insert(std::string(path));
  MarkReading(path, false);
}

std::vector<size_t> NodeAssessment::Evaluate() {
  std::vector<size_t> evaluated;
  compliance::Evaluator evaluator(env_, inputs_->root, builder_->lookup());
  for (size_t b = 0; b < index_.size(); ++b) {
    const compliance::Benchmark& full = inputs_->benchmarks[b];
    if (std::none_of(dirty_[b].begin(), dirty_[b].end(), [](bool d) { return d; })) continue;
    // One recommendation at a time, recording what each looks up.
    compliance::Report fresh;
    compliance::Benchmark part = full;
    std::vector<std::string> lookups;
    builder_->evidence().set_lookup_log(&lookups);
    for (size_t r = 0; r < full.recommendations.size(); ++r) {
      if (!dirty_[b][r]) continue;
      part.recommendations = {full.recommendations[r]};
      lookups.clear();
      compliance::Report one = evaluator.Evaluate(part, builder_->evidence());
      std::vector<std::string>& looked_up = index_[b][r].looked_up;
      looked_up.clear();
      for (const std::string& l : lookups) {
        for (std::string& spelling : compliance::CanonicalSpellings(l))
          looked_up.push_back(std::move(spelling));
      }
      std::sort(looked_up.begin(), looked_up.end());
      looked_up.erase(std::unique(looked_up.begin(), looked_up.end()), looked_up.end());
      for (auto& result : one.results) fresh.results.push_back(std::move(result));
      ++evaluations_;
    }
    builder_->evidence().set_lookup_log(nullptr);
    compliance::Report& report = reports_[b];
    if (report.results.size() != full.recommendations.size()) {
      report.results.clear();
      for (const auto& rec : full.recommendations) {
        compliance::RecommendationResult placeholder{
            .id = rec.id, .title = rec.title, .section = rec.section};
        report.results.push_back(std::move(placeholder));
      }
    }
    for (compliance::RecommendationResult& result : fresh.results) {
      for (size_t r = 0; r < full.recommendations.size(); ++r) {
        if (full.recommendations[r].id == result.id) {
          report.results[r] = std::move(result);
          break;
        }
      }
    }
    compliance::Score(full, report);
    std::fill(dirty_[b].begin(), dirty_[b].end(), false);
    evaluated.push_back(b);
  }
  return evaluated;
}

std::vector<std::pair<std::string, std::string>> NodeAssessment::RecommendationsReading(
    std::string_view path) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t b = 0; b < index_.size(); ++b) {
    for (size_t r = 0; r < index_[b].size(); ++r) {
      const auto& patterns = index_[b][r].patterns;
      if (std::any_of(patterns.begin(), patterns.end(),
                      [&](const std::string& p) { return compliance::GlobMatch(p, path); })) {
        out.emplace_back(inputs_->benchmarks[b].id, inputs_->benchmarks[b].recommendations[r].id);
      }
    }
  }
  return out;
}

std::vector<std::string> NodeAssessment::NamedPaths() const {
  std::set<std::string> paths;
  for (const auto& recs : index_) {
    for (const auto& idx : recs) {
      for (const std::string& p : idx.patterns) {
        if (!compliance::IsGlob(p)) paths.insert(p);
      }
    }
  }
  return {paths.begin(), paths.end()};
}

}  // namespace imawatch::daemon
