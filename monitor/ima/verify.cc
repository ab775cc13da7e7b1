#include "monitor/ima/verify.h"

#include <algorithm>
#include <cstring>

#include "monitor/base/worker_pool.h"
#include "monitor/ima/ascii_reader.h"
#include "monitor/ima/template_hash.h"

namespace imawatch::ima {
namespace {

constexpr uint64_t kMaxAsciiList = 1ull << 30;
constexpr size_t kMismatchExamples = 20;

}  // namespace

std::string_view Name(BankSummary::Status s) {
  switch (s) {
    case BankSummary::Status::kVerified:
      return "verified";
    case BankSummary::Status::kMismatch:
      return "mismatch";
    case BankSummary::Status::kNoReading:
      return "no-reading";
  }
  return "?";
}

bool VerifyReport::verified() const {
  if (entries == 0 || template_digest_mismatches != 0) return false;
  if (boot_aggregate && boot_aggregate->status == BootAggregateCheck::Status::kMismatch) return false;
  bool any = false;
  for (const auto& b : banks) {
    if (b.status == BankSummary::Status::kMismatch) return false;
    any |= b.status == BankSummary::Status::kVerified;
  }
  return any;
}

uint64_t VerifyReport::proved_entries() const {
  uint64_t best = 0;
  for (const auto& b : banks) {
    if (b.status == BankSummary::Status::kVerified) best = std::max(best, b.proved);
  }
  return best;
}

HashAlgo ListBank(const std::string& path, uint32_t template_digest_size) {
  size_t at = path.rfind('_');
  if (at != std::string::npos) {
    std::string suffix = path.substr(at + 1);
    if (suffix.ends_with(".log")) suffix.resize(suffix.size() - 4);
    if (auto algo = HashAlgoFromName(suffix); algo && DigestSize(*algo) == template_digest_size) return *algo;
  }
  switch (template_digest_size) {
    case 32:
      return HashAlgo::kSha256;
    case 48:
      return HashAlgo::kSha384;
    case 64:
      return HashAlgo::kSha512;
    default:
      return HashAlgo::kSha1;
  }
}

Result<OpenedList> OpenMeasurementList(Env& env, const std::string& path, ReaderOptions options) {
  OpenedList list;
  list.reader = options;
  auto file = env.OpenForRead(path);
  if (!file) return file.error();
  uint8_t head[1] = {};
  auto n = (*file)->ReadAt(0, head);
  if (!n) return n.error();
  if (*n == 0 || !LooksLikeAsciiList(head)) {
    auto status = env.StatNoFollow(path);
    list.rewindable = status.ok() && status->type == FileType::kRegular;
    list.file = std::move(*file);
    return list;
  }
  auto text = env.ReadFile(path, kMaxAsciiList);
  if (!text) return text.error();
  auto converted = AsciiToBinary(*text, path);
  if (!converted) return converted.error();
  list.ascii = true;
  list.converted = std::move(converted->binary);
  list.reader.template_digest_size = converted->template_digest_size;
  list.reader.byte_order = ByteOrder::kLittle;
  list.file = NewMemoryFile(path, list.converted);
  return list;
}

Result<VerifyReport> VerifyMeasurementList(Env& env, const std::string& path, const PcrValues& reading,
                                           const VerifyOptions& options) {
  auto opened = OpenMeasurementList(env, path, options.reader);
  if (!opened) return opened.error();
  return VerifyOpenedList(*opened, reading, options);
}

namespace {

Result<VerifyReport> VerifyPass(OpenedList& list, const PcrValues& reading, const VerifyOptions& options,
                                const std::vector<HashAlgo>& banks, bool per_bank_only) {
  const std::string& path = list.file->name();
  BinaryLogReader reader(*list.file, list.reader);
  Replay replay({.banks = banks, .per_bank_only = per_bank_only});
  replay.SetReading(reading);

  VerifyReport report;
  report.source = path;
  report.ascii_input = list.ascii;
  std::vector<HashAlgo> algos = replay.digest_algos();
  std::vector<EntryDigests> digests(options.batch_size);
  std::vector<std::pair<const TemplateDescriptor*, uint64_t>> template_counts;
  WorkerPool pool(options.threads);
  bool list_bank_known = false;

  for (;;) {
    auto batch = reader.Next(options.batch_size);
    if (!batch) return batch.error();
    if (batch->empty()) break;
    if (!list_bank_known) {
      report.list_bank = ListBank(path, reader.template_digest_size());
      if (std::find(algos.begin(), algos.end(), report.list_bank) == algos.end())
        algos.push_back(report.list_bank);
      list_bank_known = true;
    }
    const auto& entries = *batch;
    pool.ParallelFor(entries.size(), [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        for (HashAlgo a : algos) ComputeTemplateDigest(a, entries[i], digests[i].of(a));
      }
    });
    for (size_t i = 0; i < entries.size(); ++i) {
      const EntryView& e = entries[i];
      auto counted = std::find_if(template_counts.begin(), template_counts.end(),
                                  [&](const auto& tc) { return tc.first == e.descriptor; });
      if (counted == template_counts.end()) {
        template_counts.push_back({e.descriptor, 1});
      } else {
        ++counted->second;
      }
      if (e.index == 0) report.boot_aggregate = CheckBootAggregate(e, reading);
      if (e.is_violation()) {
        ++report.violations;
      } else if (std::memcmp(e.template_digest.data(), digests[i].of(report.list_bank),
                             e.template_digest.size()) != 0) {
        if (report.template_digest_mismatches++ < kMismatchExamples) {
          report.template_digest_mismatch_examples.push_back(e.index);
        }
      }
      replay.Extend(e, digests[i]);
    }
    report.entries += entries.size();
  }
  if (Status s = reader.CheckComplete(); !s) return s.error();

