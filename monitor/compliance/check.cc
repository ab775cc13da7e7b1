#include "monitor/compliance/check.h"

#include <algorithm>
#include <map>
#include <utility>

#include "monitor/compliance/evaluator.h"
#include "monitor/compliance/evidence_builder.h"
#include "monitor/ima/fields.h"

namespace imawatch::compliance {
namespace {

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
  std::map<uint32_t, std::shared_ptr<const std::string>> proof_text;
  for (const auto& [pcr, p] : best) {
    prefix = std::max(prefix, p->proved_list);
    proof_text[pcr] = std::make_shared<const std::string>(
        std::string(ima::Name(p->bank)) + " PCR " + std::to_string(pcr) + " replay of entries 0.." +
        std::to_string(p->proved_list - 1) + " = " + p->expected->hex() +
        (in.reading_source.empty() ? "" : " (" + in.reading_source + ")"));
  }
  out.proved_entries = prefix;

  EvidenceBuilder builder(in.allow_lists, in.keys, in.measures_module_loads);
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
        builder.Add(Capture(e), proof_text[e.pcr]);
      }
    }
  } else {
    out.not_verified_reason = NotVerifiedReason(out.verify);
  }
  out.appraisals = builder.counts();

  Evaluator evaluator(env, in.root, builder.lookup());
  out.report = evaluator.Evaluate(benchmark, builder.evidence());

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
