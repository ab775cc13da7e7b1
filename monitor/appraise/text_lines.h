// Line-by-line reading of text lists: files are streamed in chunks, so a list of millions of
// lines never sits in memory whole.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "monitor/appraise/allow_list_builder.h"
#include "monitor/base/env.h"
#include "monitor/base/result.h"

namespace imawatch::appraise {

inline constexpr size_t kMaxLineSize = 1 << 20;

// fn(line, 1-based line number) for every line without its "\n" or "\r\n"; stops at the first
// error fn returns.
using LineFn = std::function<Status(std::string_view line, uint32_t number)>;
Status ForEachLine(std::string_view text, const LineFn& fn);
Status ForEachLine(RandomAccessFile& file, const LineFn& fn);

// Sizes the builder for a text list file from its size (a line is rarely under 64 bytes).
void ReserveForText(Env& env, const std::string& path, AllowListBuilder& builder);

}  // namespace imawatch::appraise
