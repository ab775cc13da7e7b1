#include "monitor/appraise/native_format.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "monitor/appraise/digest_text.h"
#include "monitor/appraise/text_lines.h"
#include "monitor/base/hex.h"
#include "monitor/base/utf8.h"

namespace imawatch::appraise {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsTrailingSpace(char c) { return IsSpace(c) || c == '\r' || c == '\v' || c == '\f'; }

std::string_view SkipSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsTrailingSpace(s.back())) s.remove_suffix(1);
  return s;
}

// The next whitespace-delimited token; rest is what follows it.
std::string_view NextToken(std::string_view& rest) {
  rest = SkipSpace(rest);
  size_t end = 0;
  while (end < rest.size() && !IsSpace(rest[end])) ++end;
  std::string_view token = rest.substr(0, end);
  rest.remove_prefix(end);
  return token;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<NameKind> NameKindFromName(std::string_view name) {
  for (NameKind kind : {NameKind::kFile, NameKind::kKeyring, NameKind::kImaBuf}) {
    if (NameKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

}  // namespace

std::string EscapeName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c <= ' ' || c == 0x7f || (i == 0 && c == '*')) {
      constexpr char kDigits[] = "0123456789abcdef";
      out += "\\x";
      out += kDigits[c >> 4];
      out += kDigits[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool UnescapeName(std::string_view text, std::string& out) {
  out.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i >= text.size()) return false;
    switch (text[i]) {
      case '\\':
        out += '\\';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'x': {
        int hi = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
        int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
        if (hi < 0 || lo < 0) return false;
        out += static_cast<char>(hi << 4 | lo);
        i += 2;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

Error NativeParser::Fail(const std::string& message, std::string_view at) const {
  auto column = static_cast<uint32_t>(at.data() - line_begin_ + 1);
  return InvalidInput(message, {.source = source_, .line = line_, .column = column});
}

Result<std::string_view> NativeParser::Name(std::string_view token) {
  if (token.find('\\') == std::string_view::npos) return token;
  if (!UnescapeName(token, name_buffer_)) return Fail("bad escape in name (use \\\\ or \\xHH)", token);
  return std::string_view(name_buffer_);
}

Status NativeParser::ParseFields(std::string_view rest) {
  tags_.clear();
  for (std::string_view field = NextToken(rest); !field.empty(); field = NextToken(rest)) {
    if (!field.starts_with("tags="))
      return Fail("unknown field '" + std::string(field) + "' (expected tags=...)", field);
    std::string_view list = field.substr(5);
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view tag = list.substr(0, comma);
      if (tag.empty()) return Fail("empty tag", list);
      tags_.push_back(tag);
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
      if (list.empty()) return Fail("empty tag after ','", list);
    }
    if (field.size() == 5) return Fail("tags= needs at least one tag", field);
  }
  return Status::Ok();
}

Status NativeParser::ParseEntry(NameKind kind, std::string_view rest) {
  std::string_view digest_token = NextToken(rest);
  if (digest_token.empty()) return Fail("missing digest", rest);
  auto digest = ParseDigestText(digest_token);
  if (!digest) return Fail(digest.error().message(), digest_token);
  std::string_view name_token = NextToken(rest);
  if (name_token.empty()) return Fail("missing name after the digest", rest);
  if (kind == NameKind::kFile && name_token.front() == '*') name_token.remove_prefix(1);  // sha256sum -b
  if (name_token.empty()) return Fail("missing name after the digest", rest);
  if (Status st = ParseFields(rest); !st) return st;
  auto name = Name(name_token);
  if (!name) return name.error();
  if (Status st = b_.Add(kind, *name, *digest, tags_); !st) return Fail(st.error().message(), name_token);
  return Status::Ok();
}

Status NativeParser::ParseNameDirective(std::string_view rest) {
  std::string_view kind_token = NextToken(rest);
  auto kind = NameKindFromName(kind_token);
  if (!kind) return Fail("expected file, keyring or ima-buf", kind_token.empty() ? rest : kind_token);
  std::string_view name_token = NextToken(rest);
  if (name_token.empty()) return Fail("missing name", rest);
  if (Status st = ParseFields(rest); !st) return st;
  auto name = Name(name_token);
  if (!name) return name.error();
  if (Status st = b_.AddTags(*kind, *name, tags_); !st) return Fail(st.error().message(), name_token);
  return Status::Ok();
}

Status NativeParser::ParseDirective(std::string_view line) {
  std::string_view rest = line;
  std::string_view word = NextToken(rest);
  if (word == "@keyring") return ParseEntry(NameKind::kKeyring, rest);
  if (word == "@ima-buf") return ParseEntry(NameKind::kImaBuf, rest);
  if (word == "@name") return ParseNameDirective(rest);
  if (word == "@exclude") {
    std::string_view kind = NextToken(rest);
    PatternKind pattern_kind;
    if (kind == "glob") {
      pattern_kind = PatternKind::kGlob;
    } else if (kind == "regex") {
      pattern_kind = PatternKind::kRegex;
    } else {
      return Fail("expected glob or regex after @exclude", kind.empty() ? rest : kind);
    }
    std::string_view pattern = TrimRight(SkipSpace(rest));
    if (pattern.empty()) return Fail("missing pattern", rest);
    if (Status st = b_.AddExclude(pattern_kind, pattern); !st) return Fail(st.error().message(), pattern);
    return Status::Ok();
  }
  if (word == "@ignored-keyring") {
    std::string_view name_token = NextToken(rest);
    if (name_token.empty()) return Fail("missing keyring name", rest);
    if (!SkipSpace(rest).empty()) return Fail("unexpected text after the keyring name", SkipSpace(rest));
    auto name = Name(name_token);
    if (!name) return name.error();
    if (!IsValidUtf8(*name)) return Fail("keyring names must be UTF-8", name_token);
    auto& ignored = b_.settings().ignored_keyrings;
    if (std::find(ignored.begin(), ignored.end(), *name) == ignored.end()) ignored.emplace_back(*name);
    return Status::Ok();
  }
  if (word == "@log-hash-alg") {
    std::string_view algo = NextToken(rest);
    if (!ima::HashAlgoFromName(algo)) return Fail("unknown hash algorithm '" + std::string(algo) + "'", algo);
    if (!SkipSpace(rest).empty()) return Fail("unexpected text after the algorithm", SkipSpace(rest));
    b_.settings().log_hash_alg = std::string(algo);
    return Status::Ok();
  }
  if (word == "@keylime") {
    std::string_view json = TrimRight(SkipSpace(rest));
    auto extra = nlohmann::ordered_json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (!extra.is_object()) return Fail("@keylime needs a one-line JSON object", json.empty() ? rest : json);
    std::string& current = b_.settings().keylime_extra;
    if (!current.empty()) {
      auto merged = nlohmann::ordered_json::parse(current, nullptr, false);
      if (merged.is_object()) {
        for (auto& [key, value] : extra.items()) merged[key] = value;
        extra = std::move(merged);
      }
    }
    if (Status st = CheckKeylimeExtra(extra.dump()); !st) return Fail(st.error().message(), json);
    current = extra.dump();
    return Status::Ok();
  }
  return Fail("unknown directive '" + std::string(word) + "'", word);
}

Status NativeParser::ParseLine(std::string_view line, uint32_t number) {
  line_ = number;
  line_begin_ = line.data();
  std::string_view rest = SkipSpace(line);
  if (rest.empty() || rest.front() == '#') return Status::Ok();
  if (rest.front() == '@') return ParseDirective(rest);
  if (rest.front() == '\\') rest.remove_prefix(1);  // sha256sum marks escaped names this way
  return ParseEntry(NameKind::kFile, rest);
}

Result<AllowList> ParseNative(std::string_view text, const std::string& source) {
  AllowListBuilder builder;
  NativeParser parser(builder, source);
  if (Status st =
          ForEachLine(text, [&](std::string_view line, uint32_t n) { return parser.ParseLine(line, n); });
      !st) {
    return st.error();
  }
  return builder.Build();
}

Result<AllowList> LoadNative(Env& env, const std::string& path) {
  auto file = env.OpenForRead(path);
  if (!file) return file.error();
  AllowListBuilder builder;
  ReserveForText(env, path, builder);
  NativeParser parser(builder, path);
  if (Status st =
          ForEachLine(**file, [&](std::string_view line, uint32_t n) { return parser.ParseLine(line, n); });
      !st) {
    return st.error();
  }
  return builder.Build();
}

namespace {

struct EntryRef {
  uint32_t name;
  uint8_t code;
  uint32_t digest;
};

}  // namespace

std::string WriteNative(const AllowList& list) {
  const AllowListTables& t = list.tables();
  std::string out = "# imawatch allow list (doc/allowlist-format.md)\n";
  const PolicySettings& settings = list.settings();
  if (!settings.log_hash_alg.empty()) out += "@log-hash-alg " + settings.log_hash_alg + "\n";
  for (const auto& keyring : settings.ignored_keyrings)
    out += "@ignored-keyring " + EscapeName(keyring) + "\n";
  if (!settings.keylime_extra.empty()) out += "@keylime " + settings.keylime_extra + "\n";
  for (const auto& pattern : list.excludes().patterns()) {
    out += "@exclude ";
    out += PatternKindName(pattern.kind());
    out += ' ';
    out += pattern.text();
    out += '\n';
  }

  std::vector<EntryRef> entries;
  entries.reserve(list.entry_count());
  for (uint8_t code = 0; code < layout::kAlgoCount; ++code) {
    const auto& d = t.digests[code];
    for (uint32_t i = 0; i < d.count; ++i) {
      for (uint32_t owner : t.owners.subspan(d.owners[i].first, d.owners[i].count))
        entries.push_back({owner, code, i});
    }
  }
  auto digest_bytes = [&](const EntryRef& e) {
    const auto& d = t.digests[e.code];
    return std::string_view(reinterpret_cast<const char*>(d.bytes) + size_t{e.digest} * d.digest_size,
                            d.digest_size);
  };
  auto name_order = [&](uint32_t a, uint32_t b) {
    if (list.Kind(a) != list.Kind(b)) return list.Kind(a) < list.Kind(b);
    return list.Name(a) < list.Name(b);
  };
  std::sort(entries.begin(), entries.end(), [&](const EntryRef& a, const EntryRef& b) {
    if (a.name != b.name) return name_order(a.name, b.name);
    if (a.code != b.code) return a.code < b.code;
    return digest_bytes(a) < digest_bytes(b);
  });

  auto append_tags = [&](uint32_t name) {
    TagList tags = list.Tags(name);
    for (size_t i = 0; i < tags.size(); ++i) {
      out += i == 0 ? "  tags=" : ",";
      out += tags[i];
    }
    out += '\n';
  };
  for (const EntryRef& e : entries) {
    NameKind kind = list.Kind(e.name);
    if (kind == NameKind::kKeyring) out += "@keyring ";
    if (kind == NameKind::kImaBuf) out += "@ima-buf ";
    out += ima::Name(layout::kAlgoByCode[e.code]);
    out += ':';
    std::string_view bytes = digest_bytes(e);
    AppendHex(out, {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
    out += "  ";
    out += EscapeName(list.Name(e.name));
    append_tags(e.name);
  }
  std::vector<uint32_t> bare;  // names without digests
  for (uint32_t id = 0; id < t.names.size(); ++id) {
    if (t.names[id].algo_mask == 0) bare.push_back(id);
  }
  std::sort(bare.begin(), bare.end(), name_order);
  for (uint32_t id : bare) {
    out += "@name ";
    out += NameKindName(list.Kind(id));
    out += ' ';
    out += EscapeName(list.Name(id));
    append_tags(id);
  }
  return out;
}

}  // namespace imawatch::appraise
