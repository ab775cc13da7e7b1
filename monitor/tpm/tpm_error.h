// TPM and TSS failures as Error values, worded by the TSS's own response-code decoder.
#pragma once

#include <cstdint>
#include <string_view>

#include "monitor/base/result.h"

namespace imawatch::tpm {

// "Esys_Quote: tpm:error(2.0): TPM not initialized ... (rc 0x00000100)".
Error TpmError(std::string_view operation, uint32_t rc);

// tpm2-tss logs errors to stderr itself; imawatch reports them as values instead. Sets
// TSS2_LOG=all+none once, before the first TSS call, unless the environment has TSS2_LOG.
void QuietTssLogging();

// True when rc says the transport failed (the TPM went away), not that the TPM refused.
bool IsTransportError(uint32_t rc);

}  // namespace imawatch::tpm
