// Helpers for the IMA engine tests: fixtures as bytes, verification of in-memory lists.
#pragma once

#include <string>
#include <vector>

#include "monitor/ima/verify.h"

namespace imawatch::ima::test {

inline const std::vector<std::string> kGenuineFixtures = {"ngsha256", "imasha1", "evmsig", "pcr11", "race"};

std::string GenuinePath(const std::string& fixture, const std::string& file);
std::string ExternalPath(const std::string& rel);
std::vector<uint8_t> ReadBytes(const std::string& path);
PcrValues LoadReading(const std::string& path);

// Verifies a binary list held in memory (single-threaded: tests run many of these).
Result<VerifyReport> VerifyBytes(const std::vector<uint8_t>& list, const PcrValues& reading,
                                 std::vector<HashAlgo> banks = {}, std::vector<uint32_t> ima_pcrs = {10});

struct ParsedList {
  std::vector<std::vector<uint8_t>> entries;  // raw bytes of each entry
  std::vector<uint64_t> offsets;
  std::vector<uint32_t> pcrs;
  // Template data of violation entries: the kernel extends 0xFF..FF for them, so no PCR
  // attests these bytes (what the entry names is reported, never proved).
  std::vector<std::pair<uint64_t, uint64_t>> unattested;
  std::string ascii;  // kernel rendering
};
// Parses a whole binary list; fails the test on a parse error.
ParsedList Parse(const std::vector<uint8_t>& list, uint32_t template_digest_size = 0);
// Parses and returns the error of a list that must not parse; or the entry count when it does.
Result<size_t> CountEntries(const std::vector<uint8_t>& list, uint32_t template_digest_size = 0);

std::vector<uint8_t> Join(const std::vector<std::vector<uint8_t>>& entries);

}  // namespace imawatch::ima::test
