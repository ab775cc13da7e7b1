#include "monitor/tpm/quote_file.h"

#include <charconv>

#include "monitor/base/hex.h"

namespace imawatch::tpm {
namespace {

using nlohmann::json;

Result<std::vector<uint8_t>> HexField(const json& object, const char* name, const std::string& source) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) {
    return InvalidInput(std::string("\"") + name + "\" is missing or not a string", {.source = source});
  }
  auto bytes = FromHex(it->get<std::string>());
  if (!bytes) return InvalidInput(std::string("\"") + name + "\" is not hex", {.source = source});
  return *bytes;
}

}  // namespace

nlohmann::ordered_json PcrValuesToJson(const ima::PcrValues& pcrs) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (ima::HashAlgo bank : pcrs.Banks()) {
    nlohmann::ordered_json values = nlohmann::ordered_json::object();
    for (uint32_t index : pcrs.Indexes(bank)) values[std::to_string(index)] = pcrs.Get(bank, index)->hex();
    out[std::string(ima::Name(bank))] = std::move(values);
  }
  return out;
}

Result<ima::PcrValues> PcrValuesFromJson(const json& j, const std::string& source) {
  if (!j.is_object()) return InvalidInput("PCR values are not a JSON object", {.source = source});
  ima::PcrValues pcrs;
  for (const auto& [bank_name, values] : j.items()) {
    auto bank = ima::HashAlgoFromName(bank_name);
    if (!bank) return InvalidInput("unknown PCR bank \"" + bank_name + "\"", {.source = source});
    if (!values.is_object())
      return InvalidInput("PCRs of " + bank_name + " are not an object", {.source = source});
    for (const auto& [index_text, value] : values.items()) {
      uint32_t index = 0;
      auto [end, ec] = std::from_chars(index_text.data(), index_text.data() + index_text.size(), index);
      if (ec != std::errc() || end != index_text.data() + index_text.size() || index > ima::kMaxPcrIndex) {
        return InvalidInput("PCR index \"" + index_text + "\" of " + bank_name + " is not 0..23",
                            {.source = source});
      }
      auto bytes = value.is_string() ? FromHex(value.get<std::string>()) : std::nullopt;
      if (!bytes || bytes->size() != ima::DigestSize(*bank)) {
        return InvalidInput(bank_name + ":" + index_text + " is not a " +
                                std::to_string(ima::DigestSize(*bank)) + "-byte hex value",
                            {.source = source});
      }
      pcrs.Set(*bank, index, ima::Digest(*bank, *bytes));
    }
  }
  return pcrs;
}

std::string QuoteFileToJson(const QuoteFile& file) {
  nlohmann::ordered_json out = {
      {"format", kQuoteFileFormat},
      {"ak", {{"type", AkTypeName(file.ak_type)}, {"name", ToHex(file.ak_name)}}},
      {"nonce", ToHex(file.nonce)},
      {"selection", file.selection.ToString()},
      {"attest", ToHex(file.quote.attest)},
      {"signature", ToHex(file.quote.signature)},
  };
  if (auto sig = DecodeSignature(file.quote.signature); sig.ok()) {
    out["signature_openssl"] = {{"scheme", SignatureSchemeName(sig->scheme)},
                                {"hash", ima::Name(sig->hash)},
                                {"value", ToHex(sig->bytes)}};
  }
  out["pcrs"] = PcrValuesToJson(file.pcrs);
  return out.dump(2) + "\n";
}

Result<QuoteFile> ParseQuoteFile(std::string_view text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    return InvalidInput(std::string("not JSON: ") + e.what(), {.source = source, .byte_offset = e.byte});
  } catch (const json::exception& e) {  // a number beyond double's range (out_of_range 406)
    return InvalidInput(std::string("not JSON: ") + e.what(), {.source = source});
  }
  if (!j.is_object()) return InvalidInput("a quote file is a JSON object", {.source = source});
  if (auto format = j.find("format"); format == j.end() || *format != kQuoteFileFormat) {
    return InvalidInput("\"format\" is not \"" + std::string(kQuoteFileFormat) + "\"", {.source = source});
  }
  QuoteFile file;
  auto attest = HexField(j, "attest", source);
  if (!attest) return attest.error();
  auto signature = HexField(j, "signature", source);
  if (!signature) return signature.error();
  auto nonce = HexField(j, "nonce", source);
  if (!nonce) return nonce.error();
  file.quote = {std::move(*attest), std::move(*signature)};
  file.nonce = std::move(*nonce);
  if (auto selection = j.find("selection"); selection != j.end()) {
    auto parsed = selection->is_string()
                      ? ParsePcrSelection(selection->get<std::string>())
                      : Result<PcrSelection>(InvalidInput("\"selection\" is not a string"));
    if (!parsed) return parsed.error().WithSource(source);
    file.selection = std::move(*parsed);
  }
  if (auto ak = j.find("ak"); ak != j.end() && ak->is_object()) {
    auto type = ak->contains("type") && (*ak)["type"].is_string()
                    ? AkTypeFromName((*ak)["type"].get<std::string>())
                    : std::nullopt;
    if (!type) return InvalidInput("\"ak.type\" is not ecc or rsa", {.source = source});
    file.ak_type = *type;
    auto name = HexField(*ak, "name", source);
    if (!name) return name.error();
    file.ak_name = std::move(*name);
  }
  if (auto pcrs = j.find("pcrs"); pcrs != j.end()) {
    auto parsed = PcrValuesFromJson(*pcrs, source);
    if (!parsed) return parsed.error();
    file.pcrs = std::move(*parsed);
  }
  return file;
}

}  // namespace imawatch::tpm
