#include "tests/unit/ima/ima_test_util.h"

#include <gtest/gtest.h>

#include "monitor/ima/ascii_format.h"
#include "tests/testing/paths.h"

namespace imawatch::ima::test {

std::string GenuinePath(const std::string& fixture, const std::string& file) {
  return testing::FixturePath("ima/" + fixture + "/" + file);
}

std::string ExternalPath(const std::string& rel) { return testing::FixturePath("ima-external/" + rel); }

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::string s = testing::ReadFileOrDie(path);
  return {s.begin(), s.end()};
}

PcrValues LoadReading(const std::string& path) {
  auto values = LoadPcrValues(Env::Default(), path);
  EXPECT_TRUE(values.ok()) << (values.ok() ? "" : values.error().ToString());
  return values.ok() ? *values : PcrValues();
}

Result<VerifyReport> VerifyBytes(const std::vector<uint8_t>& list, const PcrValues& reading,
                                 std::vector<HashAlgo> banks, std::vector<uint32_t> ima_pcrs) {
  OpenedList opened;
  opened.file = NewMemoryFile("list", list);
  // Small buffers: tamper tests verify tens of thousands of lists (under ASan too).
  opened.reader.buffer_size = 16384;
  return VerifyOpenedList(
      opened, reading,
      {.banks = std::move(banks), .ima_pcrs = std::move(ima_pcrs), .threads = 1, .batch_size = 64});
}

Result<size_t> CountEntries(const std::vector<uint8_t>& list, uint32_t template_digest_size) {
  auto file = NewMemoryFile("list", list);
  BinaryLogReader reader(*file, {.template_digest_size = template_digest_size, .buffer_size = 4096});
  size_t count = 0;
  for (;;) {
    auto batch = reader.Next(7);  // odd batch size: exercises batch boundaries
    if (!batch) return batch.error();
    if (batch->empty()) break;
    count += batch->size();
  }
  if (Status s = reader.CheckComplete(); !s) return s.error();
  return count;
}

ParsedList Parse(const std::vector<uint8_t>& list, uint32_t template_digest_size) {
  ParsedList parsed;
  auto file = NewMemoryFile("list", list);
  BinaryLogReader reader(*file, {.template_digest_size = template_digest_size});
  for (;;) {
    auto batch = reader.Next();
    if (!batch) {
      ADD_FAILURE() << batch.error().ToString();
      return parsed;
    }
    if (batch->empty()) break;
    for (const auto& e : *batch) {
      const uint8_t* begin = list.data() + e.offset;
      parsed.entries.emplace_back(begin, begin + e.size);
      parsed.offsets.push_back(e.offset);
      parsed.pcrs.push_back(e.pcr);
      if (e.is_violation()) {
        // Views point into the reader's buffer: locate the data relative to the entry's start.
        const uint8_t* entry_start = e.template_digest.data() - 4;
        uint64_t data = e.offset + static_cast<uint64_t>(e.template_data.data() - entry_start);
        parsed.unattested.push_back({data, data + e.template_data.size()});
      }
      AppendAsciiLine(parsed.ascii, e);
    }
  }
  EXPECT_TRUE(reader.CheckComplete().ok());
  return parsed;
}

std::vector<uint8_t> Join(const std::vector<std::vector<uint8_t>>& entries) {
  std::vector<uint8_t> out;
  for (const auto& e : entries) out.insert(out.end(), e.begin(), e.end());
  return out;
}

}  // namespace imawatch::ima::test
