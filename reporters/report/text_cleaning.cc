#include "reporters/report/text_cleaning.h"

namespace imawatch::report {

std::string OneLine(std::string_view text, std::string_view fallback) {
  std::string out;
  bool space = false;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out.empty() ? std::string(fallback) : out;
}

}  // namespace imawatch::report
