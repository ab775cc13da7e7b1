#include "monitor/tpm/tss_convert.h"

#include "monitor/ima/pcr_values.h"

namespace imawatch::tpm {

Result<TPMI_ALG_HASH> TpmHashAlg(ima::HashAlgo algo) {
  uint16_t id = ima::Info(algo).tpm_alg_id;
  if (id == 0)
    return Error(ErrorKind::kUnsupported, std::string(ima::Name(algo)) + " is not a TPM algorithm");
  return id;
}

Result<TPML_PCR_SELECTION> ToTpml(const PcrSelection& selection) {
  TPML_PCR_SELECTION tpml{};
  if (selection.banks.size() > TPM2_NUM_PCR_BANKS) {
    return InvalidInput("a PCR selection holds at most " + std::to_string(TPM2_NUM_PCR_BANKS) + " banks");
  }
  for (const auto& bank : selection.banks) {
    auto alg = TpmHashAlg(bank.bank);
    if (!alg) return alg.error();
    TPMS_PCR_SELECTION& s = tpml.pcrSelections[tpml.count++];
    s.hash = *alg;
    s.sizeofSelect = 3;  // PCRs 0..23, what every PC-client TPM implements
    for (uint32_t index : bank.indexes) {
      if (index > ima::kMaxPcrIndex)
        return InvalidInput("PCR index " + std::to_string(index) + " is not 0..23");
      s.pcrSelect[index / 8] |= static_cast<uint8_t>(1u << (index % 8));
    }
  }
  return tpml;
}

Result<PcrSelection> FromTpml(const TPML_PCR_SELECTION& tpml) {
  PcrSelection selection;
  if (tpml.count > TPM2_NUM_PCR_BANKS) return InvalidInput("PCR selection lists too many banks");
  for (uint32_t i = 0; i < tpml.count; ++i) {
    const TPMS_PCR_SELECTION& s = tpml.pcrSelections[i];
    auto bank = ima::HashAlgoFromTpmId(s.hash);
    if (!bank) return InvalidInput("PCR selection names unknown hash algorithm " + std::to_string(s.hash));
    PcrBankSelection out{*bank, {}};
    size_t size = std::min<size_t>(s.sizeofSelect, TPM2_PCR_SELECT_MAX);
    for (uint32_t index = 0; index < size * 8; ++index) {
      if ((s.pcrSelect[index / 8] >> (index % 8)) & 1) {
        if (index > ima::kMaxPcrIndex)
          return InvalidInput("PCR selection names PCR " + std::to_string(index));
        out.indexes.push_back(index);
      }
    }
    selection.banks.push_back(std::move(out));
  }
  return selection;
}

}  // namespace imawatch::tpm
