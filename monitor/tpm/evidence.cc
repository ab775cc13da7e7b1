#include "monitor/tpm/evidence.h"

#include <cctype>
#include <charconv>
#include <ctime>
#include <nlohmann/json.hpp>

#include "monitor/base/base64.h"
#include "monitor/base/hex.h"
#include "monitor/tpm/quote_file.h"

namespace imawatch::tpm {
namespace {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

// Reads fields of the parsed document; every error names the JSON pointer of the field.
class Reader {
 public:
  explicit Reader(const std::string& source) : source_(source) {}

  Error Fail(const std::string& pointer, const std::string& what) const {
    return InvalidInput(pointer + ": " + what, {.source = source_});
  }

  Result<const json*> Field(const json& object, const std::string& pointer, const char* key,
                            json::value_t type, const char* type_name) const {
    std::string at = pointer + "/" + key;
    auto it = object.find(key);
    if (it == object.end()) return Fail(at, "missing");
    bool ok = it->type() == type || (type == json::value_t::number_unsigned &&
                                     it->type() == json::value_t::number_integer && it->get<int64_t>() >= 0);
    if (!ok) return Fail(at, std::string("is not ") + type_name);
    return &*it;
  }

  Result<const json*> Object(const json& object, const std::string& pointer, const char* key) const {
    return Field(object, pointer, key, json::value_t::object, "an object");
  }

  Result<std::string> String(const json& object, const std::string& pointer, const char* key) const {
    auto f = Field(object, pointer, key, json::value_t::string, "a string");
    if (!f) return f.error();
    return (*f)->get<std::string>();
  }

  Result<uint64_t> Unsigned(const json& object, const std::string& pointer, const char* key) const {
    auto f = Field(object, pointer, key, json::value_t::number_unsigned, "an unsigned integer");
    if (!f) return f.error();
    return (*f)->get<uint64_t>();
  }

  Result<bool> Bool(const json& object, const std::string& pointer, const char* key) const {
    auto f = Field(object, pointer, key, json::value_t::boolean, "true or false");
    if (!f) return f.error();
    return (*f)->get<bool>();
  }

  Result<std::vector<uint8_t>> Hex(const json& object, const std::string& pointer, const char* key) const {
    auto text = String(object, pointer, key);
    if (!text) return text.error();
    auto bytes = FromHex(*text);
    if (!bytes) return Fail(pointer + "/" + key, "is not hex");
    return *bytes;
  }

  Result<std::vector<uint8_t>> Base64(const json& object, const std::string& pointer, const char* key) const {
    auto text = String(object, pointer, key);
    if (!text) return text.error();
    size_t bad = 0;
    auto bytes = FromBase64(*text, &bad);
    if (!bytes) return Fail(pointer + "/" + key, "is not base64 (at character " + std::to_string(bad) + ")");
    return *bytes;
  }

 private:
  const std::string& source_;
};

// 1-based line and column of a byte offset.
Position TextPosition(std::string_view text, uint64_t offset, const std::string& source) {
  Position at{.source = source, .byte_offset = offset};
  uint32_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  at.line = line;
  at.column = column;
  return at;
}

std::string Hex16(uint64_t value) {
  char text[17];
  for (int i = 15; i >= 0; --i, value >>= 4) text[i] = "0123456789abcdef"[value & 0xf];
  text[16] = 0;
  return text;
}

}  // namespace

std::string Rfc3339Now() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[40];
  size_t n = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &local);
  long offset = local.tm_gmtoff / 60;
  if (offset == 0) return std::string(text, n) + "Z";
  char sign = offset < 0 ? '-' : '+';
  offset = (offset < 0 ? -offset : offset) % (24 * 60);
  const int hours = static_cast<int>(offset / 60), minutes = static_cast<int>(offset % 60);
  std::string zone(1, sign);
  zone += static_cast<char>('0' + hours / 10);
  zone += static_cast<char>('0' + hours % 10);
  zone += ':';
  zone += static_cast<char>('0' + minutes / 10);
  zone += static_cast<char>('0' + minutes % 10);
  return std::string(text, n) + zone;
}

