#include "monitor/daemon/logger.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>

#include "monitor/base/utf8.h"

namespace imawatch::daemon {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendUnicodeEscape(std::string& out, unsigned char c) {
  out += "\\u00";
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}

// JSON and logfmt share the escapes: \" \\ \n \r \t and \u00XX for other control bytes.
void AppendEscaped(std::string& out, std::string_view text) {
  std::string safe = Utf8OrEscaped(text);
  for (char ch : safe) {
    auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          AppendUnicodeEscape(out, c);
        } else {
          out += ch;
        }
    }
  }
}

void AppendQuoted(std::string& out, std::string_view text) {
  out += '"';
  AppendEscaped(out, text);
  out += '"';
}

// go-logfmt's rule: quote when empty or when a space, '=', '"' or control byte would split the pair.
bool NeedsLogfmtQuotes(std::string_view text) {
  if (text.empty() || !IsValidUtf8(text)) return true;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= ' ' || c == 0x7f || ch == '=' || ch == '"') return true;
  }
  return false;
}

void AppendLogfmtString(std::string& out, std::string_view text) {
  if (NeedsLogfmtQuotes(text)) {
    AppendQuoted(out, text);
  } else {
    out += text;
  }
}

// logfmt keys cannot be quoted: bytes that would break the pair become '_'.
void AppendLogfmtKey(std::string& out, std::string_view key) {
  if (key.empty()) {
    out += '_';
    return;
  }
  for (char ch : key) {
    auto c = static_cast<unsigned char>(ch);
    out += (c <= ' ' || c >= 0x7f || ch == '=' || ch == '"') ? '_' : ch;
  }
}

void AppendNumber(std::string& out, auto value) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, ec == std::errc() ? end : buf);
}

// JSON has no NaN or infinity; logfmt readers (Go's strconv) accept these spellings.
void AppendDouble(std::string& out, double d, LogFormat format) {
  if (std::isfinite(d)) {
    AppendNumber(out, d);
  } else if (format == LogFormat::kJson) {
    out += "null";
  } else {
    out += std::isnan(d) ? "NaN" : (d > 0 ? "+Inf" : "-Inf");
  }
}

void AppendValue(std::string& out, const LogValue& value, LogFormat format) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          if (format == LogFormat::kJson) {
            AppendQuoted(out, v);
          } else {
            AppendLogfmtString(out, v);
          }
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          AppendDouble(out, v, format);
        } else {
          AppendNumber(out, v);
        }
      },
      value.value());
}

// RFC 3339 UTC with milliseconds: 2024-05-01T12:34:56.789Z.
std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  time_t seconds = static_cast<time_t>(ms / 1000);
  int millis = static_cast<int>(ms % 1000);
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  struct tm tm {};
  gmtime_r(&seconds, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", millis);
  return buf;
}

std::string FormatLine(LogFormat format, LogLevel level, std::string_view event,
                       std::initializer_list<LogField> fields) {
  std::string line;
  line.reserve(128);
  if (format == LogFormat::kJson) {
    line += "{\"ts\":\"" + Timestamp() + "\",\"level\":\"";
    line += LogLevelName(level);
    line += "\",\"msg\":";
    AppendQuoted(line, event);
    for (const auto& [key, value] : fields) {
      line += ',';
      AppendQuoted(line, key);
      line += ':';
      AppendValue(line, value, format);
    }
    line += "}\n";
  } else {
    line += "ts=" + Timestamp() + " level=";
    line += LogLevelName(level);
    line += " msg=";
    AppendLogfmtString(line, event);
    for (const auto& [key, value] : fields) {
      line += ' ';
      AppendLogfmtKey(line, key);
      line += '=';
      AppendValue(line, value, format);
    }
    line += '\n';
  }
  return line;
}

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::optional<LogLevel> LogLevelFromName(std::string_view name) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (name == LogLevelName(level)) return level;
  }
  return std::nullopt;
}

std::string_view LogFormatName(LogFormat format) { return format == LogFormat::kJson ? "json" : "logfmt"; }

std::optional<LogFormat> LogFormatFromName(std::string_view name) {
  for (LogFormat format : {LogFormat::kJson, LogFormat::kLogfmt}) {
    if (name == LogFormatName(format)) return format;
  }
  return std::nullopt;
}

Logger::Logger(LogFormat format, LogLevel min, FILE* out) : format_(format), min_(min), out_(out) {}

void Logger::Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (level < min_.load(std::memory_order_relaxed)) return;
  std::string line = FormatLine(format_.load(std::memory_order_relaxed), level, event, fields);
  std::lock_guard lock(write_mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace imawatch::daemon
