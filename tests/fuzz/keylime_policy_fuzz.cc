// The Keylime runtime-policy importer on arbitrary bytes: a list or an error, never a crash.
// A policy that imports must export to a policy that imports to the same export.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "monitor/appraise/keylime_policy.h"
#include "monitor/appraise/native_format.h"

namespace ap = imawatch::appraise;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto list = ap::ParseKeylimePolicy(text, "fuzz.json");
  if (!list.ok()) {
    if (list.error().message().empty()) __builtin_trap();
    return 0;
  }
  std::string exported = ap::WriteKeylimePolicy(*list);
  auto again = ap::ParseKeylimePolicy(exported, "exported.json");
  if (!again.ok() || ap::WriteKeylimePolicy(*again) != exported) __builtin_trap();
  auto native = ap::ParseNative(ap::WriteNative(*list), "native");
  if (!native.ok() || ap::WriteKeylimePolicy(*native) != exported) __builtin_trap();
  for (std::string_view path : {"/tmp/x", "/usr/bin/bash", "boot_aggregate"}) (void)list->IsExcluded(path);
  return 0;
}