bool IsRfc3339(std::string_view t) {
  auto digits = [&](size_t at, size_t n) {
    if (at + n > t.size()) return false;
    for (size_t i = at; i < at + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(t[i]))) return false;
    }
    return true;
  };
  auto is = [&](size_t at, char c) { return at < t.size() && t[at] == c; };
  if (!(digits(0, 4) && is(4, '-') && digits(5, 2) && is(7, '-') && digits(8, 2) &&
        (is(10, 'T') || is(10, 't')) && digits(11, 2) && is(13, ':') && digits(14, 2) && is(16, ':') &&
        digits(17, 2))) {
    return false;
  }
  size_t at = 19;
  if (is(at, '.')) {
    size_t start = ++at;
    while (digits(at, 1)) ++at;
    if (at == start) return false;
  }
  if (is(at, 'Z') || is(at, 'z')) return at + 1 == t.size();
  return (is(at, '+') || is(at, '-')) && digits(at + 1, 2) && is(at + 3, ':') && digits(at + 4, 2) &&
         at + 6 == t.size();
}

std::string EvidenceToJson(const Evidence& e) {
  ordered node = {{"hostname", e.hostname}};
  if (!e.node_name.empty()) node["name"] = e.node_name;
  ordered list = {{"source", e.list.source},
                  {"entries", e.list.entries},
                  {"size", e.list.size},
                  {"sha256", ToHex(e.list.sha256)}};
  if (e.list.data) list["data"] = ToBase64(*e.list.data);
  ordered out = {
      {"format", kEvidenceFormat},
      {"version", kEvidenceVersion},
      {"time", e.time},
      {"node", node},
      {"nonce", ToHex(e.nonce)},
      {"ak", {{"type", AkTypeName(e.ak_type)}, {"name", ToHex(e.ak_name)}, {"pem", e.ak_pem}}},
      {"quote",
       {{"selection", e.selection.ToString()},
        {"attest", ToBase64(e.quote.attest)},
        {"signature", ToBase64(e.quote.signature)}}},
      {"tpm",
       {{"clock_ms", e.clock.clock},
        {"reset_count", e.clock.reset_count},
        {"restart_count", e.clock.restart_count},
        {"safe", e.clock.safe},
        {"firmware_version", Hex16(e.firmware_version)}}},
      {"pcrs", PcrValuesToJson(e.pcrs)},
      {"measurement_list", list},
  };
  // A hostname or path that is not UTF-8 is written with U+FFFD rather than failing the bundle.
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<Evidence> ParseEvidence(std::string_view text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.byte is 1-based: the character at fault is at e.byte - 1.
    uint64_t offset = e.byte > 0 ? e.byte - 1 : 0;
    std::string what = e.what();
    if (auto colon = what.find(": "); colon != std::string::npos) what = what.substr(colon + 2);
    return InvalidInput("not JSON: " + what, TextPosition(text, offset, source));
  } catch (const json::exception& e) {  // a number beyond double's range (out_of_range 406)
    std::string what = e.what();
    if (auto bracket = what.find("] "); bracket != std::string::npos) what = what.substr(bracket + 2);
    return InvalidInput("not JSON: " + what, {.source = source});
  }
  Reader r(source);
  if (!j.is_object()) return r.Fail("", "an evidence bundle is a JSON object");
  Evidence e;

  auto format = r.String(j, "", "format");
  if (!format) return format.error();
  if (*format != kEvidenceFormat) return r.Fail("/format", "is not \"" + std::string(kEvidenceFormat) + "\"");
  auto version = r.Unsigned(j, "", "version");
  if (!version) return version.error();
  if (*version != kEvidenceVersion) {
    return r.Fail("/version", "is " + std::to_string(*version) + "; this imawatch reads version " +
                                  std::to_string(kEvidenceVersion));
  }
  auto time = r.String(j, "", "time");
  if (!time) return time.error();
  if (!IsRfc3339(*time)) return r.Fail("/time", "is not an RFC 3339 date-time with a zone");
  e.time = *time;

  auto node = r.Object(j, "", "node");
  if (!node) return node.error();
  auto hostname = r.String(**node, "/node", "hostname");
  if (!hostname) return hostname.error();
  e.hostname = *hostname;
  if ((*node)->contains("name")) {
    auto name = r.String(**node, "/node", "name");
    if (!name) return name.error();
    e.node_name = *name;
  }

  auto nonce = r.Hex(j, "", "nonce");
  if (!nonce) return nonce.error();
  e.nonce = std::move(*nonce);

  auto ak = r.Object(j, "", "ak");
  if (!ak) return ak.error();
  auto ak_type = r.String(**ak, "/ak", "type");
  if (!ak_type) return ak_type.error();
  auto type = AkTypeFromName(*ak_type);
  if (!type) return r.Fail("/ak/type", "is not \"ecc\" or \"rsa\"");
  e.ak_type = *type;
  auto ak_name = r.Hex(**ak, "/ak", "name");
  if (!ak_name) return ak_name.error();
  e.ak_name = std::move(*ak_name);
  auto pem = r.String(**ak, "/ak", "pem");
  if (!pem) return pem.error();
  e.ak_pem = *pem;

  auto quote = r.Object(j, "", "quote");
  if (!quote) return quote.error();
  auto selection_text = r.String(**quote, "/quote", "selection");
  if (!selection_text) return selection_text.error();
  auto selection = ParsePcrSelection(*selection_text);
  if (!selection) return r.Fail("/quote/selection", selection.error().message());
  e.selection = std::move(*selection);
  auto attest = r.Base64(**quote, "/quote", "attest");
  if (!attest) return attest.error();
  auto signature = r.Base64(**quote, "/quote", "signature");
  if (!signature) return signature.error();
  e.quote = {std::move(*attest), std::move(*signature)};

  auto tpm = r.Object(j, "", "tpm");
  if (!tpm) return tpm.error();
  auto clock = r.Unsigned(**tpm, "/tpm", "clock_ms");
  if (!clock) return clock.error();
  auto reset = r.Unsigned(**tpm, "/tpm", "reset_count");
  if (!reset) return reset.error();
  auto restart = r.Unsigned(**tpm, "/tpm", "restart_count");
  if (!restart) return restart.error();
  if (*reset > UINT32_MAX) return r.Fail("/tpm/reset_count", "is above 2^32-1");
  if (*restart > UINT32_MAX) return r.Fail("/tpm/restart_count", "is above 2^32-1");
  auto safe = r.Bool(**tpm, "/tpm", "safe");
  if (!safe) return safe.error();
  e.clock = {.clock = *clock,
             .reset_count = static_cast<uint32_t>(*reset),
             .restart_count = static_cast<uint32_t>(*restart),
             .safe = *safe};
  auto firmware = r.Hex(**tpm, "/tpm", "firmware_version");
  if (!firmware) return firmware.error();
  if (firmware->size() != 8) return r.Fail("/tpm/firmware_version", "is not 16 hex digits");
  for (uint8_t b : *firmware) e.firmware_version = e.firmware_version << 8 | b;

  auto pcrs = r.Object(j, "", "pcrs");
  if (!pcrs) return pcrs.error();
  auto values = PcrValuesFromJson(**pcrs, source);
  if (!values) return r.Fail("/pcrs", values.error().message());
  e.pcrs = std::move(*values);

  auto list = r.Object(j, "", "measurement_list");
  if (!list) return list.error();
  const std::string at = "/measurement_list";
  auto list_source = r.String(**list, at, "source");
  if (!list_source) return list_source.error();
  e.list.source = *list_source;
  auto entries = r.Unsigned(**list, at, "entries");
  if (!entries) return entries.error();
  e.list.entries = *entries;
  auto size = r.Unsigned(**list, at, "size");
  if (!size) return size.error();
  e.list.size = *size;
  auto sha256 = r.Hex(**list, at, "sha256");
  if (!sha256) return sha256.error();
  if (sha256->size() != 32) return r.Fail(at + "/sha256", "is not 64 hex digits");
  e.list.sha256 = std::move(*sha256);
  if ((*list)->contains("data")) {
    auto data = r.Base64(**list, at, "data");
    if (!data) return data.error();
    e.list.data = std::move(*data);
  }
  return e;
}

}  // namespace imawatch::tpm
