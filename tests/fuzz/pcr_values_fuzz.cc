// Any text as a PCR dump (bank:pcr:hex, tpm2_pcrread YAML, tsspcrread, evmctl forms).
#include <cstdint>
#include <string_view>

#include "monitor/ima/pcr_values.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto values =
      imawatch::ima::ParsePcrValues(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (values.ok()) {
    for (auto bank : values->Banks()) {
      for (uint32_t i : values->Indexes(bank)) {
        if (values->Get(bank, i)->size != imawatch::ima::DigestSize(bank)) __builtin_trap();
      }
    }
  }
  return 0;
}
