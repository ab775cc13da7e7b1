#include "monitor/compliance/evidence_builder.h"

#include "monitor/ima/fields.h"

namespace imawatch::compliance {

// A digest a trusted key signed is allowed for its path like a listed one.
class EvidenceBuilder::SignedOrListed : public DigestLookup {
 public:
  explicit SignedOrListed(const EvidenceBuilder& owner) : owner_(owner) {}

  DigestVerdict Lookup(std::string_view path, const ima::Digest& digest) const override {
    if (owner_.signed_files_.count({std::string(path), digest.hex()})) {
      return {DigestStatus::kAllowed, "IMA signature verified with a trusted certificate"};
    }
    appraise::Appraisal a = owner_.appraiser_.Appraise({.path = path, .file_digest = digest});
    switch (a.verdict) {
      case appraise::Verdict::kAllowed:
        return {DigestStatus::kAllowed, "listed in an allow list"};
      case appraise::Verdict::kChanged:
        return {DigestStatus::kNotListed, "the allow lists know this path with other digests"};
      case appraise::Verdict::kExcluded:
        return {DigestStatus::kNotListed, "excluded from judgement by an allow list"};
      case appraise::Verdict::kUnknown:
      case appraise::Verdict::kViolation:
        break;
    }
    return {DigestStatus::kNotListed, "no allow list knows this path"};
  }

 private:
  const EvidenceBuilder& owner_;
};

bool IsModulePath(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t ko = base.rfind(".ko");
  if (ko == std::string_view::npos) return false;
  std::string_view rest = base.substr(ko);
  return rest == ".ko" || rest == ".ko.xz" || rest == ".ko.zst" || rest == ".ko.gz";
}

CapturedEntry Capture(const ima::EntryView& e) {
  CapturedEntry c{.index = e.index,
                  .offset = e.offset,
                  .size = e.size,
                  .pcr = e.pcr,
                  .template_name = std::string(e.template_name),
                  .path = std::string(ima::FileNameOf(e)),
                  .violation = e.is_violation(),
                  .is_buf = !e.field(ima::FieldId::kBuf).empty()};
  if (auto d = ima::FileDigestOf(e); d && d->algo) c.file_digest = ima::Digest(*d->algo, d->digest);
  ima::Bytes sig = e.field(ima::FieldId::kSig);
  c.signature.assign(sig.begin(), sig.end());
  if (auto uid = ima::DecodeUint(e.field(ima::FieldId::kIuid), e.big_endian))
    c.uid = static_cast<uint32_t>(*uid);
  if (auto gid = ima::DecodeUint(e.field(ima::FieldId::kIgid), e.big_endian))
    c.gid = static_cast<uint32_t>(*gid);
  if (auto mode = ima::DecodeUint(e.field(ima::FieldId::kImode), e.big_endian)) {
    c.mode = static_cast<uint16_t>(*mode);
  }
  return c;
}

EvidenceBuilder::EvidenceBuilder(std::vector<std::shared_ptr<const appraise::AllowList>> allow_lists,
                                 std::shared_ptr<const appraise::TrustedKeys> keys,
                                 bool measures_module_loads)
    : appraiser_(allow_lists, keys),
      have_lookup_(!allow_lists.empty() || (keys && keys->size() > 0)),
      lookup_(std::make_unique<SignedOrListed>(*this)) {
  evidence_.set_measures_module_loads(measures_module_loads);
}

EvidenceBuilder::~EvidenceBuilder() = default;

const DigestLookup* EvidenceBuilder::lookup() const { return have_lookup_ ? lookup_.get() : nullptr; }

appraise::Appraisal EvidenceBuilder::Appraise(const MeasuredFile& file) const {
  return appraiser_.Appraise({.path = file.path, .file_digest = file.file_digest});
}

appraise::Appraisal EvidenceBuilder::Add(const CapturedEntry& e,
                                         std::shared_ptr<const std::string> bank_proof) {
  appraise::AppraisalInput input{.path = e.path,
                                 .ima_signature = e.signature,
                                 .violation = e.violation,
                                 .kind = e.is_buf ? appraise::NameKind::kImaBuf : appraise::NameKind::kFile};
  if (e.file_digest) input.file_digest = *e.file_digest;
  appraise::Appraisal a = appraiser_.Appraise(input);
  switch (a.verdict) {
    case appraise::Verdict::kAllowed:
      ++counts_.allowed;
      break;
    case appraise::Verdict::kUnknown:
      ++counts_.unknown;
      break;
    case appraise::Verdict::kChanged:
      ++counts_.changed;
      break;
    case appraise::Verdict::kExcluded:
      ++counts_.excluded;
      break;
    case appraise::Verdict::kViolation:
      ++counts_.violation;
      break;
  }
  if (e.is_buf || e.violation || !e.file_digest) return a;
  if (a.allowed_by == appraise::AllowedBy::kSignature) signed_files_.emplace(e.path, e.file_digest->hex());
  MeasuredFile m{.path = e.path,
                 .file_digest = *e.file_digest,
                 .template_name = e.template_name,
                 .entry_index = e.index,
                 .pcr = e.pcr,
                 .uid = e.uid,
                 .gid = e.gid,
                 .mode = e.mode,
                 .proved = true,
                 .bank_proof = std::move(bank_proof)};
  if (IsModulePath(m.path)) evidence_.AddModule(m);
  // The appraisal found the path's allow-list entry: evidence refers to that name, no copy.
  const std::string_view listed = a.list && a.name ? a.list->Name(*a.name) : std::string_view();
  evidence_.AddFile(std::move(m), listed);
  return a;
}

}  // namespace imawatch::compliance
