// One measurement-list entry as views into the reader's buffer: no copies, no allocation.
// Views stay valid until the reader's next call.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "monitor/ima/template.h"

namespace imawatch::ima {

using Bytes = std::span<const uint8_t>;

struct EntryView {
  uint64_t index = 0;   // 0-based position in the list
  uint64_t offset = 0;  // byte offset of the entry in the binary list
  uint32_t size = 0;    // bytes the entry takes in the binary list
  uint32_t pcr = 0;
  bool big_endian = false;  // byte order of the list's integers (uint fields decode with it)
  Bytes template_digest;    // the list's bank: 20 bytes (SHA1) or the per-bank file's digest size
  std::string_view template_name;
  const TemplateDescriptor* descriptor = nullptr;
  // What the kernel hashes into the template digest for every template but the legacy 'ima'
  // (whose hash input is rebuilt from the d and n fields; see LegacyImaHashInput).
  Bytes template_data;
  std::array<Bytes, kMaxTemplateFields> fields{};  // field data without length prefixes

  // A violation (open-writers, ToMToU) is logged with an all-zero template digest.
  bool is_violation() const {
    return std::all_of(template_digest.begin(), template_digest.end(), [](uint8_t b) { return b == 0; });
  }
  Bytes field(FieldId id) const {
    int i = descriptor->FieldIndex(id);
    return i < 0 ? Bytes{} : fields[static_cast<size_t>(i)];
  }
};

}  // namespace imawatch::ima
