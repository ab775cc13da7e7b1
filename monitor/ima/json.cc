#include "monitor/ima/json.h"

#include "monitor/base/utf8.h"
#include "monitor/ima/ascii_format.h"
#include "monitor/ima/fields.h"

namespace imawatch::ima {

nlohmann::json EntryToJson(const EntryView& entry) {
  nlohmann::json fields = nlohmann::json::object();
  for (uint8_t i = 0; i < entry.descriptor->num_fields; ++i) {
    FieldId id = entry.descriptor->fields[i];
    const FieldInfo& info = Info(id);
    Bytes data = entry.fields[i];
    nlohmann::json value;
    if (info.format == FieldFormat::kDigestWithAlgo || info.format == FieldFormat::kDigestWithTypeAndAlgo ||
        info.format == FieldFormat::kDigest) {
      if (auto fd = DecodeDigestField(info.format, data)) {
        value = {{"algorithm", Utf8OrEscaped(fd->algo_name)}, {"digest", ToHex(fd->digest)}};
        if (!fd->type.empty()) value["type"] = Utf8OrEscaped(fd->type);
      } else {
        value = {{"raw", ToHex(data)}};
      }
    } else if (info.format == FieldFormat::kUint) {
      auto v = DecodeUint(data, entry.big_endian);
      value = v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    } else if (info.format == FieldFormat::kString) {
      value = Utf8OrEscaped(AsString(data));
    } else {
      value = ToHex(data);
    }
    fields[std::string(info.name)] = std::move(value);
  }
  return {{"index", entry.index},
          {"offset", entry.offset},
          {"pcr", entry.pcr},
          {"template_digest", ToHex(entry.template_digest)},
          {"template", Utf8OrEscaped(entry.template_name)},
          {"violation", entry.is_violation()},
          {"fields", std::move(fields)}};
}

nlohmann::json ProofToJson(const PcrProof& p) {
  nlohmann::json computed = nlohmann::json::object();
  for (uint8_t i = 0; i < p.variants; ++i)
    computed[Name(static_cast<ExtendVariant>(i))] = p.computed[i].hex();
  nlohmann::json j = {{"bank", Name(p.bank)}, {"pcr", p.pcr},       {"entries", p.entries},
                      {"matched", p.matched}, {"proved", p.proved}, {"proved_list_length", p.proved_list},
                      {"computed", computed}};
  j["expected"] = p.expected ? nlohmann::json(p.expected->hex()) : nlohmann::json(nullptr);
  j["variant"] = p.variant ? nlohmann::json(Name(*p.variant)) : nlohmann::json(nullptr);
  return j;
}

nlohmann::json VerifyReportToJson(const VerifyReport& r) {
  nlohmann::json banks = nlohmann::json::array();
  for (const auto& b : r.banks) {
    banks.push_back({{"bank", Name(b.bank)},
                     {"status", Name(b.status)},
                     {"proved", b.proved},
                     {"not_covered", b.not_covered},
                     {"variant", b.variant ? nlohmann::json(Name(*b.variant)) : nlohmann::json(nullptr)}});
  }
  nlohmann::json proofs = nlohmann::json::array();
  for (const auto& p : r.proofs) proofs.push_back(ProofToJson(p));
  nlohmann::json j = {{"source", Utf8OrEscaped(r.source)},
                      {"format", r.ascii_input ? "ascii" : "binary"},
                      {"list_bank", Name(r.list_bank)},
                      {"entries", r.entries},
                      {"violations", r.violations},
                      {"templates", r.templates},
                      {"template_digest_mismatches", r.template_digest_mismatches},
                      {"template_digest_mismatch_examples", r.template_digest_mismatch_examples},
                      {"banks", banks},
                      {"pcrs", proofs},
                      {"proved_entries", r.proved_entries()},
                      {"verified", r.verified()}};
  if (r.boot_aggregate) {
    const auto& ba = *r.boot_aggregate;
    j["boot_aggregate"] = {{"status", Name(ba.status)},
                           {"bank", ba.bank ? nlohmann::json(Name(*ba.bank)) : nlohmann::json(nullptr)},
                           {"logged", ba.logged},
                           {"computed", ba.computed}};
  }
  return j;
}

}  // namespace imawatch::ima
