#include "monitor/ima/template_hash.h"

#include <algorithm>
#include <array>

#include "monitor/ima/hash.h"

namespace imawatch::ima {

void ComputeTemplateDigest(HashAlgo algo, const EntryView& entry, uint8_t* out) {
  if (!entry.descriptor->legacy_ima) {
    Hash(algo, {entry.template_data}, out);
    return;
  }
  std::array<uint8_t, kLegacyNameField> name{};
  Bytes n = entry.fields[1];
  std::copy_n(n.begin(), std::min(n.size(), name.size()), name.begin());
  Hash(algo, {entry.fields[0], name}, out);
}

}  // namespace imawatch::ima
