#include "reporters/sinks/cef.h"

#include <algorithm>

namespace imawatch::sinks {
namespace {

Error BadCef(std::string message, size_t offset) {
  return Error(ErrorKind::kInvalidInput, "CEF: " + std::move(message) + " at byte " + std::to_string(offset));
}

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '[' || c == ']';
}

// The position of the `=` ending the next extension key that starts at `from` (after a space),
// or npos: an unescaped " key=" ends the current value.
size_t NextKeyEquals(std::string_view text, size_t from) {
  size_t i = from;
  while (i < text.size() && IsKeyChar(text[i])) ++i;
  if (i == from || i >= text.size() || text[i] != '=') return std::string_view::npos;
  return i;
}

}  // namespace

std::string EscapeCefHeader(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (char c : field) {
    if (c == '\\' || c == '|') {
      out += '\\';
      out += c;
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeCefExtensionValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '=':
        out += "\\=";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderCef(const CefRecord& r) {
  std::string out = "CEF:" + EscapeCefHeader(r.version);
  for (const std::string* field :
       {&r.vendor, &r.product, &r.product_version, &r.signature_id, &r.name, &r.severity}) {
    out += '|';
    out += EscapeCefHeader(*field);
  }
  out += '|';
  bool first = true;
  for (const auto& [key, value] : r.extension) {
    if (!first) out += ' ';
    first = false;
    out += key;
    out += '=';
    out += EscapeCefExtensionValue(value);
  }
  return out;
}

Result<CefRecord> ParseCef(std::string_view text) {
  if (!text.starts_with("CEF:")) return BadCef("expected \"CEF:\"", 0);
  std::vector<std::string> header;
  std::string field;
  size_t i = 4;
  while (header.size() < 7) {
    if (i >= text.size())
      return BadCef("the header ends after " + std::to_string(header.size()) + " of 7 fields", i);
    const char c = text[i];
    if (c == '\\') {
      if (i + 1 >= text.size() || (text[i + 1] != '\\' && text[i + 1] != '|'))
        return BadCef("a header may escape only \\ and |", i);
      field += text[i + 1];
      i += 2;
    } else if (c == '|') {
      header.push_back(std::move(field));
      field.clear();
      ++i;
    } else if (c == '\n' || c == '\r') {
      return BadCef("a line break in the header", i);
    } else {
      field += c;
      ++i;
    }
  }
  CefRecord r{.version = header[0],
              .vendor = header[1],
              .product = header[2],
              .product_version = header[3],
              .signature_id = header[4],
              .name = header[5],
              .severity = header[6]};
  std::string_view ext = text.substr(i);
  size_t pos = 0;
  while (pos < ext.size()) {
    size_t eq = NextKeyEquals(ext, pos);
    if (eq == std::string_view::npos) return BadCef("expected key=value", i + pos);
    std::string key(ext.substr(pos, eq - pos));
    std::string value;
    size_t j = eq + 1;
    for (;;) {
      if (j >= ext.size()) break;
      const char c = ext[j];
      if (c == '\\') {
        if (j + 1 >= ext.size()) return BadCef("a lone \\ at the end", i + j);
        switch (ext[j + 1]) {
          case '\\':
            value += '\\';
            break;
          case '=':
            value += '=';
            break;
          case 'n':
            value += '\n';
            break;
          case 'r':
            value += '\r';
            break;
          default:
            return BadCef("unknown escape \\" + std::string(1, ext[j + 1]), i + j);
        }
        j += 2;
      } else if (c == '=') {
        return BadCef("an unescaped = in a value", i + j);
      } else if (c == ' ' && NextKeyEquals(ext, j + 1) != std::string_view::npos) {
        break;
      } else if (c == '\n' || c == '\r') {
        return BadCef("an unescaped line break in a value", i + j);
      } else {
        value += c;
        ++j;
      }
    }
    if (!r.extension.emplace(std::move(key), std::move(value)).second)
      return BadCef("a key given twice", i + pos);
    pos = j < ext.size() ? j + 1 : j;
  }
  return r;
}

CefRecord FindingCef(const FindingEvent& e, std::string_view product_version) {
  const size_t colon = e.key.find(':');
  const std::string kind = colon == std::string::npos ? e.key : e.key.substr(0, colon);
  const std::string subject =
      e.subject.empty() ? e.key.substr(colon == std::string::npos ? 0 : colon + 1) : e.subject;
  CefRecord r{.version = "0",
              .vendor = "imawatch",
              .product = "imawatch",
              .product_version = std::string(product_version),
              .signature_id = kind,
              .name = kind + " finding " + e.state + ": " + subject,
              .severity = e.state == "resolved" ? "1" : "7"};
  r.extension = {{"rt", std::to_string(e.time * 1000)},
                 {"dvchost", e.node},
                 {"externalId", e.EventId()},
                 {"act", e.state},
                 {"msg", subject},
                 {"cs1Label", "findingId"},
                 {"cs1", e.FindingId()},
                 {"cs2Label", "findingKey"},
                 {"cs2", e.key},
                 {"cn1Label", "sequence"},
                 {"cn1", std::to_string(e.sequence)},
                 {"cn2Label", "epoch"},
                 {"cn2", std::to_string(e.epoch)}};
  if (auto detail = e.payload.find("detail"); detail != e.payload.end() && detail->is_object()) {
    if (auto path = detail->find("path"); path != detail->end() && path->is_string())
      r.extension["filePath"] = path->get<std::string>();
  }
  return r;
}

}  // namespace imawatch::sinks