  for (const auto& [desc, count] : template_counts) report.templates[desc->name] += count;
  report.proofs = replay.Proofs();
  for (HashAlgo b : banks) {
    for (uint32_t pcr : options.ima_pcrs) {
      const Digest* value = reading.Get(b, pcr);
      bool replayed = std::any_of(report.proofs.begin(), report.proofs.end(),
                                  [&](const PcrProof& p) { return p.bank == b && p.pcr == pcr; });
      if (replayed || !value || *value == Digest::Zero(b)) continue;
      PcrProof empty{.bank = b, .pcr = pcr, .expected = *value};
      empty.variants = b == HashAlgo::kSha1 ? 1 : kExtendVariants;
      empty.computed.fill(Digest::Zero(b));
      report.proofs.push_back(empty);
    }
  }
  for (HashAlgo b : banks) {
    BankSummary summary{.bank = b};
    bool any_reading = false, all_matched = true;
    for (const auto& p : report.proofs) {
      if (p.bank != b) continue;
      summary.proved += p.proved;
      summary.not_covered += p.entries - p.proved;
      if (!p.expected) continue;
      any_reading = true;
      all_matched &= p.matched;
      if (p.matched && (!summary.variant || p.pcr == 10)) summary.variant = p.variant;
    }
    summary.status = !any_reading  ? BankSummary::Status::kNoReading
                     : all_matched ? BankSummary::Status::kVerified
                                   : BankSummary::Status::kMismatch;
    report.banks.push_back(summary);
  }
  return report;
}

}  // namespace

Result<VerifyReport> VerifyOpenedList(OpenedList& list, const PcrValues& reading,
                                      const VerifyOptions& options) {
  std::vector<HashAlgo> banks = options.banks.empty() ? reading.Banks() : options.banks;
  for (HashAlgo b : banks) {
    if (reading.Indexes(b).empty()) {
      return Error(ErrorKind::kNotFound, "the PCR reading has no " + std::string(Name(b)) + " values");
    }
  }
  if (!list.rewindable) return VerifyPass(list, reading, options, banks, false);
  auto report = VerifyPass(list, reading, options, banks, true);
  if (!report) return report;
  bool other_variants_may_match = std::any_of(report->banks.begin(), report->banks.end(), [](const auto& b) {
    return b.bank != HashAlgo::kSha1 && b.status == BankSummary::Status::kMismatch;
  });
  return other_variants_may_match ? VerifyPass(list, reading, options, banks, false) : report;
}

}  // namespace imawatch::ima
