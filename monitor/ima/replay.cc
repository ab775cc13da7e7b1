#include "monitor/ima/replay.h"

#include <cstring>
#include <deque>

#include "monitor/ima/hash.h"

namespace imawatch::ima {

std::string_view Name(ExtendVariant v) {
  switch (v) {
    case ExtendVariant::kPerBank:
      return "per-bank";
    case ExtendVariant::kPaddedSha1:
      return "padded-sha1";
    case ExtendVariant::kLegacyPaddedSha1:
      return "legacy-padded-sha1";
  }
  return "?";
}

struct Replay::Chain {
  struct Point {
    uint64_t pcr_entries;
    uint64_t list_length;
    std::array<uint8_t, kMaxDigestSize> value;
  };
  struct Variant {
    std::array<uint8_t, kMaxDigestSize> value{};
    bool matched = false;
    uint64_t proved = 0, proved_list = 0;
    std::optional<std::array<uint8_t, kMaxDigestSize>> proved_value;  // the value at `proved`
    std::deque<Point> history;
  };

  HashAlgo bank;
  uint32_t pcr;
  size_t size;
  uint64_t entries = 0;
  std::optional<Digest> expected;
  std::array<Variant, kExtendVariants> variants;
  uint8_t num_variants;
  // The legacy chain equals the padded one until the first violation; it is forked then.
  bool legacy_follows_padded = true;

  Chain(HashAlgo b, uint32_t p, bool per_bank_only)
      : bank(b),
        pcr(p),
        size(DigestSize(b)),
        num_variants(b == HashAlgo::kSha1 || per_bank_only ? 1 : kExtendVariants) {}

  bool Equals(const std::array<uint8_t, kMaxDigestSize>& value) const {
    return expected && std::memcmp(value.data(), expected->bytes.data(), size) == 0;
  }

  // The reading is of entries not replayed yet: it will match a value still to come, and any
  // newer reading one at or after it, so no value before it is ever needed.
  bool ReadingAhead() const {
    if (!expected) return false;
    for (uint8_t i = 0; i < num_variants; ++i) {
      if (variants[i].matched) return false;
    }
    return true;
  }

  // A later proof is never shorter than one already made (the prefix rule), so no variant
  // needs the values at or before the longest proof: without this, the variants that never
  // match (the padded ones on a >= 5.8 kernel) would keep a point per entry forever.
  void PruneProved() {
    uint64_t longest = 0;
    for (uint8_t i = 0; i < num_variants; ++i) {
      if (variants[i].matched) longest = std::max(longest, variants[i].proved);
    }
    if (longest == 0) return;
    for (uint8_t i = 0; i < num_variants; ++i) {
      auto& h = variants[i].history;
      while (!h.empty() && h.front().pcr_entries <= longest) h.pop_front();
      if (h.empty()) h.shrink_to_fit();
    }
  }

  void Record(Variant& v, uint64_t list_length, bool keep_history) {
    if (Equals(v.value)) {
      v.matched = true;
      v.proved = entries;
      v.proved_list = list_length;
      v.proved_value = v.value;
      v.history.clear();
      if (keep_history) PruneProved();
    } else if (keep_history && !ReadingAhead()) {
      v.history.push_back({entries, list_length, v.value});
    }
  }

