#include "monitor/ima/ascii_reader.h"

#include <charconv>
#include <cstring>

#include "monitor/base/hex.h"
#include "monitor/ima/binary_reader.h"
#include "monitor/ima/pcr_values.h"
#include "monitor/ima/template.h"

namespace imawatch::ima {
namespace {

void PutU32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutBytes(std::vector<uint8_t>& out, std::span<const uint8_t> b) {
  out.insert(out.end(), b.begin(), b.end());
}
void PutText(std::vector<uint8_t>& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }

class LineParser {
 public:
  LineParser(std::string_view line, uint32_t line_no, const std::string& source)
      : line_(line), line_no_(line_no), source_(source) {}

  Error Fail(const std::string& why, std::string_view token) const {
    uint32_t column = static_cast<uint32_t>(token.data() - line_.data()) + 1;
    return InvalidInput(why, {.source = source_, .line = line_no_, .column = column});
  }

  // Encodes one field's text as the kernel stores its data; appends to data.
  Status Field(FieldId id, std::string_view text, std::vector<uint8_t>& data) const {
    const std::string name(Info(id).name);
    switch (Info(id).format) {
      case FieldFormat::kDigest:
      case FieldFormat::kHex: {
        auto bytes = FromHex(text);
        if (!bytes) return Fail("field '" + name + "' is not hex", text);
        PutBytes(data, *bytes);
        return {};
      }
      case FieldFormat::kDigestWithAlgo:
      case FieldFormat::kDigestWithTypeAndAlgo: {
        if (text.empty()) return {};
        size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) return Fail("field '" + name + "' lacks '<algo>:'", text);
        auto bytes = FromHex(text.substr(colon + 1));
        if (!bytes) return Fail("field '" + name + "' digest is not hex", text.substr(colon + 1));
        PutText(data, text.substr(0, colon + 1));
        data.push_back(0);
        PutBytes(data, *bytes);
        return {};
      }
      case FieldFormat::kString:
        // Names always carry their NUL; an empty xattrnames is an empty field.
        if (text.empty() && id == FieldId::kXattrNames) return {};
        PutText(data, text);
        data.push_back(0);
        return {};
      case FieldFormat::kUint: {
        if (text.empty()) return {};
        uint64_t v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        size_t width = id == FieldId::kImode ? 2 : 4;
        if (ec != std::errc() || end != text.data() + text.size() || v >> (8 * width) != 0) {
          return Fail("field '" + name + "' is not a " + std::to_string(8 * width) + "-bit number", text);
        }
        for (size_t i = 0; i < width; ++i) data.push_back(static_cast<uint8_t>(v >> (8 * i)));
        return {};
      }
    }
    return {};
  }

  Status Parse(AsciiConversion& out) {
    std::vector<std::string_view> tokens;
    std::string_view rest = line_;
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);  // "%2d": " 9 ..."
    for (;;) {
      size_t sp = rest.find(' ');
      tokens.push_back(rest.substr(0, sp));
      if (sp == std::string_view::npos) break;
      rest.remove_prefix(sp + 1);
    }
    if (tokens.size() < 4) return Fail("expected '<pcr> <template digest> <template> <fields...>'", line_);
    uint32_t pcr = 0;
    auto [end, ec] = std::from_chars(tokens[0].data(), tokens[0].data() + tokens[0].size(), pcr);
    if (ec != std::errc() || end != tokens[0].data() + tokens[0].size() || pcr > kMaxPcrIndex) {
      return Fail("PCR index is not 0..23", tokens[0]);
    }
    auto digest = FromHex(tokens[1]);
    if (!digest ||
        (digest->size() != 20 && digest->size() != 32 && digest->size() != 48 && digest->size() != 64)) {
      return Fail("template digest is not 20, 32, 48 or 64 bytes of hex", tokens[1]);
    }
    if (out.entries == 0) out.template_digest_size = static_cast<uint32_t>(digest->size());
    if (digest->size() != out.template_digest_size) {
      return Fail("template digest size differs from the first line's", tokens[1]);
    }
    auto desc = LookupTemplate(tokens[2]);
    if (!desc || tokens[2].size() > kMaxTemplateNameLength) return Fail("unknown template", tokens[2]);
    size_t given = tokens.size() - 3;
    if (given > desc->num_fields) {
      return Fail(
          "template '" + desc->name + "' has " + std::to_string(desc->num_fields) + " fields, line has more",
          tokens[3 + desc->num_fields]);
    }

    PutU32(out.binary, pcr);
    PutBytes(out.binary, *digest);
    PutU32(out.binary, static_cast<uint32_t>(tokens[2].size()));
    PutText(out.binary, tokens[2]);
    std::vector<uint8_t> data, field;
    for (uint8_t i = 0; i < desc->num_fields; ++i) {
      std::string_view text =
          3u + i < tokens.size() ? tokens[3 + i] : std::string_view();  // trailing blanks trimmed
      field.clear();
      if (Status s = Field(desc->fields[i], text, field); !s) return s;
      if (desc->legacy_ima) {
        if (i == 0 && field.size() != 20) return Fail("'ima' template digest must be 20 bytes", text);
        if (i == 1) {
          field.pop_back();  // the binary 'ima' name has a length but no NUL
          if (field.size() > kMaxLegacyNameLength) return Fail("'ima' template name longer than 255", text);
          PutU32(data, static_cast<uint32_t>(field.size()));
        }
        PutBytes(data, field);
      } else {
        PutU32(data, static_cast<uint32_t>(field.size()));
        PutBytes(data, field);
      }
    }
    if (!desc->legacy_ima) PutU32(out.binary, static_cast<uint32_t>(data.size()));
    PutBytes(out.binary, data);
    ++out.entries;
    return {};
  }

 private:
  std::string_view line_;
  uint32_t line_no_;
  const std::string& source_;
};

}  // namespace

bool LooksLikeAsciiList(std::span<const uint8_t> head) {
  return !head.empty() && (head[0] == ' ' || (head[0] >= '0' && head[0] <= '9'));
}

Result<AsciiConversion> AsciiToBinary(std::string_view text, const std::string& source) {
  AsciiConversion out;
  uint32_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(' ') == std::string_view::npos) continue;
    LineParser parser(line, line_no, source);
    if (Status s = parser.Parse(out); !s) return s.error();
  }
  return out;
}

}  // namespace imawatch::ima
