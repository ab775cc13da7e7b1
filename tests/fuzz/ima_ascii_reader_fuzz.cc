// Any text as a pasted ascii_runtime_measurements: convert, then parse the result.
#include <cstdint>
#include <string_view>

#include "monitor/ima/ascii_reader.h"
#include "monitor/ima/binary_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imawatch::ima;
  auto converted = AsciiToBinary(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (!converted) return 0;
  auto file = imawatch::NewMemoryFile("converted", converted->binary);
  BinaryLogReader reader(
      *file, {.template_digest_size = converted->template_digest_size, .byte_order = ByteOrder::kLittle});
  uint64_t entries = 0;
  for (;;) {
    auto batch = reader.Next();
    // What the ascii reader accepts, the binary reader must accept too.
    if (!batch) __builtin_trap();
    if (batch->empty()) break;
    entries += batch->size();
  }
  if (entries != converted->entries || !reader.CheckComplete().ok()) __builtin_trap();
  return 0;
}
