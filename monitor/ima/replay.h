// Replays a measurement list into PCR values, per bank and per PCR index, the way the kernel
// extended them, and proves it against PCR readings with the prefix rule: PCRs read while
// the kernel still appends match some prefix of the list, so a reading proves the entries up
// to the last point where the replay equals it.
//
// A non-SHA1 bank can have been extended three ways; each is replayed and the one that
// reproduces the reading is reported (ima_crypto.c / ima_queue.c):
//   per-bank        kernel >= 5.8: H_bank(template data); violations all-0xFF of the bank size
//   padded-sha1     kernel >= 5.8, bank whose hash the kernel could not allocate: the SHA1
//                   template digest zero-padded; violations all-0xFF of the bank size
//   legacy-padded   kernel < 5.8: the SHA1 template digest zero-padded, violations included
//                   (20 bytes of 0xFF, then zeros)
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "monitor/ima/digest.h"
#include "monitor/ima/entry.h"
#include "monitor/ima/pcr_values.h"

namespace imawatch::ima {

enum class ExtendVariant : uint8_t { kPerBank, kPaddedSha1, kLegacyPaddedSha1 };
inline constexpr size_t kExtendVariants = 3;
std::string_view Name(ExtendVariant v);

// Template digests of one entry, indexed by HashAlgo (only the algorithms the replay asks for
// are filled in).
struct EntryDigests {
  std::array<std::array<uint8_t, kMaxDigestSize>, kPcrBanks.size()> by_algo;
  const uint8_t* of(HashAlgo a) const { return by_algo[static_cast<size_t>(a)].data(); }
  uint8_t* of(HashAlgo a) { return by_algo[static_cast<size_t>(a)].data(); }
};

struct PcrProof {
  HashAlgo bank;
  uint32_t pcr;
  uint64_t entries = 0;            // entries of the list that target this PCR
  std::optional<Digest> expected;  // the PCR reading, if there is one
  bool matched = false;            // the latest reading is reproduced by a prefix of the list
  std::optional<ExtendVariant> variant;
  uint64_t proved = 0;                           // entries of this PCR inside the proved prefix
  uint64_t proved_list = 0;                      // length of that prefix in the whole list
  std::array<Digest, kExtendVariants> computed;  // replay of the whole list, per variant
  uint8_t variants = 1;                          // 1 for sha1 (all variants coincide), else 3
};

class Replay {
 public:
  struct Options {
    std::vector<HashAlgo> banks;
    // Keep the values after each not-yet-proved entry, so a later, newer reading can prove a
    // prefix that ends before the last entry (tailing). Verification of a whole file with its
    // reading known in advance does not need it.
    bool keep_history = false;
    // Replay only the per-bank variant (what every >= 5.8 kernel with the bank's hash does):
    // a third of the extend work for non-SHA1 banks. Callers fall back to all variants when a
    // bank does not match.
    bool per_bank_only = false;
  };
  explicit Replay(Options options);
  ~Replay();
  Replay(Replay&&) noexcept;
  Replay& operator=(Replay&&) noexcept;

  const std::vector<HashAlgo>& banks() const { return options_.banks; }
  // Algorithms whose template digests Extend() reads (the banks, plus SHA1 for padding).
  const std::vector<HashAlgo>& digest_algos() const { return digest_algos_; }

  // A new PCR reading; re-checks the entries replayed so far against it.
  void SetReading(const PcrValues& reading);
  void Extend(const EntryView& entry, const EntryDigests& digests);

  uint64_t entries() const { return entries_; }
  std::vector<PcrProof> Proofs() const;

 private:
  struct Chain;
  Chain& ChainFor(size_t bank_slot, uint32_t pcr);

  Options options_;
  std::vector<HashAlgo> digest_algos_;
  PcrValues reading_;
  uint64_t entries_ = 0;
  // chains_[bank slot][pcr], created on the first entry for that PCR.
  std::vector<std::array<std::unique_ptr<Chain>, kMaxPcrIndex + 1>> chains_;
};

}  // namespace imawatch::ima
