#include "monitor/tpm/pcr_selection.h"

#include <algorithm>
#include <charconv>

#include "monitor/ima/pcr_values.h"

namespace imawatch::tpm {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<uint32_t> ParseIndex(std::string_view s) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || value > ima::kMaxPcrIndex) {
    return std::nullopt;
  }
  return value;
}

Error SelectionError(std::string message, std::string_view whole, std::string_view at) {
  uint32_t column = static_cast<uint32_t>(at.data() - whole.data()) + 1;
  return InvalidInput(std::move(message),
                      {.source = "PCR selection '" + std::string(whole) + "'", .line = 1, .column = column});
}

// Indexes part of a selection; whole is the full text, for error columns.
Result<std::vector<uint32_t>> Indexes(std::string_view text, std::string_view whole) {
  std::vector<uint32_t> out;
  if (Trim(text) == "all") {
    for (uint32_t i = 0; i <= ima::kMaxPcrIndex; ++i) out.push_back(i);
    return out;
  }
  while (true) {
    size_t comma = text.find(',');
    std::string_view item = Trim(text.substr(0, comma));
    size_t dash = item.find('-');
    auto first = ParseIndex(Trim(item.substr(0, dash)));
    auto last = dash == std::string_view::npos ? first : ParseIndex(Trim(item.substr(dash + 1)));
    if (!first || !last) return SelectionError("expected a PCR index 0..23 or a range like 0-7", whole, item);
    if (*last < *first) return SelectionError("PCR range ends before it starts", whole, item);
    for (uint32_t i = *first; i <= *last; ++i) out.push_back(i);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

PcrSelection PcrSelection::Of(std::span<const ima::HashAlgo> banks, std::span<const uint32_t> indexes) {
  std::vector<uint32_t> sorted(indexes.begin(), indexes.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  PcrSelection selection;
  for (ima::HashAlgo bank : banks) {
    bool seen = std::any_of(selection.banks.begin(), selection.banks.end(),
                            [&](const PcrBankSelection& b) { return b.bank == bank; });
    if (!seen) selection.banks.push_back({bank, sorted});
  }
  return selection;
}

bool PcrSelection::empty() const { return count() == 0; }

size_t PcrSelection::count() const {
  size_t n = 0;
  for (const auto& bank : banks) n += bank.indexes.size();
  return n;
}

std::string PcrSelection::ToString() const {
  std::string out;
  for (const auto& bank : banks) {
    if (!out.empty()) out += '+';
    out += std::string(ima::Name(bank.bank)) + ':';
    const auto& ix = bank.indexes;
    for (size_t i = 0; i < ix.size();) {
      size_t j = i;
      while (j + 1 < ix.size() && ix[j + 1] == ix[j] + 1) ++j;
      if (i > 0) out += ',';
      out += std::to_string(ix[i]);
      if (j > i) out += '-' + std::to_string(ix[j]);
      i = j + 1;
    }
  }
  return out;
}

Result<std::vector<uint32_t>> ParsePcrIndexes(std::string_view text) { return Indexes(text, text); }

Result<std::vector<ima::HashAlgo>> ParseBanks(std::string_view text) {
  std::string_view whole = text;
  std::vector<ima::HashAlgo> banks;
  while (true) {
    size_t comma = text.find(',');
    std::string_view item = Trim(text.substr(0, comma));
    auto bank = ima::HashAlgoFromName(item);
    if (!bank || ima::Info(*bank).tpm_alg_id == 0) {
      return SelectionError("unknown PCR bank '" + std::string(item) + "'", whole, item);
    }
    if (std::find(banks.begin(), banks.end(), *bank) != banks.end()) {
      return SelectionError("bank '" + std::string(item) + "' given twice", whole, item);
    }
    banks.push_back(*bank);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return banks;
}

Result<PcrSelection> ParsePcrSelection(std::string_view text) {
  std::string_view whole = text;
  PcrSelection selection;
  while (true) {
    size_t plus = text.find('+');
    std::string_view part = text.substr(0, plus);
    size_t colon = part.find(':');
    if (colon == std::string_view::npos) return SelectionError("expected bank:pcrs", whole, part);
    auto bank = ParseBanks(part.substr(0, colon));
    if (!bank) return SelectionError(bank.error().message(), whole, part);
    auto indexes = Indexes(part.substr(colon + 1), whole);
    if (!indexes) return indexes.error();
    for (ima::HashAlgo b : *bank) {
      bool seen = std::any_of(selection.banks.begin(), selection.banks.end(),
                              [&](const PcrBankSelection& s) { return s.bank == b; });
      if (seen) return SelectionError("bank given twice", whole, part);
      selection.banks.push_back({b, *indexes});
    }
    if (plus == std::string_view::npos) break;
    text.remove_prefix(plus + 1);
  }
  return selection;
}

}  // namespace imawatch::tpm