  // The newest point (current value first, then history newest-first) equal to the reading.
  void Recheck(Variant& v) {
    v.matched = false;
    if (entries == 0) return;  // an empty prefix proves nothing
    if (Equals(v.value)) {
      v.matched = true;
      v.proved = entries;
      v.proved_list = v.history.empty() ? v.proved_list : v.history.back().list_length;
      v.proved_value = v.value;
      v.history.clear();
      return;
    }
    for (size_t i = v.history.size(); i-- > 0;) {
      if (Equals(v.history[i].value)) {
        v.matched = true;
        v.proved = v.history[i].pcr_entries;
        v.proved_list = v.history[i].list_length;
        v.proved_value = v.history[i].value;
        v.history.erase(v.history.begin(), v.history.begin() + static_cast<std::ptrdiff_t>(i) + 1);
        return;
      }
    }
    // The PCR has not moved since the last proof while entries were appended after it (the
    // kernel appends before it extends): that proof still stands.
    if (v.proved_value && Equals(*v.proved_value)) v.matched = true;
  }
};

Replay::Replay(Options options) : options_(std::move(options)), chains_(options_.banks.size()) {
  digest_algos_.push_back(HashAlgo::kSha1);
  for (HashAlgo b : options_.banks) {
    if (b != HashAlgo::kSha1) digest_algos_.push_back(b);
  }
}
Replay::~Replay() = default;
Replay::Replay(Replay&&) noexcept = default;
Replay& Replay::operator=(Replay&&) noexcept = default;

Replay::Chain& Replay::ChainFor(size_t bank_slot, uint32_t pcr) {
  auto& slot = chains_[bank_slot][pcr];
  if (!slot) {
    slot = std::make_unique<Chain>(options_.banks[bank_slot], pcr, options_.per_bank_only);
    if (const Digest* d = reading_.Get(slot->bank, pcr)) slot->expected = *d;
  }
  return *slot;
}

void Replay::SetReading(const PcrValues& reading) {
  reading_ = reading;
  for (auto& bank_chains : chains_) {
    for (auto& chain : bank_chains) {
      if (!chain) continue;
      const Digest* d = reading_.Get(chain->bank, chain->pcr);
      chain->expected = d ? std::optional<Digest>(*d) : std::nullopt;
      for (uint8_t i = 0; i < chain->num_variants; ++i) chain->Recheck(chain->variants[i]);
      chain->PruneProved();
      if (chain->ReadingAhead()) {
        for (uint8_t i = 0; i < chain->num_variants; ++i) chain->variants[i].history = {};
      }
    }
  }
}

void Replay::Extend(const EntryView& entry, const EntryDigests& digests) {
  ++entries_;
  const bool violation = entry.is_violation();
  const uint64_t list_length = entry.index + 1;
  for (size_t b = 0; b < options_.banks.size(); ++b) {
    Chain& c = ChainFor(b, entry.pcr);
    ++c.entries;
    std::array<uint8_t, kMaxDigestSize> in{};
    if (violation) {
      std::memset(in.data(), 0xff, c.size);
    } else {
      std::memcpy(in.data(), digests.of(c.bank), c.size);
    }
    auto& per_bank = c.variants[0];
    ima::Extend(c.bank, per_bank.value.data(), in.data());
    c.Record(per_bank, list_length, options_.keep_history);
    if (c.num_variants == 1) continue;

    auto& padded = c.variants[1];
    auto& legacy = c.variants[2];
    if (violation && c.legacy_follows_padded) {
      legacy = padded;
      c.legacy_follows_padded = false;
    }
    if (!violation) {
      in.fill(0);
      std::memcpy(in.data(), digests.of(HashAlgo::kSha1), 20);
    }
    ima::Extend(c.bank, padded.value.data(), in.data());
    c.Record(padded, list_length, options_.keep_history);
    if (c.legacy_follows_padded) continue;
    if (violation) std::memset(in.data() + 20, 0, c.size - 20);
    ima::Extend(c.bank, legacy.value.data(), in.data());
    c.Record(legacy, list_length, options_.keep_history);
  }
}

std::vector<PcrProof> Replay::Proofs() const {
  std::vector<PcrProof> out;
  for (const auto& bank_chains : chains_) {
    for (const auto& chain : bank_chains) {
      if (!chain) continue;
      const Chain& c = *chain;
      PcrProof p{.bank = c.bank, .pcr = c.pcr, .entries = c.entries, .expected = c.expected};
      p.variants = c.num_variants;
      for (size_t i = 0; i < c.num_variants; ++i) {
        const auto& v = (i == 2 && c.legacy_follows_padded) ? c.variants[1] : c.variants[i];
        p.computed[i] = Digest(c.bank, std::span<const uint8_t>(v.value.data(), c.size));
        // Among variants that reproduce the reading, the one proving the most entries wins.
        if (v.matched && (!p.matched || v.proved > p.proved)) {
          p.matched = true;
          p.variant = static_cast<ExtendVariant>(i);
          p.proved = v.proved;
          p.proved_list = v.proved_list;
        }
      }
      out.push_back(p);
    }
  }
  return out;
}

}  // namespace imawatch::ima
