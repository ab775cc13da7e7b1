#include "monitor/ima/live_prover.h"

#include <algorithm>
#include <cstring>
#include <thread>

#include "monitor/ima/template_hash.h"
#include "monitor/ima/verify.h"

namespace imawatch::ima {
namespace {

constexpr std::chrono::milliseconds kRetryInterval{20};

}  // namespace

struct LiveProver::Evaluation {
  bool ok = true;
  std::string reason;
  uint64_t proved = 0;
};

LiveProver::LiveProver(std::unique_ptr<LogTail> tail, PcrReadFunction read_pcrs, LiveOptions options)
    : tail_(std::move(tail)), read_pcrs_(std::move(read_pcrs)), options_(std::move(options)) {}

LiveProver::~LiveProver() = default;

void LiveProver::ResetEpoch() {
  replay_ = banks_.empty() ? nullptr : std::make_unique<Replay>(Replay::Options{banks_, true});
  untrusted_ = false;
  proved_ = 0;
  entries_ = 0;
  pcrs_used_.clear();
  proved_values_.clear();
  proved_lists_.clear();
  entry_problem_.reset();
}

std::vector<PcrProofValue> LiveProver::proof_values() const {
  std::vector<PcrProofValue> out;
  for (const auto& [key, value] : proved_values_) {
    auto list = proved_lists_.find(key);
    out.push_back({.bank = key.first,
                   .pcr = key.second,
                   .value = value,
                   .proved_list = list == proved_lists_.end() ? 0 : list->second});
  }
  return out;
}

void LiveProver::MarkUntrusted(PollResult& r, std::string reason) {
  r.mismatch = true;
  r.mismatch_reason = std::move(reason);
  r.untrusted_from = proved_;
  untrusted_ = true;
  rewrite_undecided_ = false;
}

Status LiveProver::CatchUp(PollResult& r) {
  if (!replay_) return {};
  std::vector<EntryDigests> digests;
  for (;;) {
    auto batch = tail_->Next(options_.batch_size);
    if (!batch) return batch.error();
    if (batch->empty()) return {};
    entries_ += batch->size();
    r.read_now += batch->size();
    if (untrusted_) continue;
    const HashAlgo list_bank = ListBank(tail_->path(), tail_->template_digest_size());
    std::vector<HashAlgo> algos = replay_->digest_algos();
    if (std::find(algos.begin(), algos.end(), list_bank) == algos.end()) algos.push_back(list_bank);
    digests.resize(batch->size());
    for (size_t i = 0; i < batch->size(); ++i) {
      const EntryView& e = (*batch)[i];
      for (HashAlgo a : algos) ComputeTemplateDigest(a, e, digests[i].of(a));
      if (!e.is_violation() && !entry_problem_ &&
          std::memcmp(e.template_digest.data(), digests[i].of(list_bank), e.template_digest.size()) != 0) {
        entry_problem_ = "entry " + std::to_string(e.index) +
                         ": the logged template digest is not the hash of its template data (edited entry)";
        entry_problem_index_ = e.index;
      }
      if (std::find(pcrs_used_.begin(), pcrs_used_.end(), e.pcr) == pcrs_used_.end())
        pcrs_used_.push_back(e.pcr);
      replay_->Extend(e, digests[i]);
      if (options_.on_entry) options_.on_entry(e);
    }
  }
}

// Two readings: the PCRs IMA extends, in as few TPM commands as possible (one for PCR 10 in
// four banks: a single TPM2_PCR_Read is atomic, so an extend cannot land between banks), then
// the firmware PCRs 0-9 for the boot_aggregate, which do not change while the TPM runs.
Result<PcrValues> LiveProver::Read(std::vector<uint32_t>& indexes) {
  indexes = options_.ima_pcrs;
  for (uint32_t i : pcrs_used_) indexes.push_back(i);
  std::sort(indexes.begin(), indexes.end());
  indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
  auto reading = read_pcrs_(indexes);
  if (!reading) return reading.error();
  std::vector<uint32_t> firmware;
  for (uint32_t i = 0; i <= 9; ++i) {
    if (!std::binary_search(indexes.begin(), indexes.end(), i)) firmware.push_back(i);
  }
  auto boot = read_pcrs_(firmware);
  if (!boot) return boot.error();
  reading->AddMissing(*boot);
  for (uint32_t i : firmware) indexes.push_back(i);
  for (HashAlgo b : banks_) {
    for (uint32_t i : indexes) {
      if (!reading->Get(b, i)) {
        return Error(ErrorKind::kTpm,
                     "the reading has no " + std::string(Name(b)) + " PCR " + std::to_string(i));
      }
    }
  }
  return reading;
}

LiveProver::Evaluation LiveProver::Evaluate(const PcrValues& reading) {
  Evaluation ev;
  uint64_t bound = entries_;
  for (const PcrProof& p : replay_->Proofs()) {
    const auto key = std::make_pair(p.bank, p.pcr);
    const std::string where = std::string(Name(p.bank)) + " PCR " + std::to_string(p.pcr);
    if (!p.expected) {  // a PCR first used by entries read after the reading: wait for the next
      auto at = proved_lists_.find(key);
      bound = std::min(bound, at == proved_lists_.end() ? 0 : at->second);
      continue;
    }
    if (p.matched) {
      proved_values_[key] = *p.expected;
      proved_lists_[key] = p.proved_list;
      if (p.proved < p.entries) bound = std::min(bound, p.proved_list);
      continue;
    }
    // Still the value of the last proof: the entries after it are not extended yet.
    auto last = proved_values_.find(key);
    if (last != proved_values_.end() && last->second == *p.expected) {
      bound = std::min(bound, proved_lists_[key]);
      continue;
    }
    ev.ok = false;
    ev.reason = where + ": the TPM holds " + p.expected->hex() + ", which no prefix of the list reproduces";
    return ev;
  }
  for (HashAlgo b : banks_) {
    for (uint32_t pcr : options_.ima_pcrs) {
      if (std::find(pcrs_used_.begin(), pcrs_used_.end(), pcr) != pcrs_used_.end()) continue;
      const Digest* value = reading.Get(b, pcr);
      if (entries_ > 0 && value && *value != Digest::Zero(b)) {
        ev.ok = false;
        ev.reason = std::string(Name(b)) + " PCR " + std::to_string(pcr) +
                    " is extended but the list has no entry for it";
        return ev;
      }
    }
  }
  ev.proved = std::max(proved_, bound);
  return ev;
}

Result<bool> LiveProver::SyncList(PollResult& r) {
  auto sync = tail_->Sync();
  if (!sync) return sync.error();
  if (sync->change == LogTail::Change::kNewEpoch) {
    ResetEpoch();
    rewrite_undecided_ = false;
    r.new_epoch = true;
    r.epoch_reason = sync->reason;
  } else if (sync->change == LogTail::Change::kRewritten) {
    if (untrusted_) {
      // Only a list that is visibly new (shorter, another boot_aggregate) ends an untrusted
      // epoch: a tampered list put back as it was is still the list that failed.
      entries_ = 0;
    } else {
      ResetEpoch();
      rewrite_undecided_ = true;
      rewrite_reason_ = sync->reason;
    }
  }
  return sync->change != LogTail::Change::kNone;
}

Result<PollResult> LiveProver::Poll() {
  PollResult r;
  if (auto changed = SyncList(r); !changed) return changed.error();
  auto fill = [&]() -> Result<PollResult> {
    r.epoch = tail_->epoch();
    r.boot_aggregate = tail_->boot_aggregate();
    r.entries = entries_;
    r.proved = proved_;
    r.pending = untrusted_ ? 0 : entries_ - proved_;
    r.untrusted = untrusted_;
    r.banks = banks_;
    return r;
  };
  auto unavailable = [&](const Error& e) {
    r.tpm_unavailable = true;
    r.tpm_error = e.ToString();
    return fill();
  };

  std::vector<uint32_t> indexes;
  if (!replay_) {
    auto first = Read(indexes);
    if (!first) return unavailable(first.error());
    if (options_.banks.empty()) {
      banks_ = first->Banks();
    } else {
      banks_ = options_.banks;
      for (HashAlgo b : banks_) {
        if (first->Indexes(b).empty())
          return unavailable(Error(ErrorKind::kTpm, "the TPM has no " + std::string(Name(b)) + " bank"));
      }
    }
    ResetEpoch();
    // This reading is older than every entry about to be read, so it proves some prefix of
    // them: knowing it while replaying lets the replay drop the values it will never need,
    // instead of keeping one per entry per variant of a long list until the next reading.
    replay_->SetReading(*first);
  }
  if (untrusted_) {
    if (Status s = CatchUp(r); !s) return s.error();
    return fill();
  }
  if (Status s = CatchUp(r); !s) return s.error();
  const uint64_t before_reading = entries_;
  const auto give_up = std::chrono::steady_clock::now() + options_.extend_grace;
  for (;;) {
    auto reading = Read(indexes);
    if (!reading) return unavailable(reading.error());
    if (Status s = CatchUp(r); !s) return s.error();
    replay_->SetReading(*reading);
    Evaluation ev = Evaluate(*reading);

    std::optional<std::string> problem;
    if (!ev.ok) problem = ev.reason;
    if (ev.ok && tail_->boot_aggregate()) {
      const Digest& logged = *tail_->boot_aggregate();
      BootAggregateCheck check{
          .status = BootAggregateCheck::Status::kNoTpmAtBoot, .bank = logged.algo, .logged = logged.hex()};
      if (logged != Digest::Zero(logged.algo)) {
        auto computed = ComputeBootAggregate(logged.algo, *reading);
        check.status = !computed             ? BootAggregateCheck::Status::kPcrsUnavailable
                       : *computed == logged ? BootAggregateCheck::Status::kMatch
                                             : BootAggregateCheck::Status::kMismatch;
        if (computed) check.computed = computed->hex();
      }
      if (check.status == BootAggregateCheck::Status::kMismatch) {
        problem = "boot_aggregate " + check.logged + " does not match the TPM's PCRs 0-9 (" + check.computed +
                  "): the TPM was reset under this list, or the entry is forged";
      }
      r.boot_aggregate_check = check;
    }
    uint64_t proved = ev.ok ? ev.proved : proved_;
    if (entry_problem_) {
      proved = std::min(proved, entry_problem_index_);
      if (!problem) problem = entry_problem_;
    }
    if (!problem && proved < before_reading && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(kRetryInterval);
      continue;
    }
    if (proved > proved_) {
      r.newly_proved = std::make_pair(proved_, proved - 1);
      proved_ = proved;
    }
    if (!problem && proved_ < before_reading) {
      problem = "entries " + std::to_string(proved_) + ".." + std::to_string(before_reading - 1) +
                " were in the list before the PCRs were read, and readings for " +
                std::to_string(options_.extend_grace.count()) +
                " ms after do not cover them: appended without extending the TPM";
    }
    if (problem && !rewrite_undecided_) {
      // A reboot may have replaced the list while the PCRs were read: that reading belongs
      // to the new boot and says nothing against the old list. The next poll proves the new one.
      auto changed = SyncList(r);
      if (!changed) return changed.error();
      if (*changed) return fill();
    }
    if (problem) {
      if (rewrite_undecided_) problem = rewrite_reason_ + "; " + *problem;
      MarkUntrusted(r, *problem);
    } else if (rewrite_undecided_ && proved_ > 0) {
      tail_->BeginEpoch();
      rewrite_undecided_ = false;
      r.new_epoch = true;
      r.epoch_reason = rewrite_reason_ + "; the TPM proves the new list from its first entry: a new boot";
    }
    break;
  }
  return fill();
}

}  // namespace imawatch::ima
