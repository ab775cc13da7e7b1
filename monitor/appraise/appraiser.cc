#include "monitor/appraise/appraiser.h"

#include <algorithm>

namespace imawatch::appraise {

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAllowed:
      return "allowed";
    case Verdict::kUnknown:
      return "unknown";
    case Verdict::kChanged:
      return "changed";
    case Verdict::kExcluded:
      return "excluded";
    case Verdict::kViolation:
      return "violation";
  }
  return "unknown";
}

Appraiser::Appraiser(std::vector<std::shared_ptr<const AllowList>> lists,
                     std::shared_ptr<const TrustedKeys> keys, AppraiserOptions options)
    : lists_(std::move(lists)), keys_(std::move(keys)), options_(options) {}

Appraisal Appraiser::Appraise(const AppraisalInput& in) const {
  Appraisal out;
  // The path's entry in the first list that knows it: for "changed" and for the tags.
  for (const auto& list : lists_) {
    if (auto id = list->FindName(in.kind, in.path)) {
      out.list = list.get();
      out.name = id;
      break;
    }
  }
  if (in.violation) {
    out.verdict = Verdict::kViolation;
    return out;
  }
  for (const auto& list : lists_) {
    // Keylime applies excludes to every kind of name, and ignored keyrings on top.
    if ((in.kind == NameKind::kKeyring && list->IsIgnoredKeyring(in.path)) || list->IsExcluded(in.path)) {
      out.verdict = Verdict::kExcluded;
      return out;
    }
  }
  if (!in.ima_signature.empty() && keys_) {
    out.signature = keys_->Verify(in.ima_signature, in.file_digest);
    if (out.signature.status == SignatureStatus::kValid) {
      out.verdict = Verdict::kAllowed;
      out.allowed_by = AllowedBy::kSignature;
      return out;
    }
  }
  for (const auto& list : lists_) {
    std::span<const AllowList::NameId> owners = list->FindDigest(in.file_digest);
    if (owners.empty()) continue;
    if (!options_.require_path_match) {
      out.verdict = Verdict::kAllowed;
      out.allowed_by = AllowedBy::kDigest;
      return out;
    }
    auto id = list->FindName(in.kind, in.path);
    if (id && std::find(owners.begin(), owners.end(), *id) != owners.end()) {
      out.verdict = Verdict::kAllowed;
      out.allowed_by = AllowedBy::kDigest;
      out.list = list.get();
      out.name = id;
      return out;
    }
  }
  // Known with a digest of this algorithm but not this one: changed. A list holding only
  // other algorithms for the path cannot tell.
  for (const auto& list : lists_) {
    auto id = list->FindName(in.kind, in.path);
    if (id && list->HasAlgorithm(*id, in.file_digest.algo)) {
      out.verdict = Verdict::kChanged;
      out.list = list.get();
      out.name = id;
      return out;
    }
  }
  out.verdict = Verdict::kUnknown;
  return out;
}

}  // namespace imawatch::appraise
