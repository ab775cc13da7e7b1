#include "reporters/sinks/syslog_frame.h"

#include <charconv>
#include <ctime>

namespace imawatch::sinks {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string HeaderField(std::string_view value, size_t max) {
  if (value.empty()) return "-";
  std::string out;
  for (char c : value.substr(0, max)) out += (c > 32 && c < 127) ? c : '_';
  return out;
}

std::string Timestamp(int64_t time_ms) {
  const time_t seconds = static_cast<time_t>(time_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[96];
  const int ms = static_cast<int>(time_ms % 1000);
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms < 0 ? 0 : ms);
  return text;
}

Error Bad(std::string message, size_t offset) {
  return Error(ErrorKind::kInvalidInput,
               "syslog: " + std::move(message) + " at byte " + std::to_string(offset));
}

}  // namespace

std::string RenderSyslog(const SyslogHeader& h, std::string_view msg) {
  const int pri = (h.facility & 0x1f) * 8 + (h.severity & 7);
  std::string out = "<" + std::to_string(pri) + ">1 " + Timestamp(h.time_ms) + " " +
                    HeaderField(h.hostname, 255) + " " + HeaderField(h.app_name, 48) + " " +
                    HeaderField(h.procid, 128) + " " + HeaderField(h.msgid, 32) + " - ";
  out += kBom;
  out += msg;
  return out;
}

std::string FrameOctetCounted(std::string_view message) {
  return std::to_string(message.size()) + " " + std::string(message);
}

Result<std::vector<std::string>> TakeFrames(std::string& buffer, size_t max_frame) {
  std::vector<std::string> frames;
  size_t pos = 0;
  for (;;) {
    const size_t space = buffer.find(' ', pos);
    if (space == std::string::npos) {
      if (buffer.size() - pos > 10) return Bad("no frame length in the first 10 bytes", pos);
      break;
    }
    std::string_view digits(buffer.data() + pos, space - pos);
    size_t length = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (digits.empty() || digits.size() > 10 || digits[0] == '0' || ec != std::errc() ||
        end != digits.data() + digits.size()) {
      return Bad("expected a frame length (a decimal number without leading zeros)", pos);
    }
    if (length > max_frame) return Bad("a frame of " + std::to_string(length) + " bytes is too large", pos);
    if (buffer.size() - (space + 1) < length) break;
    frames.emplace_back(buffer, space + 1, length);
    pos = space + 1 + length;
  }
  buffer.erase(0, pos);
  return frames;
}

Result<ParsedSyslog> ParseSyslog(std::string_view m) {
  ParsedSyslog out;
  if (m.empty() || m[0] != '<') return Bad("expected <PRI>", 0);
  const size_t close = m.find('>');
  if (close == std::string_view::npos || close < 2 || close > 4) return Bad("expected <PRI>", 0);
  int pri = 0;
  auto [end, ec] = std::from_chars(m.data() + 1, m.data() + close, pri);
  if (ec != std::errc() || end != m.data() + close || pri > 191) return Bad("PRI must be 0-191", 1);
  out.facility = pri / 8;
  out.severity = pri % 8;
  size_t pos = close + 1;
  if (m.substr(pos, 2) != "1 ") return Bad("expected version 1", pos);
  pos += 2;
  std::string* fields[] = {&out.timestamp, &out.hostname, &out.app_name, &out.procid, &out.msgid};
  for (std::string* field : fields) {
    const size_t sp = m.find(' ', pos);
    if (sp == std::string_view::npos || sp == pos) return Bad("a header field is missing", pos);
    *field = std::string(m.substr(pos, sp - pos));
    pos = sp + 1;
  }
  if (pos >= m.size() || m[pos] != '-') return Bad("only NILVALUE structured data is read", pos);
  out.structured_data = "-";
  ++pos;
  if (pos < m.size()) {
    if (m[pos] != ' ') return Bad("expected a space before MSG", pos);
    std::string_view msg = m.substr(pos + 1);
    if (msg.starts_with(kBom)) msg.remove_prefix(kBom.size());
    out.msg = std::string(msg);
  }
  return out;
}

}  // namespace imawatch::sinks
