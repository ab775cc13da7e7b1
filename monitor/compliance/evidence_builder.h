// Appraises proved measurement-list entries and collects the evidence benchmarks are evaluated
// on. Shared by `imawatch check` (a whole list at once) and the daemon (entries as the TPM
// proves them, possibly long after they were read: hence entries are captured as owned values).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "monitor/appraise/allow_list.h"
#include "monitor/appraise/appraiser.h"
#include "monitor/appraise/trusted_keys.h"
#include "monitor/compliance/digest_lookup.h"
#include "monitor/compliance/evidence.h"
#include "monitor/ima/entry.h"

namespace imawatch::compliance {

// What the appraiser and the evaluator need of one entry, owned.
struct CapturedEntry {
  uint64_t index = 0;
  uint64_t offset = 0;  // byte offset in the binary list
  uint32_t size = 0;
  uint32_t pcr = 10;
  std::string template_name;
  std::string path;
  std::optional<ima::Digest> file_digest;
  std::vector<uint8_t> signature;  // the ima-sig field
  bool violation = false;
  bool is_buf = false;  // an ima-buf entry: the name is a keyring or event, not a file
  std::optional<uint32_t> uid, gid;
  std::optional<uint16_t> mode;
};
CapturedEntry Capture(const ima::EntryView& entry);

struct AppraisalCounts {
  uint64_t allowed = 0, unknown = 0, changed = 0, excluded = 0, violation = 0;
};

class EvidenceBuilder {
 public:
  EvidenceBuilder(std::vector<std::shared_ptr<const appraise::AllowList>> allow_lists,
                  std::shared_ptr<const appraise::TrustedKeys> keys, bool measures_module_loads);
  ~EvidenceBuilder();
  EvidenceBuilder(const EvidenceBuilder&) = delete;
  EvidenceBuilder& operator=(const EvidenceBuilder&) = delete;

  // Appraises a proved entry and keeps it as evidence (bank_proof: how the TPM proved it).
  appraise::Appraisal Add(const CapturedEntry& entry, std::shared_ptr<const std::string> bank_proof);
  // Judges a digest again (after the allow lists changed).
  appraise::Appraisal Appraise(const MeasuredFile& file) const;

  const Evidence& evidence() const { return evidence_; }
  const AppraisalCounts& counts() const { return counts_; }
  // The evaluator's digest-allowed checks; null when there is no allow list and no key.
  const DigestLookup* lookup() const;

 private:
  class SignedOrListed;
  // Before evidence_: it holds the allow lists, whose name tables evidence_'s records point into.
  appraise::Appraiser appraiser_;
  bool have_lookup_;
  Evidence evidence_;
  AppraisalCounts counts_;
  // (path, digest hex) a trusted key signed, seen on a proved ima-sig/evm-sig entry.
  std::set<std::pair<std::string, std::string>> signed_files_;
  std::unique_ptr<SignedOrListed> lookup_;
};

bool IsModulePath(std::string_view path);

}  // namespace imawatch::compliance
