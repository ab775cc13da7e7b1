#include "monitor/ima/boot_aggregate.h"

#include <algorithm>
#include <vector>

#include "monitor/ima/fields.h"
#include "monitor/ima/hash.h"

namespace imawatch::ima {

std::string_view Name(BootAggregateCheck::Status s) {
  switch (s) {
    case BootAggregateCheck::Status::kMatch:
      return "match";
    case BootAggregateCheck::Status::kMismatch:
      return "mismatch";
    case BootAggregateCheck::Status::kPcrsUnavailable:
      return "pcrs-unavailable";
    case BootAggregateCheck::Status::kNoTpmAtBoot:
      return "no-tpm-at-boot";
    case BootAggregateCheck::Status::kNotFirst:
      return "not-boot-aggregate";
  }
  return "?";
}

Result<Digest> ComputeBootAggregate(HashAlgo bank, const PcrValues& pcrs) {
  const uint32_t last = bank == HashAlgo::kSha1 ? 7 : 9;
  std::vector<uint8_t> concatenated;
  for (uint32_t i = 0; i <= last; ++i) {
    const Digest* d = pcrs.Get(bank, i);
    if (!d)
      return Error(ErrorKind::kNotFound,
                   std::string(Name(bank)) + " PCR " + std::to_string(i) + " not available");
    concatenated.insert(concatenated.end(), d->view().begin(), d->view().end());
  }
  Digest out = Digest::Zero(bank);
  Hash(bank, {concatenated}, out.bytes.data());
  return out;
}

BootAggregateCheck CheckBootAggregate(const EntryView& first, const PcrValues& pcrs) {
  BootAggregateCheck check{.status = BootAggregateCheck::Status::kNotFirst};
  auto fd = FileDigestOf(first);
  if (FileNameOf(first) != kBootAggregateName || !fd) return check;
  check.logged = ToHex(fd->digest);
  check.bank = fd->algo;
  if (std::all_of(fd->digest.begin(), fd->digest.end(), [](uint8_t b) { return b == 0; })) {
    check.status = BootAggregateCheck::Status::kNoTpmAtBoot;
    return check;
  }
  if (!fd->algo || DigestSize(*fd->algo) != fd->digest.size()) {
    check.status = BootAggregateCheck::Status::kPcrsUnavailable;
    return check;
  }
  auto computed = ComputeBootAggregate(*fd->algo, pcrs);
  if (!computed) {
    check.status = BootAggregateCheck::Status::kPcrsUnavailable;
    return check;
  }
  check.computed = computed->hex();
  check.status = check.computed == check.logged ? BootAggregateCheck::Status::kMatch
                                                : BootAggregateCheck::Status::kMismatch;
  return check;
}

}  // namespace imawatch::ima
