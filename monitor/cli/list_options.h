// Options shared by the subcommands that read a measurement list.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "monitor/base/result.h"
#include "monitor/ima/binary_reader.h"
#include "monitor/ima/hash_algo.h"
#include "monitor/ima/pcr_values.h"

namespace imawatch::cli {

struct ListOptions {
  uint32_t template_digest_size = 0;
  std::string byte_order = "auto";
  ima::ReaderOptions reader() const;
};

void AddListOptions(CLI::App* cmd, ListOptions& options);
// "sha1,sha256" or repeated --bank values.
Result<std::vector<ima::HashAlgo>> ParseBanks(const std::vector<std::string>& names);
// The reading of every PCR IMA may use (ima_pcrs first, each PCR's banks in one command), then
// the others, from the TPM at tcti. Read it before the list: the kernel appends before it extends.
Result<ima::PcrValues> ReadTpmPcrs(const std::string& tcti, const std::vector<uint32_t>& ima_pcrs);
// Prints an input error to stderr and returns the usage/input exit code.
int ReportInputError(const std::string& command, const Error& error);

}  // namespace imawatch::cli
