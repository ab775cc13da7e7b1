// A measurement list over a compliance test node, built the way the kernel records it, and the
// PCR values its TPM would hold: the inputs of `imawatch check` and `imawatch report` in tests.
#pragma once

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "monitor/compliance/attested_reader.h"
#include "monitor/ima/hash_algo.h"
#include "tests/testing/ima_log_builder.h"
#include "tests/testing/paths.h"
#include "tests/unit/compliance/test_node.h"

namespace imawatch {

inline std::vector<uint8_t> Sha256(const std::string& content) {
  std::string hex = compliance::HashHex(ima::HashAlgo::kSha256, content);
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// A list over every regular file of the node (sorted), evm-sig, 0600 root:root unless owners
// says otherwise; writes <dir>/list and <dir>/pcrs.txt.
struct BuiltList {
  std::string list, pcrs;
};
// after_reading: entries appended after the PCRs were read (the reading does not cover them).
inline BuiltList MeasureNode(
    const compliance::testing::TestNode& node,
    const std::map<std::string, compliance::testing::Owner>& owners = {},
    const std::function<void(imawatch::testing::ImaLogBuilder&)>& after_reading = {}) {
  std::string dir = imawatch::testing::MakeTempDir("check");
  BuiltList out{dir + "/binary_runtime_measurements", dir + "/pcrs.txt"};
  imawatch::testing::ImaLogBuilder builder(out.list,
                                           {.template_kind = imawatch::testing::ImaTemplate::kEvmSig});
  builder.AddBootAggregate();
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(node.root())) {
    if (entry.is_regular_file()) paths.push_back(entry.path().string().substr(node.root().size()));
  }
  std::sort(paths.begin(), paths.end());
  for (const std::string& path : paths) {
    auto it = owners.find(path);
    compliance::testing::Owner o = it == owners.end() ? compliance::testing::Owner{} : it->second;
    builder.AddMeasurement({.path = path,
                            .digest = Sha256(node.Read(path)),
                            .uid = o.uid,
                            .gid = o.gid,
                            .mode = static_cast<uint16_t>(0100000 | o.mode)});
  }
  imawatch::testing::WriteTextFile(out.pcrs, imawatch::testing::PcrsText(builder.pcrs()));
  if (after_reading) after_reading(builder);
  builder.Finish();
  return out;
}

}  // namespace imawatch
