#include "monitor/http/http_response.h"

#include <array>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "monitor/base/utf8.h"

namespace imawatch::http {
namespace {

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

// RFC 9110 5.6.7 IMF-fixdate, spelled out rather than through strftime, which follows the locale.
std::string HttpDate() {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                kDays[static_cast<size_t>(tm.tm_wday) % 7], tm.tm_mday,
                kMonths[static_cast<size_t>(tm.tm_mon) % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

bool IsTokenChar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c != 0 && std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos);
}

bool IsFramingField(std::string_view name) {
  auto equals = [&](std::string_view lower) {
    if (name.size() != lower.size()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
      char c = name[i] >= 'A' && name[i] <= 'Z' ? static_cast<char>(name[i] - 'A' + 'a') : name[i];
      if (c != lower[i]) return false;
    }
    return true;
  };
  return equals("content-length") || equals("transfer-encoding") || equals("connection");
}

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ");
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  out.append("\r\n");
}

}  // namespace

Response JsonError(int status, std::string_view message) {
  Response r;
  r.status = status;
  r.body = nlohmann::json{{"error", Utf8OrEscaped(message)}}.dump() + "\n";
  return r;
}

std::string Serialize(const Response& r, bool head_only, bool keep_alive) {
  int status = r.status >= 100 && r.status <= 599 ? r.status : 500;  // the status line needs three digits
  bool bodiless = status < 200 || status == 204 || status == 304;
  std::string out;
  out.reserve(256 + r.body.size());
  out.append("HTTP/1.1 ")
      .append(std::to_string(status))
      .append(" ")
      .append(ReasonPhrase(status))
      .append("\r\n");
  AppendField(out, "Date", HttpDate());
  if (!bodiless) {
    if (!r.content_type.empty()) AppendField(out, "Content-Type", r.content_type);
    AppendField(out, "Content-Length", std::to_string(r.body.size()));
  }
  AppendField(out, "Connection", keep_alive ? "keep-alive" : "close");
  for (const auto& [name, value] : r.headers) {
    bool token = !name.empty();
    for (char c : name) token = token && IsTokenChar(static_cast<unsigned char>(c));
    if (token && !IsFramingField(name)) AppendField(out, name, value);
  }
  out.append("\r\n");
  if (!head_only && !bodiless) out.append(r.body);
  return out;
}

}  // namespace imawatch::http
