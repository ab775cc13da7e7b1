#include "monitor/appraise/text_lines.h"

#include <string>
#include <vector>

namespace imawatch::appraise {
namespace {

std::string_view StripCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

Status ForEachLine(std::string_view text, const LineFn& fn) {
  uint32_t number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (Status st = fn(StripCr(line), ++number); !st) return st;
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return Status::Ok();
}

Status ForEachLine(RandomAccessFile& file, const LineFn& fn) {
  constexpr size_t kChunk = 1 << 20;
  std::vector<uint8_t> buffer(kChunk);
  std::string carry;  // an incomplete last line of the previous chunk
  uint64_t offset = 0;
  uint32_t number = 0;
  for (;;) {
    auto n = file.ReadAt(offset, buffer);
    if (!n) return n.error();
    if (*n == 0) break;
    offset += *n;
    std::string_view chunk(reinterpret_cast<const char*>(buffer.data()), *n);
    size_t start = 0;
    for (;;) {
      size_t end = chunk.find('\n', start);
      if (end == std::string_view::npos) break;
      std::string_view line = chunk.substr(start, end - start);
      if (!carry.empty()) {
        carry.append(line);
        line = carry;
      }
      if (Status st = fn(StripCr(line), ++number); !st) return st;
      carry.clear();
      start = end + 1;
    }
    carry.append(chunk.substr(start));
    if (carry.size() > kMaxLineSize) {
      return InvalidInput("line is longer than " + std::to_string(kMaxLineSize) + " bytes",
                          {.source = file.name(), .line = number + 1});
    }
  }
  if (!carry.empty()) return fn(StripCr(carry), ++number);
  return Status::Ok();
}

void ReserveForText(Env& env, const std::string& path, AllowListBuilder& builder) {
  auto st = env.StatNoFollow(path);
  if (st && st->type == FileType::kRegular) builder.Reserve(st->size / 64, st->size);
}

}  // namespace imawatch::appraise
