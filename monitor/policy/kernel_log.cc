#include "monitor/policy/kernel_log.h"

#include <sys/klog.h>

#include <set>
#include <string_view>

namespace imawatch::policy {
namespace {

constexpr int kSyslogActionReadAll = 3;
constexpr int kSyslogActionSizeBuffer = 10;

bool IsImaLine(std::string_view line) {
  // After the "[   12.345678] " timestamp: IMA's pr_fmt prefix, or an integrity audit type (1800-1807).
  return line.find("] ima: ") != std::string_view::npos ||
         line.find("audit: type=180") != std::string_view::npos;
}

}  // namespace

std::vector<std::string> KernelLogLines() {
  int size = ::klogctl(kSyslogActionSizeBuffer, nullptr, 0);
  if (size <= 0) return {};
  std::string buffer(static_cast<size_t>(size), '\0');
  int n = ::klogctl(kSyslogActionReadAll, buffer.data(), size);
  if (n <= 0) return {};
  buffer.resize(static_cast<size_t>(n));
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < buffer.size()) {
    size_t end = buffer.find('\n', start);
    if (end == std::string::npos) end = buffer.size();
    lines.emplace_back(buffer, start, end - start);
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> NewImaLogLines(const std::vector<std::string>& before,
                                        const std::vector<std::string>& after) {
  std::set<std::string_view> seen(before.begin(), before.end());
  std::vector<std::string> out;
  for (const auto& line : after) {
    if (IsImaLine(line) && !seen.contains(line)) out.push_back(line);
  }
  return out;
}

}  // namespace imawatch::policy
