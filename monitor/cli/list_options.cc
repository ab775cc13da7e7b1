#include "monitor/cli/list_options.h"

#include <iostream>

#include "monitor/cli/command.h"
#include "monitor/tpm/live_pcr_reader.h"
#include "monitor/tpm/tpm.h"

namespace imawatch::cli {

ima::ReaderOptions ListOptions::reader() const {
  ima::ReaderOptions r;
  r.template_digest_size = template_digest_size;
  r.byte_order = byte_order == "le"   ? ima::ByteOrder::kLittle
                 : byte_order == "be" ? ima::ByteOrder::kBig
                                      : ima::ByteOrder::kAuto;
  return r;
}

void AddListOptions(CLI::App* cmd, ListOptions& options) {
  cmd->add_option(
         "--template-digest-size", options.template_digest_size,
         "Bytes of each entry's template digest: 20 for binary_runtime_measurements, the bank's size "
         "for binary_runtime_measurements_<bank> (default: from the file name or the first entry)")
      ->check(CLI::IsMember({0, 20, 32, 48, 64}));
  cmd->add_option("--byte-order", options.byte_order,
                  "Integer byte order of a binary list: le (ima_canonical_fmt, x86), be, or auto")
      ->check(CLI::IsMember({"auto", "le", "be"}));
}

Result<std::vector<ima::HashAlgo>> ParseBanks(const std::vector<std::string>& names) {
  std::vector<ima::HashAlgo> banks;
  for (const auto& item : names) {
    std::string_view rest = item;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string name(rest.substr(0, comma));
      auto algo = ima::HashAlgoFromName(name);
      if (!algo || ima::Info(*algo).tpm_alg_id == 0) return InvalidInput("unknown PCR bank '" + name + "'");
      if (std::find(banks.begin(), banks.end(), *algo) == banks.end()) banks.push_back(*algo);
      rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
    }
  }
  return banks;
}

// The reading of every PCR IMA may use, in every active bank: IMA PCRs first, each PCR's
// banks in one command (see ReadPcrsPerIndex), then the others.
Result<ima::PcrValues> ReadTpmPcrs(const std::string& tcti, const std::vector<uint32_t>& ima_pcrs) {
  auto tpm = tpm::Tpm::Open(tcti);
  if (!tpm) return tpm.error();
  auto banks = (*tpm)->ActiveBanks();
  if (!banks) return banks.error();
  auto reading = tpm::ReadPcrsPerIndex(**tpm, *banks, ima_pcrs);
  if (!reading) return reading.error();
  std::vector<uint32_t> rest;
  for (uint32_t i = 0; i <= ima::kMaxPcrIndex; ++i) {
    if (std::find(ima_pcrs.begin(), ima_pcrs.end(), i) == ima_pcrs.end()) rest.push_back(i);
  }
  auto others = tpm::ReadPcrsPerIndex(**tpm, *banks, rest);
  if (!others) return others.error();
  reading->AddMissing(*others);
  return reading;
}

int ReportInputError(const std::string& command, const Error& error) {
  std::cerr << "imawatch " << command << ": " << error.ToString() << "\n";
  return kExitUsage;
}

}  // namespace imawatch::cli
