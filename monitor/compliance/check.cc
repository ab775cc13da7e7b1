#include "monitor/compliance/check.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "monitor/appraise/appraiser.h"
#include "monitor/compliance/evaluator.h"
#include "monitor/compliance/evidence.h"
#include "monitor/ima/fields.h"

namespace imawatch::compliance {
namespace {

// The evaluator's digest-allowed checks asked of the appraiser; a digest a trusted key signed
// (seen on a proved ima-sig/evm-sig entry) is allowed for its path like a listed one.
class AppraisalLookup : public DigestLookup {
 public:
  AppraisalLookup(const appraise::Appraiser& appraiser,
                  std::set<std::pair<std::string, std::string>> signed_files)
      : appraiser_(appraiser), signed_(std::move(signed_files)) {}

  DigestVerdict Lookup(std::string_view path, const ima::Digest& digest) const override {
    if (signed_.count({std::string(path), digest.hex()})) {
      return {DigestStatus::kAllowed, "IMA signature verified with a trusted certificate"};
    }
    appraise::Appraisal a = appraiser_.Appraise({.path = path, .file_digest = digest});
    switch (a.verdict) {
      case appraise::Verdict::kAllowed:
        return {DigestStatus::kAllowed, "listed in an allow list"};
      case appraise::Verdict::kChanged:
        return {DigestStatus::kNotListed, "the allow lists know this path with other digests"};
      case appraise::Verdict::kExcluded:
        return {DigestStatus::kNotListed, "excluded from judgement by an allow list"};
      case appraise::Verdict::kUnknown:
      case appraise::Verdict::kViolation:
        break;
    }
    return {DigestStatus::kNotListed, "no allow list knows this path"};
  }

