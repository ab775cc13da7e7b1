#include "monitor/audit/audit_log_parser.h"

#include <auparse.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <variant>

namespace imawatch::audit {
namespace {

struct Header {
  std::optional<ImaAuditKind> kind;
  int64_t time_ms = 0;
  uint64_t serial = 0;
};

struct HeaderError {
  size_t column;  // 0-based
  std::string message;
};

std::optional<ImaAuditKind> KindOfTypeToken(std::string_view token) {
  if (token.starts_with("UNKNOWN[") && token.ends_with("]")) token = token.substr(8, token.size() - 9);
  int number = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), number);
  if (ec == std::errc() && end == token.data() + token.size()) return KindOfAuditType(number);
  for (int type = kFirstImaAuditType; type <= kLastImaAuditType; ++type) {
    if (Name(*KindOfAuditType(type)) == token) return KindOfAuditType(type);
  }
  return std::nullopt;
}

// Digits at line[pos..] into value; false on none or overflow.
template <typename T>
bool ParseDigits(std::string_view line, size_t& pos, T& value, size_t* count = nullptr) {
  const char* begin = line.data() + pos;
  if (pos >= line.size() || line[pos] < '0' || line[pos] > '9') return false;
  auto [end, ec] = std::from_chars(begin, line.data() + line.size(), value);
  if (ec != std::errc()) return false;
  if (count) *count = static_cast<size_t>(end - begin);
  pos += static_cast<size_t>(end - begin);
  return true;
}

// "[node=N ]type=T msg=audit(SEC.MMM:SERIAL): …" or the console's "type=T audit(…): …".
std::variant<Header, HeaderError> ParseHeader(std::string_view line) {
  size_t pos = 0;
  auto expect = [&](std::string_view literal) {
    if (line.substr(pos, literal.size()) != literal) return false;
    pos += literal.size();
    return true;
  };
  if (expect("node=")) {
    size_t space = line.find(' ', pos);
    if (space == std::string_view::npos) return HeaderError{pos, "node= without a record after it"};
    pos = space + 1;
  }
  if (!expect("type=")) return HeaderError{pos, "expected type= (not a raw audit record)"};
  size_t space = line.find(' ', pos);
  if (space == std::string_view::npos || space == pos) return HeaderError{pos, "expected a record type"};
  Header h;
  h.kind = KindOfTypeToken(line.substr(pos, space - pos));
  pos = space + 1;
  if (!expect("msg=audit(") && !expect("audit(")) return HeaderError{pos, "expected msg=audit("};
  int64_t seconds = 0;
  if (!ParseDigits(line, pos, seconds) || seconds > std::numeric_limits<int64_t>::max() / 1000 - 1) {
    return HeaderError{pos, "expected the record's time in seconds"};
  }
  if (!expect(".")) return HeaderError{pos, "expected '.' and milliseconds"};
  int millis = 0;
  size_t digits = 0;
  if (!ParseDigits(line, pos, millis, &digits) || digits != 3) {
    return HeaderError{pos - digits, "expected three digits of milliseconds"};
  }
  if (!expect(":")) return HeaderError{pos, "expected ':' and the serial number"};
  if (!ParseDigits(line, pos, h.serial)) return HeaderError{pos, "expected the serial number"};
  if (!expect("):")) return HeaderError{pos, "expected '):' after the serial number"};
  if (pos < line.size() && line[pos] != ' ') return HeaderError{pos, "expected a space after the header"};
  h.time_ms = seconds * 1000 + millis;
  return h;
}

std::string Unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return std::string(v);
}

