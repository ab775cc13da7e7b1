// The binary form of an allow list (doc/allowlist-format.md, "Binary form"): the index's
// tables behind a small header, each 8-byte aligned, used in place from a read-only mapping.
// Loading checks every table against the file and the other tables, then lookups trust them.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "monitor/appraise/allow_list.h"
#include "monitor/base/env.h"

namespace imawatch::appraise {

inline constexpr std::string_view kBinaryMagic = "IMAWALST";
inline constexpr uint32_t kBinaryVersion = 1;

bool LooksBinary(std::span<const uint8_t> head);
std::string SerializeBinary(const AllowList& list);
// `keepalive` owns `bytes`. Bytes that are not 8-byte aligned are copied first.
Result<AllowList> ParseBinary(std::span<const uint8_t> bytes, const std::string& source,
                              std::shared_ptr<const void> keepalive);
// Maps the file read-only: pages are shared with every other process mapping it.
Result<AllowList> LoadBinary(Env& env, const std::string& path);

}  // namespace imawatch::appraise
