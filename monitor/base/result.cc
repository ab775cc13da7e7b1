#include "monitor/base/result.h"

namespace imawatch {

std::string Position::ToString() const {
  std::string out = source;
  if (line) {
    out += (out.empty() ? "line " : ":") + std::to_string(*line);
    if (column) out += ":" + std::to_string(*column);
    return out;
  }
  if (byte_offset) {
    out += (out.empty() ? "" : ": ") + std::string("byte offset ") + std::to_string(*byte_offset);
  }
  if (entry_index) out += " (entry " + std::to_string(*entry_index) + ")";
  return out;
}

std::string Error::ToString() const {
  std::string where = where_.ToString();
  return where.empty() ? message_ : where + ": " + message_;
}

}  // namespace imawatch
