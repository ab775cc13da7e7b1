#include "monitor/tpm/tpm_error.h"

#include <tss2/tss2_common.h>
#include <tss2/tss2_rc.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace imawatch::tpm {

Error TpmError(std::string_view operation, uint32_t rc) {
  char code[16];
  std::snprintf(code, sizeof(code), "0x%08x", rc);
  return Error(ErrorKind::kTpm, std::string(operation) + ": " + Tss2_RC_Decode(rc) + " (rc " + code + ")");
}

void QuietTssLogging() {
  static std::once_flag once;
  std::call_once(once, [] { setenv("TSS2_LOG", "all+none", /*overwrite=*/0); });
}

bool IsTransportError(uint32_t rc) {
  uint32_t layer = rc & TSS2_RC_LAYER_MASK;
  uint32_t base = rc & 0xffff;
  if (layer == TSS2_TCTI_RC_LAYER) return true;
  // ESYS and SYS report a lost or garbled response in their own layers.
  return (layer == TSS2_ESAPI_RC_LAYER || layer == TSS2_SYS_RC_LAYER) &&
         (base == TSS2_BASE_RC_IO_ERROR || base == TSS2_BASE_RC_NO_CONNECTION ||
          base == TSS2_BASE_RC_MALFORMED_RESPONSE || base == TSS2_BASE_RC_INSUFFICIENT_RESPONSE ||
          base == TSS2_BASE_RC_BAD_SEQUENCE);
}

}  // namespace imawatch::tpm
