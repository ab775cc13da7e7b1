// The native allow-list parser (and, for inputs with the binary magic, the binary loader) on
// arbitrary bytes: a list or an error with a position, never a crash. Whatever parses must
// survive writing and reading back in both forms unchanged.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "monitor/appraise/allow_list_binary.h"
#include "monitor/appraise/checksum_format.h"
#include "monitor/appraise/native_format.h"

namespace ap = imawatch::appraise;

namespace {

void Exercise(const ap::AllowList& list) {
  std::string native = ap::WriteNative(list);
  auto again = ap::ParseNative(native, "rewritten");
  if (!again.ok() || ap::WriteNative(*again) != native) __builtin_trap();
  std::string binary = ap::SerializeBinary(list);
  auto loaded =
      ap::ParseBinary({reinterpret_cast<const uint8_t*>(binary.data()), binary.size()}, "bin", nullptr);
  if (!loaded.ok() || ap::WriteNative(*loaded) != native) __builtin_trap();
  list.ForEachEntry([&](ap::AllowList::NameId id, const imawatch::ima::Digest& digest) {
    if (loaded->FindDigest(digest).empty()) __builtin_trap();
    if (!loaded->FindName(list.Kind(id), list.Name(id))) __builtin_trap();
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (ap::LooksBinary({data, size})) {
    auto list = ap::ParseBinary({data, size}, "fuzz.bin", nullptr);
    if (list.ok()) {
      (void)ap::WriteNative(*list);
    } else if (!list.error().where().byte_offset) {
      __builtin_trap();
    }
    return 0;
  }
  auto list = ap::ParseNative(text, "fuzz.txt");
  if (list.ok()) {
    Exercise(*list);
  } else if (!list.error().where().line) {
    __builtin_trap();
  }
  auto sums = ap::ParseChecksums(text, "fuzz.sums");
  if (sums.ok()) {
    Exercise(*sums);
  } else if (!sums.error().where().line) {
    __builtin_trap();
  }
  return 0;
}
