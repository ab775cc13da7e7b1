// The template digest the kernel computes per entry and bank (ima_calc_field_array_hash):
// the hash of the template data as logged, except for the legacy 'ima' template, whose input
// is the 20-byte file digest followed by the file name zero-padded to 256 bytes.
#pragma once

#include <cstdint>

#include "monitor/ima/entry.h"
#include "monitor/ima/hash_algo.h"

namespace imawatch::ima {

inline constexpr size_t kLegacyNameField = 256;  // IMA_EVENT_NAME_LEN_MAX + 1

void ComputeTemplateDigest(HashAlgo algo, const EntryView& entry, uint8_t* out);

}  // namespace imawatch::ima
