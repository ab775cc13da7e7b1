#include "monitor/appraise/checksum_format.h"

#include "monitor/appraise/digest_text.h"
#include "monitor/appraise/text_lines.h"
#include "monitor/base/hex.h"

namespace imawatch::appraise {
namespace {

// GNU escapes only these in names (and then starts the line with '\').
bool UnescapeGnu(std::string_view text, std::string& out) {
  out.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i >= text.size()) return false;
    if (text[i] == '\\') {
      out += '\\';
    } else if (text[i] == 'n') {
      out += '\n';
    } else if (text[i] == 'r') {
      out += '\r';
    } else {
      return false;
    }
  }
  return true;
}

// "./usr/bin/x", "usr/bin/x" -> "/usr/bin/x".
void Normalize(std::string& name) {
  size_t strip = 0;
  while (name.compare(strip, 2, "./") == 0) strip += 2;
  name.erase(0, strip);
  if (name.empty() || name.front() != '/') name.insert(name.begin(), '/');
}

bool IsBsdAlgoChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'; }

}  // namespace

Error ChecksumParser::Fail(const std::string& message, std::string_view line, std::string_view at) const {
  auto column = static_cast<uint32_t>(at.data() - line.data() + 1);
  return InvalidInput(message, {.source = source_, .line = line_, .column = column});
}

Status ChecksumParser::ParseLine(std::string_view line, uint32_t number) {
  line_ = number;
  if (line.empty()) return Status::Ok();
  std::string_view rest = line;
  bool escaped = rest.front() == '\\';
  if (escaped) rest.remove_prefix(1);

  size_t algo_end = 0;
  while (algo_end < rest.size() && IsBsdAlgoChar(rest[algo_end])) ++algo_end;
  ima::Digest digest;
  std::string_view name_text;
  if (algo_end > 0 && rest.substr(algo_end, 2) == " (") {
    // BSD: ALGO (NAME) = HEX
    std::string_view algo_name = rest.substr(0, algo_end);
    auto algo = ima::HashAlgoFromName(algo_name);
    if (!algo) return Fail("unknown hash algorithm '" + std::string(algo_name) + "'", line, algo_name);
    size_t close = rest.rfind(") = ");
    if (close == std::string_view::npos || close < algo_end + 2) {
      return Fail("expected 'ALGO (NAME) = HEX'", line, rest);
    }
    name_text = rest.substr(algo_end + 2, close - algo_end - 2);
    std::string_view hex = rest.substr(close + 4);
    digest = ima::Digest::Zero(*algo);
    if (!FromHexInto(hex, digest.mutable_view())) {
      return Fail("expected a " + std::string(ima::Name(*algo)) + " digest of " +
                      std::to_string(2 * digest.size) + " hex digits",
                  line, hex);
    }
  } else {
    // GNU: HEX, a space, ' ' (text) or '*' (binary), NAME to the end of the line
    size_t space = rest.find(' ');
    std::string_view hex = rest.substr(0, space);
    if (hex.empty()) return Fail("missing digest", line, rest);
    if (hex.find(':') != std::string_view::npos) return Fail("unexpected ':' in a digest", line, hex);
    auto parsed = ParseDigestText(hex);
    if (!parsed) return Fail(parsed.error().message(), line, hex);
    digest = *parsed;
    if (space == std::string_view::npos || space + 1 >= rest.size() ||
        (rest[space + 1] != ' ' && rest[space + 1] != '*')) {
      return Fail("expected two spaces or ' *' between the digest and the name", line,
                  rest.substr(std::min(space, rest.size())));
    }
    name_text = rest.substr(space + 2);
  }
  if (name_text.empty()) return Fail("missing name", line, name_text);
  if (escaped) {
    if (!UnescapeGnu(name_text, name_)) return Fail("bad escape in name", line, name_text);
  } else {
    name_.assign(name_text);
  }
  Normalize(name_);
  if (Status st = b_.Add(NameKind::kFile, name_, digest); !st)
    return Fail(st.error().message(), line, name_text);
  return Status::Ok();
}

Result<AllowList> ParseChecksums(std::string_view text, const std::string& source) {
  AllowListBuilder builder;
  ChecksumParser parser(builder, source);
  if (Status st =
          ForEachLine(text, [&](std::string_view line, uint32_t n) { return parser.ParseLine(line, n); });
      !st) {
    return st.error();
  }
  return builder.Build();
}

Result<AllowList> LoadChecksums(Env& env, const std::string& path) {
  auto file = env.OpenForRead(path);
  if (!file) return file.error();
  AllowListBuilder builder;
  ReserveForText(env, path, builder);
  ChecksumParser parser(builder, path);
  if (Status st =
          ForEachLine(**file, [&](std::string_view line, uint32_t n) { return parser.ParseLine(line, n); });
      !st) {
    return st.error();
  }
  return builder.Build();
}

}  // namespace imawatch::appraise