 private:
  const appraise::Appraiser& appraiser_;
  std::set<std::pair<std::string, std::string>> signed_;
};

bool IsModulePath(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t ko = base.rfind(".ko");
  if (ko == std::string_view::npos) return false;
  std::string_view rest = base.substr(ko);
  return rest == ".ko" || rest == ".ko.xz" || rest == ".ko.zst" || rest == ".ko.gz";
}

bool NeedsImaEvidence(const Recommendation& rec) {
  return std::any_of(rec.checks.begin(), rec.checks.end(),
                     [](const Check& c) { return c.kind != CheckKind::kManual; });
}

std::string ShortHex(const ima::Digest& d) { return d.hex().substr(0, 16) + "…"; }

std::string NotVerifiedReason(const ima::VerifyReport& r) {
  if (r.entries == 0) return "the list has no entries";
  std::string why;
  auto add = [&why](const std::string& part) { why += (why.empty() ? "" : "; ") + part; };
  if (r.template_digest_mismatches) {
    add(std::to_string(r.template_digest_mismatches) + " template digests do not match their data");
  }
  if (r.boot_aggregate && r.boot_aggregate->status == ima::BootAggregateCheck::Status::kMismatch) {
    add("boot_aggregate contradicts PCRs 0-9");
  }
  for (const auto& p : r.proofs) {
    if (!p.expected || p.matched) continue;
    add(std::string(ima::Name(p.bank)) + " PCR " + std::to_string(p.pcr) +
        ": no prefix of the list replays to " + ShortHex(*p.expected) + " (full replay " +
        ShortHex(p.computed[0]) + ")");
  }
  if (why.empty()) add("the PCR reading has no value for any PCR the list extends");
  return why;
}

bool BankVerified(const ima::VerifyReport& r, ima::HashAlgo bank) {
  return std::any_of(r.banks.begin(), r.banks.end(), [bank](const ima::BankSummary& b) {
    return b.bank == bank && b.status == ima::BankSummary::Status::kVerified;
  });
}

}  // namespace

Benchmark FilterBenchmark(const Benchmark& benchmark, std::optional<int> max_level,
                          const std::optional<std::string>& profile) {
  Benchmark out = benchmark;
  std::erase_if(out.recommendations, [&](const Recommendation& r) {
    if (max_level && r.level && *r.level > *max_level) return true;
    if (profile && std::find(r.profiles.begin(), r.profiles.end(), *profile) == r.profiles.end()) return true;
    return false;
  });
  return out;
}

bool IsNonCompliant(const RecommendationResult& result) {
  return result.verdict == Verdict::kFail || result.verdict == Verdict::kError;
}

Result<CheckOutcome> RunCheck(Env& env, const Benchmark& full_benchmark, const CheckInputs& in) {
  const Benchmark benchmark = FilterBenchmark(full_benchmark, in.max_level, in.profile);
  ima::VerifyOptions options{
      .banks = {}, .ima_pcrs = in.ima_pcrs, .threads = in.threads, .reader = in.reader};
  auto verified = ima::VerifyMeasurementList(env, in.list_path, in.reading, options);
  if (!verified) return verified.error();

  CheckOutcome out;
  out.verify = std::move(*verified);
  out.verified = out.verify.verified();

  // Per PCR, the proof that covers the longest prefix (sha256 first on ties: the bank named in
  // the evidence).
  std::map<uint32_t, const ima::PcrProof*> best;
  for (const ima::PcrProof& p : out.verify.proofs) {
    if (!p.expected) continue;
    out.proofs.push_back({.bank = p.bank,
                          .pcr = p.pcr,
                          .value = p.expected->hex(),
                          .matched = p.matched,
                          .proved_entries = p.matched ? p.proved_list : 0});
    if (!out.verified || !p.matched || !BankVerified(out.verify, p.bank)) continue;
    auto [it, inserted] = best.emplace(p.pcr, &p);
    if (!inserted && (p.proved_list > it->second->proved_list ||
                      (p.proved_list == it->second->proved_list && p.bank == ima::HashAlgo::kSha256))) {
      it->second = &p;
    }
  }
  uint64_t prefix = 0;
  std::map<uint32_t, std::string> proof_text;
  for (const auto& [pcr, p] : best) {
    prefix = std::max(prefix, p->proved_list);
    proof_text[pcr] = std::string(ima::Name(p->bank)) + " PCR " + std::to_string(pcr) +
                      " replay of entries 0.." + std::to_string(p->proved_list - 1) + " = " +
                      p->expected->hex() + (in.reading_source.empty() ? "" : " (" + in.reading_source + ")");
  }
  out.proved_entries = prefix;

  Evidence evidence;
  evidence.set_measures_module_loads(in.measures_module_loads);
  std::set<std::pair<std::string, std::string>> signed_files;
  appraise::Appraiser appraiser(in.allow_lists, in.keys);
  if (out.verified && prefix > 0) {
    auto opened = ima::OpenMeasurementList(env, in.list_path, in.reader);
    if (!opened) return opened.error();
    ima::BinaryLogReader reader(*opened->file, opened->reader);
    bool done = false;
    while (!done) {
      auto batch = reader.Next();
      if (!batch) return batch.error();
      if (batch->empty()) break;
      for (const ima::EntryView& e : *batch) {
        if (e.index >= prefix) {
          done = true;
          break;
        }
        auto proof = best.find(e.pcr);
        if (proof == best.end() || e.index >= proof->second->proved_list) continue;
        auto digest_field = ima::FileDigestOf(e);
        std::string_view name = ima::FileNameOf(e);
        const bool is_buf = !e.field(ima::FieldId::kBuf).empty();
        appraise::AppraisalInput input{
            .path = name,
            .ima_signature = e.field(ima::FieldId::kSig),
            .violation = e.is_violation(),
            .kind = is_buf ? appraise::NameKind::kImaBuf : appraise::NameKind::kFile};
        if (digest_field && digest_field->algo)
          input.file_digest = ima::Digest(*digest_field->algo, digest_field->digest);
        appraise::Appraisal a = appraiser.Appraise(input);
        switch (a.verdict) {
          case appraise::Verdict::kAllowed:
            ++out.appraisals.allowed;
            break;
          case appraise::Verdict::kUnknown:
            ++out.appraisals.unknown;
            break;
          case appraise::Verdict::kChanged:
            ++out.appraisals.changed;
            break;
          case appraise::Verdict::kExcluded:
            ++out.appraisals.excluded;
            break;
          case appraise::Verdict::kViolation:
            ++out.appraisals.violation;
            break;
        }
        if (is_buf || e.is_violation() || !digest_field || !digest_field->algo) continue;
        if (a.allowed_by == appraise::AllowedBy::kSignature)
          signed_files.emplace(std::string(name), input.file_digest.hex());
        MeasuredFile m{.path = std::string(name),
                       .file_digest = input.file_digest,
                       .template_name = std::string(e.template_name),
                       .entry_index = e.index,
                       .pcr = e.pcr,
                       .proved = true,
                       .bank_proof = proof->second == nullptr ? "" : proof_text[e.pcr]};
        if (auto uid = ima::DecodeUint(e.field(ima::FieldId::kIuid), e.big_endian))
          m.uid = static_cast<uint32_t>(*uid);
        if (auto gid = ima::DecodeUint(e.field(ima::FieldId::kIgid), e.big_endian))
          m.gid = static_cast<uint32_t>(*gid);
        if (auto mode = ima::DecodeUint(e.field(ima::FieldId::kImode), e.big_endian)) {
          m.mode = static_cast<uint16_t>(*mode);
        }
        if (IsModulePath(m.path)) evidence.AddModule(m);
        evidence.AddFile(std::move(m));
      }
    }
  } else {
    out.not_verified_reason = NotVerifiedReason(out.verify);
  }

  AppraisalLookup lookup(appraiser, std::move(signed_files));
  const bool have_lookup = !in.allow_lists.empty() || (in.keys && in.keys->size() > 0);
  Evaluator evaluator(env, in.root, have_lookup ? &lookup : nullptr);
  out.report = evaluator.Evaluate(benchmark, evidence);

  if (!out.verified) MarkListNotVerified(benchmark, out.not_verified_reason, out);
  return out;
}

void MarkListNotVerified(const Benchmark& benchmark, const std::string& why, CheckOutcome& out) {
  out.verified = false;
  out.not_verified_reason = why;
  out.proved_entries = 0;
  const std::string reason = std::string(kListNotVerified) + ": " + why;
  for (RecommendationResult& r : out.report.results) {
    const Recommendation* rec = benchmark.Find(r.id);
    if (!rec || !NeedsImaEvidence(*rec)) continue;
    r.verdict = Verdict::kError;
    r.reason = reason;
    for (CheckResult& c : r.checks) {
      if (c.kind == CheckKind::kManual) continue;
      c.verdict = Verdict::kError;
      c.found.clear();
      c.message = reason;
      c.evidence.clear();
    }
  }
  Score(benchmark, out.report);
}

}  // namespace imawatch::compliance
