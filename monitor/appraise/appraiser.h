// Judges each proved measurement against allow lists and trusted signing keys. Inputs are
// plain values, so any reader (binary or ascii log, audit record) can feed it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "monitor/appraise/allow_list.h"
#include "monitor/appraise/trusted_keys.h"
#include "monitor/ima/digest.h"

namespace imawatch::appraise {

struct AppraisalInput {
  std::string_view path;  // the file name hint (a keyring or event name for ima-buf entries)
  ima::Digest file_digest;
  std::span<const uint8_t> ima_signature;  // the ima-sig field; empty when none
  bool violation = false;                  // the kernel logged a measurement violation
  NameKind kind = NameKind::kFile;         // kKeyring / kImaBuf for ima-buf entries
};

enum class Verdict : uint8_t {
  kAllowed,    // the digest is allowed for this path, or a trusted key signed it
  kUnknown,    // no list knows the path (or the path has no digest in this algorithm)
  kChanged,    // a list knows the path, but not with this digest
  kExcluded,   // an exclude pattern (or ignored keyring) says never judge it
  kViolation,  // the kernel could not measure it reliably (open writers, ToMToU)
};
std::string_view VerdictName(Verdict verdict);

enum class AllowedBy : uint8_t { kNothing, kDigest, kSignature };

struct Appraisal {
  Verdict verdict = Verdict::kUnknown;
  AllowedBy allowed_by = AllowedBy::kNothing;
  SignatureCheck signature;
  // The list entry for the path, when a list knows it (its tags map it to recommendations).
  const AllowList* list = nullptr;
  std::optional<AllowList::NameId> name;

  TagList tags() const { return list && name ? list->Tags(*name) : TagList(); }
};

struct AppraiserOptions {
  // Keylime's rule: a digest is allowed only for the paths listed with it. Off, a digest
  // allowed anywhere is allowed everywhere (containers see files at other paths).
  bool require_path_match = true;
};

class Appraiser {
 public:
  Appraiser(std::vector<std::shared_ptr<const AllowList>> lists, std::shared_ptr<const TrustedKeys> keys,
            AppraiserOptions options = {});

  // Thread-safe; allocation-free unless a signature has to be verified.
  Appraisal Appraise(const AppraisalInput& input) const;

 private:
  std::vector<std::shared_ptr<const AllowList>> lists_;
  std::shared_ptr<const TrustedKeys> keys_;
  AppraiserOptions options_;
};

}  // namespace imawatch::appraise
