#include "tests/unit/compliance/test_node.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "monitor/compliance/attested_reader.h"
#include "tests/testing/paths.h"

namespace imawatch::compliance::testing {

namespace fs = std::filesystem;

TestNode::TestNode() : root_(imawatch::testing::MakeTempDir("node")) {
  fs::copy(imawatch::testing::FixturePath("compliance/node"), root_, fs::copy_options::recursive);
}

void TestNode::Write(const std::string& path, const std::string& content) const {
  fs::create_directories(fs::path(root_ + path).parent_path());
  std::ofstream(root_ + path, std::ios::binary | std::ios::trunc) << content;
}

void TestNode::Remove(const std::string& path) const { fs::remove(root_ + path); }

std::string TestNode::Read(const std::string& path) const {
  return imawatch::testing::ReadFileOrDie(root_ + path);
}

void TestNode::Replace(const std::string& path, const std::string& from, const std::string& to) const {
  std::string text = Read(path);
  size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << "'" << from << "' not in " << path;
  text.replace(at, from.size(), to);
  Write(path, text);
}

Evidence TestNode::Measure(const std::string& template_name, uint64_t first_index) const {
  Evidence evidence;
  evidence.set_measures_module_loads(true);
  uint64_t index = first_index;
  std::vector<std::string> paths;
  for (const auto& entry : fs::recursive_directory_iterator(root_)) {
    if (entry.is_regular_file()) paths.push_back(entry.path().string().substr(root_.size()));
  }
  std::sort(paths.begin(), paths.end());
  for (const std::string& path : paths) {
    if (unmeasured_.count(path)) continue;
    MeasuredFile m = MeasuredContent(path, Read(path), index++, template_name);
    if (template_name == "evm-sig") {
      auto it = owners_.find(path);
      Owner o = it == owners_.end() ? Owner{} : it->second;
      m.uid = o.uid;
      m.gid = o.gid;
      m.mode = static_cast<uint16_t>(0100000 | o.mode);
    }
    evidence.AddFile(std::move(m));
  }
  return evidence;
}

MeasuredFile MeasuredContent(const std::string& path, const std::string& content, uint64_t index,
                             const std::string& template_name) {
  MeasuredFile m;
  m.path = path;
  std::vector<uint8_t> digest = *FromHex(HashHex(ima::HashAlgo::kSha256, content));
  m.file_digest = ima::Digest(ima::HashAlgo::kSha256, digest);
  m.template_name = template_name;
  m.entry_index = index;
  m.pcr = 10;
  m.proved = true;
  m.bank_proof = std::make_shared<const std::string>("test: sha256 PCR 10 replay taken as proved");
  return m;
}

}  // namespace imawatch::compliance::testing
