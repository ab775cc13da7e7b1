// Structured logs: one line per event (JSON or logfmt) with ts, level and msg first, then the
// event's fields. Lines are whole: a log shipper never sees two events interleaved.
#pragma once

#include <atomic>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace imawatch::daemon {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kJson, kLogfmt };

std::string_view LogLevelName(LogLevel level);  // "debug", "info", "warn", "error"
std::optional<LogLevel> LogLevelFromName(std::string_view name);
std::string_view LogFormatName(LogFormat format);  // "json", "logfmt"
std::optional<LogFormat> LogFormatFromName(std::string_view name);

// One field value. Strings are views: a LogValue lives only as long as the Log call it is passed to.
class LogValue {
 public:
  using Variant = std::variant<std::string_view, int64_t, uint64_t, double, bool>;

  LogValue(std::string_view s) : v_(s) {}                      // NOLINT: implicit, fields read like a literal
  LogValue(const char* s) : v_(std::string_view(s)) {}         // NOLINT
  LogValue(const std::string& s) : v_(std::string_view(s)) {}  // NOLINT
  LogValue(bool b) : v_(b) {}                                  // NOLINT
  LogValue(double d) : v_(d) {}                                // NOLINT
  template <std::signed_integral T>
  LogValue(T i) : v_(static_cast<int64_t>(i)) {}  // NOLINT
  template <std::unsigned_integral T>
  requires(!std::same_as<T, bool>) LogValue(T u) : v_(static_cast<uint64_t>(u)) {}  // NOLINT

  const Variant& value() const { return v_; }

 private:
  Variant v_;
};

using LogField = std::pair<std::string_view, LogValue>;

class Logger {
 public:
  explicit Logger(LogFormat format = LogFormat::kJson, LogLevel min = LogLevel::kInfo, FILE* out = stderr);

  // Field names should not repeat ts, level or msg.
  void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});
  void Debug(std::string_view event, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kDebug, event, fields);
  }
  void Info(std::string_view event, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kInfo, event, fields);
  }
  void Warn(std::string_view event, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kWarn, event, fields);
  }
  void Error(std::string_view event, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kError, event, fields);
  }

  void set_level(LogLevel level) { min_.store(level, std::memory_order_relaxed); }
  void set_format(LogFormat format) { format_.store(format, std::memory_order_relaxed); }

 private:
  std::atomic<LogFormat> format_;
  std::atomic<LogLevel> min_;
  FILE* out_;
  std::mutex write_mu_;
};

}  // namespace imawatch::daemon
