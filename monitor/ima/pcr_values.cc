#include "monitor/ima/pcr_values.h"

#include <cctype>
#include <charconv>

namespace imawatch::ima {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<HashAlgo> BankForSize(size_t size) {
  switch (size) {
    case 20:
      return HashAlgo::kSha1;
    case 32:
      return HashAlgo::kSha256;
    case 48:
      return HashAlgo::kSha384;
    case 64:
      return HashAlgo::kSha512;
    default:
      return std::nullopt;
  }
}

std::optional<uint32_t> ParseIndex(std::string_view s) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

// Hex digits with optional "0x" prefix and optional single spaces between bytes.
std::optional<std::vector<uint8_t>> ParseValue(std::string_view s) {
  if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
  std::string compact;
  for (char c : s) {
    if (c != ' ' && c != '\t') compact.push_back(c);
  }
  if (compact.empty()) return std::nullopt;
  return FromHex(compact);
}

class Parser {
 public:
  Parser(const std::string& source, std::optional<HashAlgo> default_bank)
      : source_(source), current_bank_(default_bank) {}

  Status Line(std::string_view raw, uint32_t line_no) {
    std::string_view line = Trim(raw);
    uint32_t column = static_cast<uint32_t>(line.data() - raw.data()) + 1;
    if (line.empty() || line.front() == '#' || line == "---") return {};
    auto error = [&](const std::string& why, size_t at = 0) {
      return InvalidInput(why,
                          {.source = source_, .line = line_no, .column = column + static_cast<uint32_t>(at)});
    };
    if (line.starts_with("pcrread:")) {
      size_t at = line.find("-halg");
      if (at == std::string_view::npos) return error("tsspcrread header without -halg");
      auto bank = HashAlgoFromName(Trim(line.substr(at + 5)));
      if (!bank) return error("unknown hash algorithm in tsspcrread header", at);
      current_bank_ = bank;
      return {};
    }
    // bank:pcr:HEX
    if (size_t c1 = line.find(':'); c1 != std::string_view::npos) {
      if (auto bank = HashAlgoFromName(Trim(line.substr(0, c1)))) {
        std::string_view rest = Trim(line.substr(c1 + 1));
        if (rest.empty()) {  // a tpm2_pcrread bank header
          current_bank_ = bank;
          return {};
        }
        size_t c2 = rest.find(':');
        if (c2 == std::string_view::npos) return error("expected bank:pcr:hex", c1 + 1);
        return Add(*bank, Trim(rest.substr(0, c2)), rest.substr(c2 + 1), error);
      }
    }
    // [PCR[- ]]N: value
    std::string_view body = line;
    if (body.starts_with("PCR") || body.starts_with("pcr")) {
      body.remove_prefix(3);
      if (!body.empty() && (body.front() == '-' || body.front() == ' ' || body.front() == '_'))
        body.remove_prefix(1);
    }
    size_t colon = body.find(':');
    if (colon == std::string_view::npos) return error("expected 'bank:pcr:hex', 'pcr: hex' or a bank header");
    std::string_view value_text = Trim(body.substr(colon + 1));
    auto value = ParseValue(value_text);
    if (!value) return error("PCR value is not hex", static_cast<size_t>(value_text.data() - line.data()));
    std::optional<HashAlgo> bank = current_bank_ ? current_bank_ : BankForSize(value->size());
    if (!bank) return error("cannot tell the bank of a " + std::to_string(value->size()) + "-byte value");
    return Add(*bank, Trim(body.substr(0, colon)), body.substr(colon + 1), error);
  }

  PcrValues Take() { return std::move(values_); }

 private:
  template <typename ErrorFn>
  Status Add(HashAlgo bank, std::string_view index_text, std::string_view value_text, ErrorFn error) {
    auto index = ParseIndex(index_text);
    if (!index || *index > kMaxPcrIndex)
      return error("PCR index '" + std::string(index_text) + "' is not 0..23");
    auto value = ParseValue(Trim(value_text));
    if (!value) return error("PCR value is not hex");
    if (value->size() != DigestSize(bank)) {
      return error(std::string(Name(bank)) + " PCR value has " + std::to_string(value->size()) +
                   " bytes, expected " + std::to_string(DigestSize(bank)));
    }
    values_.Set(bank, *index, Digest(bank, *value));
    return {};
  }

  const std::string& source_;
  std::optional<HashAlgo> current_bank_;
  PcrValues values_;
};

}  // namespace

const Digest* PcrValues::Get(HashAlgo bank, uint32_t index) const {
  auto it = values_.find({bank, index});
  return it == values_.end() ? nullptr : &it->second;
}

std::vector<HashAlgo> PcrValues::Banks() const {
  std::vector<HashAlgo> banks;
  for (const auto& [key, value] : values_) {
    if (banks.empty() || banks.back() != key.first) banks.push_back(key.first);
  }
  return banks;
}

std::vector<uint32_t> PcrValues::Indexes(HashAlgo bank) const {
  std::vector<uint32_t> out;
  for (const auto& [key, value] : values_) {
    if (key.first == bank) out.push_back(key.second);
  }
  return out;
}

Result<PcrValues> ParsePcrValues(std::string_view text, const std::string& source,
                                 std::optional<HashAlgo> default_bank) {
  Parser parser(source, default_bank);
  uint32_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    ++line_no;
    if (Status s = parser.Line(line, line_no); !s) return s.error();
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  PcrValues values = parser.Take();
  if (values.empty()) return InvalidInput("no PCR values found", {.source = source});
  return values;
}

Result<PcrValues> LoadPcrValues(Env& env, const std::string& path, std::optional<HashAlgo> default_bank) {
  constexpr uint64_t kMaxPcrFile = 1 << 20;
  if (!env.IsDirectory(path)) {
    auto text = env.ReadFile(path, kMaxPcrFile);
    if (!text) return text.error();
    return ParsePcrValues(*text, path, default_bank);
  }
  auto names = env.ListDirectory(path);
  if (!names) return names.error();
  PcrValues values;
  for (const auto& dir : *names) {
    if (!dir.starts_with("pcr-")) continue;
    auto bank = HashAlgoFromName(dir.substr(4));
    if (!bank) continue;
    std::string bank_dir = path + "/" + dir;
    auto files = env.ListDirectory(bank_dir);
    if (!files) return files.error();
    for (const auto& file : *files) {
      auto index = ParseIndex(file);
      if (!index || *index > kMaxPcrIndex) continue;
      auto text = env.ReadFile(bank_dir + "/" + file, 1024);
      if (!text) return text.error();
      auto value = ParseValue(Trim(*text));
      if (!value || value->size() != DigestSize(*bank)) {
        return InvalidInput("not a " + std::string(Name(*bank)) + " PCR value",
                            {.source = bank_dir + "/" + file});
      }
      values.Set(*bank, *index, Digest(*bank, *value));
    }
  }
  if (values.empty()) return InvalidInput("no pcr-<bank>/<index> files in directory", {.source = path});
  return values;
}

}  // namespace imawatch::ima
