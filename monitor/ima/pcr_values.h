// PCR values of one TPM, per bank and index, as read at some instant: from a PCR dump file,
// a sysfs-style directory, or the TPM itself (monitor/tpm).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/env.h"
#include "monitor/base/result.h"
#include "monitor/ima/digest.h"

namespace imawatch::ima {

inline constexpr uint32_t kMaxPcrIndex = 23;  // TPM 2.0 PC client: PCRs 0..23

class PcrValues {
 public:
  void Set(HashAlgo bank, uint32_t index, const Digest& value) { values_[{bank, index}] = value; }
  const Digest* Get(HashAlgo bank, uint32_t index) const;
  std::vector<HashAlgo> Banks() const;
  std::vector<uint32_t> Indexes(HashAlgo bank) const;
  bool empty() const { return values_.empty(); }
  // Adds the values of `other` this reading lacks (e.g. firmware PCRs replayed from an event log).
  void AddMissing(const PcrValues& other) { values_.insert(other.values_.begin(), other.values_.end()); }
  size_t size() const { return values_.size(); }
  bool operator==(const PcrValues&) const = default;

 private:
  std::map<std::pair<HashAlgo, uint32_t>, Digest> values_;
};

// Text forms accepted (one file may mix them; see doc/pcr-values-format.md):
//   sha256:10:E3AF...                 bank:pcr:HEX (imawatch, the fixtures' pcrs.txt)
//   sha256:\n  10 : 0xE3AF...         tpm2_pcrread YAML
//   pcrread: tsspcrread -halg sha1\n10: 3134...   IBM TSS tsspcrread
//   PCR-10: B3 C0 ...  /  PCR 10: 9b e6 ...      evmctl / TPM 1.2 sysfs "pcrs" style
// Lines without a bank take the current bank header, else default_bank, else the bank whose
// digest size matches (20 sha1, 32 sha256, 48 sha384, 64 sha512).
Result<PcrValues> ParsePcrValues(std::string_view text, const std::string& source,
                                 std::optional<HashAlgo> default_bank = std::nullopt);

// A file in a text form above, or a directory laid out like /sys/class/tpm/tpm0
// (pcr-<bank>/<index>, each holding hex).
Result<PcrValues> LoadPcrValues(Env& env, const std::string& path,
                                std::optional<HashAlgo> default_bank = std::nullopt);

}  // namespace imawatch::ima