std::optional<int64_t> ToInt(const std::map<std::string, std::string>& fields, const char* name) {
  auto it = fields.find(name);
  if (it == fields.end()) return std::nullopt;
  int64_t v = 0;
  const std::string& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string Get(const std::map<std::string, std::string>& fields, const char* name) {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

// integrity_audit_message() prints cause= unquoted and ima_fs.c passes "signed policy
// required": auparse ends the value at the first space, the kernel's layout at " comm=".
std::optional<std::string> CauseWithSpaces(std::string_view line) {
  size_t at = line.find(" cause=");
  if (at == std::string_view::npos) return std::nullopt;
  at += 7;
  size_t end = line.find(" comm=", at);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view cause = line.substr(at, end - at);
  if (cause.find(' ') == std::string_view::npos || cause.starts_with('"')) return std::nullopt;
  return std::string(cause);
}

struct ImaLine {
  std::string_view text;
  uint32_t line = 0;
  Header header;
};

struct AuparseDeleter {
  // DESTROY_ALL also frees auparse's process-wide caches, so nothing outlives a parse.
  void operator()(auparse_state_t* au) const { auparse_destroy_ext(au, AUPARSE_DESTROY_ALL); }
};

// auparse keeps global state (interpretation buffers, caches): one parse at a time.
std::mutex auparse_mutex;

void FillEvent(auparse_state_t* au, const ImaLine& in, ImaAuditEvent& e) {
  e.kind = *in.header.kind;
  e.serial = in.header.serial;
  e.time_ms = in.header.time_ms;
  if (auparse_first_field(au) > 0) {
    do {
      const char* name = auparse_get_field_name(au);
      const char* raw = auparse_get_field_str(au);
      if (!name || !raw) continue;
      std::string value;
      switch (auparse_get_field_type(au)) {
        case AUPARSE_TYPE_ESCAPED:
        case AUPARSE_TYPE_ESCAPED_FILE:
        case AUPARSE_TYPE_ESCAPED_KEY: {
          const char* decoded = auparse_interpret_field(au);
          value = decoded ? decoded : Unquote(raw);
          break;
        }
        default:
          value = Unquote(raw);
      }
      e.fields.emplace(name, std::move(value));
    } while (auparse_next_field(au) > 0);
  }
  if (auto cause = CauseWithSpaces(in.text)) e.fields["cause"] = *cause;
  e.op = Get(e.fields, "op");
  e.cause = Get(e.fields, "cause");
  e.path = e.fields.contains("name") ? Get(e.fields, "name") : Get(e.fields, "file");
  e.comm = Get(e.fields, "comm");
  e.hash = Get(e.fields, "hash");
  if (auto res = ToInt(e.fields, "res")) {
    e.result = static_cast<int>(*res);
  } else if (auto it = e.fields.find("res"); it != e.fields.end()) {
    // ausearch and userspace spell it out.
    if (it->second == "success" || it->second == "yes") e.result = 1;
    if (it->second == "failed" || it->second == "no") e.result = 0;
  }
  e.pid = ToInt(e.fields, "pid");
  e.uid = ToInt(e.fields, "uid");
  e.auid = ToInt(e.fields, "auid");
}

// Splits the IMA records of lines into events with auparse. Returns the index of the first
// record auparse could not read (lines.size() if none) and an error for it.
size_t SplitFields(const std::vector<ImaLine>& lines, const std::string& source,
                   std::vector<ImaAuditEvent>& out, std::optional<Error>& error) {
  if (lines.empty()) return 0;
  std::string buffer;
  for (const ImaLine& l : lines) {
    buffer.append(l.text);
    buffer += '\n';
  }
  std::vector<std::optional<ImaAuditEvent>> events(lines.size());
  {
    std::lock_guard lock(auparse_mutex);
    std::unique_ptr<auparse_state_t, AuparseDeleter> au(auparse_init(AUSOURCE_BUFFER, buffer.c_str()));
    if (!au) {
      error = Error(ErrorKind::kInternal, "auparse_init failed", {.source = source, .line = lines[0].line});
      return 0;
    }
    auparse_set_escape_mode(au.get(), AUPARSE_ESC_RAW);
    while (auparse_next_event(au.get()) > 0) {
      do {
        unsigned n = auparse_get_line_number(au.get());
        if (n == 0 || n > lines.size() || events[n - 1]) continue;
        events[n - 1].emplace();
        FillEvent(au.get(), lines[n - 1], *events[n - 1]);
      } while (auparse_next_record(au.get()) > 0);
    }
  }
  for (size_t i = 0; i < events.size(); ++i) {
    auto& e = events[i];
    bool has_field = e && std::any_of(e->fields.begin(), e->fields.end(),
                                      [](const auto& f) { return f.first != "type" && f.first != "node"; });
    if (!has_field) {
      error = InvalidInput(std::string(e ? "an IMA record without name=value fields"
                                         : "auparse could not read this IMA record"),
                           {.source = source, .line = lines[i].line});
      return i;
    }
    out.push_back(std::move(*e));
  }
  return lines.size();
}

}  // namespace

AuditParse ParseAuditLines(std::string_view text, const std::string& source_name, uint32_t first_line) {
  AuditParse result;
  std::vector<ImaLine> ima;
  uint32_t line_no = first_line;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t next = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view line = text.substr(pos, (nl == std::string_view::npos ? text.size() : nl) - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    Position where{.source = source_name, .line = line_no};
    std::optional<Error> bad;
    if (line.size() > kMaxAuditLineBytes) {
      bad = InvalidInput(
          "line of " + std::to_string(line.size()) + " bytes, longer than an audit record can be", where);
    } else if (size_t nul = line.find('\0'); nul != std::string_view::npos) {
      where.column = static_cast<uint32_t>(nul + 1);
      bad = InvalidInput("NUL byte in an audit record", where);
    } else if (line.find_first_not_of(" \t") != std::string_view::npos) {
      auto header = ParseHeader(line);
      if (auto* e = std::get_if<HeaderError>(&header)) {
        where.column = static_cast<uint32_t>(e->column + 1);
        bad = InvalidInput(e->message, where);
      } else if (std::get<Header>(header).kind) {
        ima.push_back({line, line_no, std::get<Header>(header)});
      }
    }
    pos = next;
    ++line_no;
    if (bad) {
      result.error = std::move(bad);
      break;
    }
  }
  std::optional<Error> field_error;
  size_t good = SplitFields(ima, source_name, result.events, field_error);
  if (field_error) {
    // Stop at the record auparse refused, as at a bad header.
    result.error = std::move(field_error);
    const char* end_of_line = ima[good].text.data() + ima[good].text.size();
    size_t consumed = static_cast<size_t>(end_of_line - text.data());
    if (consumed < text.size() && text[consumed] == '\r') ++consumed;
    if (consumed < text.size() && text[consumed] == '\n') ++consumed;
    pos = consumed;
    line_no = ima[good].line + 1;
  }
  result.consumed = pos;
  result.lines = line_no - first_line;
  return result;
}

Result<std::vector<ImaAuditEvent>> ParseAuditLog(std::string_view text, std::string source_name) {
  AuditParse parse = ParseAuditLines(text, source_name);
  if (parse.error) return std::move(*parse.error);
  return std::move(parse.events);
}

}  // namespace imawatch::audit
