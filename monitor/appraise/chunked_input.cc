#include "monitor/appraise/chunked_input.h"

#include <string>

namespace imawatch::appraise {

bool ChunkedInput::Refill() {
  if (eof_ || error_) return false;
  buffer_.resize(kChunk);
  auto n = file_.ReadAt(offset_, buffer_);
  if (!n) {
    error_ = n.error();
    return false;
  }
  if (*n == 0) {
    eof_ = true;
    return false;
  }
  if (offset_ + *n > max_bytes_) {
    error_ = InvalidInput("file is larger than the limit of " + std::to_string(max_bytes_) + " bytes",
                          {.source = file_.name()});
    return false;
  }
  offset_ += *n;
  pos_ = reinterpret_cast<const char*>(buffer_.data());
  end_ = pos_ + *n;
  return true;
}

}  // namespace imawatch::appraise
