#include "reporters/sinks/retry_policy.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>

namespace imawatch::sinks {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<int> Digits(std::string_view s, size_t count) {
  if (s.size() != count) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<int> Month(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

bool IsDayName(std::string_view name, bool long_form) {
  static constexpr std::array<std::string_view, 7> kShort = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 7> kLong = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                            "Friday", "Saturday", "Sunday"};
  const auto& names = long_form ? kLong : kShort;
  return std::find(names.begin(), names.end(), name) != names.end();
}

// "HH:MM:SS"
bool Clock(std::string_view s, std::tm& tm) {
  if (s.size() != 8 || s[2] != ':' || s[5] != ':') return false;
  auto h = Digits(s.substr(0, 2), 2), m = Digits(s.substr(3, 2), 2), sec = Digits(s.substr(6, 2), 2);
  if (!h || !m || !sec || *h > 23 || *m > 59 || *sec > 60) return false;
  tm.tm_hour = *h;
  tm.tm_min = *m;
  tm.tm_sec = *sec;
  return true;
}

std::optional<int64_t> ToUnix(std::tm tm, int day) {
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day < 1 || day > kDays[tm.tm_mon]) return std::nullopt;
  tm.tm_mday = day;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

milliseconds BackoffDelay(const BackoffOptions& options, int64_t retry, double unit_random) {
  const int64_t initial = std::max<int64_t>(options.initial.count(), 1);
  const int64_t max = std::max<int64_t>(options.max.count(), initial);
  int64_t base = initial;
  for (int64_t i = 1; i < retry && base < max; ++i) base = std::min(base * 2, max);
  base = std::min(base, max);
  const double r = std::clamp(unit_random, 0.0, 1.0);
  return milliseconds(base / 2 + static_cast<int64_t>(static_cast<double>(base - base / 2) * r));
}

std::optional<int64_t> ParseHttpDate(std::string_view text) {
  text = Trim(text);
  std::tm tm{};
  const size_t comma = text.find(',');
  if (comma == 3) {  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    if (text.size() != 29 || !IsDayName(text.substr(0, 3), false) || text[4] != ' ' || text[7] != ' ' ||
        text[11] != ' ' || text[16] != ' ' || text.substr(25) != " GMT") {
      return std::nullopt;
    }
    auto day = Digits(text.substr(5, 2), 2);
    auto month = Month(text.substr(8, 3));
    auto year = Digits(text.substr(12, 4), 4);
    if (!day || !month || !year || !Clock(text.substr(17, 8), tm)) return std::nullopt;
    tm.tm_mon = *month;
    tm.tm_year = *year - 1900;
    return ToUnix(tm, *day);
  }
  if (comma != std::string_view::npos) {  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
    if (!IsDayName(text.substr(0, comma), true)) return std::nullopt;
    std::string_view rest = text.substr(comma + 1);
    if (rest.size() != 23 || rest[0] != ' ' || rest[3] != '-' || rest[7] != '-' || rest[10] != ' ' ||
        rest.substr(19) != " GMT") {
      return std::nullopt;
    }
    auto day = Digits(rest.substr(1, 2), 2);
    auto month = Month(rest.substr(4, 3));
    auto year = Digits(rest.substr(8, 2), 2);
    if (!day || !month || !year || !Clock(rest.substr(11, 8), tm)) return std::nullopt;
    tm.tm_mon = *month;
    // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
    tm.tm_year = *year < 70 ? *year + 100 : *year;
    return ToUnix(tm, *day);
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (text.size() != 24 || !IsDayName(text.substr(0, 3), false) || text[3] != ' ' || text[7] != ' ' ||
      text[10] != ' ' || text[19] != ' ') {
    return std::nullopt;
  }
  auto month = Month(text.substr(4, 3));
  std::string_view day_text = text.substr(8, 2);
  if (day_text[0] == ' ') day_text.remove_prefix(1);
  auto day = Digits(day_text, day_text.size());
  auto year = Digits(text.substr(20, 4), 4);
  if (!month || !day || day_text.empty() || !year || !Clock(text.substr(11, 8), tm)) return std::nullopt;
  tm.tm_mon = *month;
  tm.tm_year = *year - 1900;
  return ToUnix(tm, *day);
}

std::optional<milliseconds> ParseRetryAfter(std::string_view value, int64_t now) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (value.front() >= '0' && value.front() <= '9') {
    uint64_t seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (end != value.data() + value.size()) return std::nullopt;
    const auto cap =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(kMaxRetryAfter).count());
    if (ec == std::errc::result_out_of_range || seconds > cap) return kMaxRetryAfter;
    if (ec != std::errc()) return std::nullopt;
    return milliseconds(static_cast<int64_t>(seconds) * 1000);
  }
  auto date = ParseHttpDate(value);
  if (!date) return std::nullopt;
  if (*date <= now) return milliseconds(0);
  return std::min<milliseconds>(milliseconds((*date - now) * 1000), kMaxRetryAfter);
}

}  // namespace imawatch::sinks
