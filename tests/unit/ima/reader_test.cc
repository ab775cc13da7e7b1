// The binary reader on truncated, malformed, big-endian, resumed and growing lists.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <cstring>
#include <fstream>

#include "monitor/ima/binary_reader.h"
#include "monitor/ima/fields.h"
#include "tests/testing/paths.h"
#include "tests/unit/ima/ima_test_util.h"

namespace imawatch::ima::test {
namespace {

void PutU32At(std::vector<uint8_t>& b, size_t at, uint32_t v) { std::memcpy(b.data() + at, &v, 4); }

TEST(Truncation, AtEveryByteOffsetIsACleanErrorOrAShorterList) {
  for (const auto& name : kGenuineFixtures) {
    std::vector<uint8_t> list = ReadBytes(GenuinePath(name, "binary_runtime_measurements"));
    ParsedList parsed = Parse(list);
    for (size_t cut = 0; cut < list.size(); ++cut) {
      std::vector<uint8_t> head(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(cut));
      auto boundary = std::find(parsed.offsets.begin(), parsed.offsets.end(), cut);
      auto count = CountEntries(head, 20);
      if (boundary != parsed.offsets.end()) {
        ASSERT_TRUE(count.ok()) << name << " cut at " << cut << ": " << count.error().ToString();
        EXPECT_EQ(*count, static_cast<size_t>(boundary - parsed.offsets.begin()));
      } else {
        ASSERT_FALSE(count.ok()) << name << " cut at " << cut;
        // The error names where the incomplete entry starts.
        uint64_t start = *(std::upper_bound(parsed.offsets.begin(), parsed.offsets.end(), cut) - 1);
        EXPECT_EQ(count.error().where().byte_offset, start) << count.error().ToString();
        EXPECT_NE(count.error().ToString().find("byte offset " + std::to_string(start)), std::string::npos);
      }
    }
  }
}

class Malformed : public ::testing::Test {
 protected:
  std::vector<uint8_t> list_ = ReadBytes(GenuinePath("ngsha256", "binary_runtime_measurements"));
  // ima-ng entry 0: pcr(4) digest(20) name_len(4) "ima-ng"(6) data_len(4) field lengths...
  static constexpr size_t kNameLen = 24, kDataLen = 34, kFirstField = 38;

  Error ExpectError(const std::vector<uint8_t>& list, uint64_t offset, const std::string& words) {
    auto count = CountEntries(list, 20);
    EXPECT_FALSE(count.ok());
    if (count.ok()) return InvalidInput("parsed");
    EXPECT_EQ(count.error().where().byte_offset, offset) << count.error().ToString();
    EXPECT_NE(count.error().message().find(words), std::string::npos) << count.error().ToString();
    return count.error();
  }
};

TEST_F(Malformed, HugeZeroAndPastEndLengthsAreErrorsNotAllocations) {
  for (uint32_t bad : {0u, 256u, 0xffffffffu}) {
    auto list = list_;
    PutU32At(list, kNameLen, bad);
    ExpectError(list, kNameLen, "template name length");
  }
  for (uint32_t bad : {0u, kMaxTemplateDataLength + 1, 0xffffffffu}) {
    auto list = list_;
    PutU32At(list, kDataLen, bad);
    ExpectError(list, kDataLen, "template data length");
  }
  auto list = list_;
  PutU32At(list, kFirstField, 0xfffffff0u);
  ExpectError(list, kFirstField, "runs past");
  // A plausible data length larger than the file: truncated, reported at the entry.
  list = list_;
  list.resize(200);
  PutU32At(list, kDataLen, 1u << 20);
  ExpectError(list, 0, "ends inside an entry");
}

TEST_F(Malformed, UnknownTemplatesAndBadPcrsAreNamed) {
  auto list = list_;
  list[28] = 'x';  // "xma-ng"
  ExpectError(list, 28, "unknown template 'xma-ng'");
  list = list_;
  PutU32At(list, 0, 24);
  ExpectError(list, 0, "not 0..23");
  list = list_;
  PutU32At(list, kDataLen, 44);  // room for d-ng (4 + 40 bytes) but not for n-ng's length
  ExpectError(list, kFirstField + 44, "ends before field 'n-ng'");
}

// Re-encodes a little-endian list in a big-endian host's native order (no ima_canonical_fmt):
// every length and integer field swaps, so template data and digests change; the test
// recomputes the SHA1 template digests and the PCR 10 chain independently with OpenSSL.
TEST(BigEndian, NativeBigEndianListsAreDetectedAndDecoded) {
  std::vector<uint8_t> little = ReadBytes(GenuinePath("evmsig", "binary_runtime_measurements"));
  auto file = NewMemoryFile("le", little);
  BinaryLogReader reader(*file, {});
  std::vector<uint8_t> big;
  uint8_t pcr10[20] = {};
  std::vector<std::string> modes;
  auto be32 = [](std::vector<uint8_t>& out, uint32_t v) {
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  for (;;) {
    auto batch = reader.Next();
    ASSERT_TRUE(batch.ok());
    if (batch->empty()) break;
    for (const auto& e : *batch) {
      std::vector<uint8_t> data;
      for (uint8_t i = 0; i < e.descriptor->num_fields; ++i) {
        be32(data, static_cast<uint32_t>(e.fields[i].size()));
        std::vector<uint8_t> field(e.fields[i].begin(), e.fields[i].end());
        if (Info(e.descriptor->fields[i]).format == FieldFormat::kUint)
          std::reverse(field.begin(), field.end());
        data.insert(data.end(), field.begin(), field.end());
      }
      uint8_t digest[20];
      if (e.is_violation()) {
        std::memset(digest, 0, 20);
      } else {
        SHA1(data.data(), data.size(), digest);
      }
      be32(big, e.pcr);
      big.insert(big.end(), digest, digest + 20);
      be32(big, static_cast<uint32_t>(e.template_name.size()));
      big.insert(big.end(), e.template_name.begin(), e.template_name.end());
      be32(big, static_cast<uint32_t>(data.size()));
      big.insert(big.end(), data.begin(), data.end());
      uint8_t in[40];
      std::memcpy(in, pcr10, 20);
      if (e.is_violation()) {
        std::memset(in + 20, 0xff, 20);
      } else {
        std::memcpy(in + 20, digest, 20);
      }
      SHA1(in, 40, pcr10);
    }
  }
  auto big_file = NewMemoryFile("be", big);
  BinaryLogReader big_reader(*big_file, {});
  auto batch = big_reader.Next(100);
  ASSERT_TRUE(batch.ok()) << batch.error().ToString();
  EXPECT_EQ(big_reader.byte_order(), ByteOrder::kBig);
  ASSERT_EQ(batch->size(), 50u);
  EXPECT_EQ(FileNameOf((*batch)[1]), "/bin/busybox");
  EXPECT_EQ(DecodeUint((*batch)[1].field(FieldId::kImode), true), 0100755u);
  auto reading = ParsePcrValues("sha1:10:" + ToHex(pcr10) + "\n", "independent");
  ASSERT_TRUE(reading.ok());
  auto report = VerifyBytes(big, *reading);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->verified());
  EXPECT_EQ(report->template_digest_mismatches, 0u);
}

TEST(Resume, StartingAtAnEntryGivesTheRestOfTheList) {
  std::vector<uint8_t> list = ReadBytes(GenuinePath("ngsha256", "binary_runtime_measurements"));
  ParsedList all = Parse(list);
  auto file = NewMemoryFile("list", list);
  BinaryLogReader reader(*file, {}, {.entry_index = 30, .byte_offset = all.offsets[30]});
  auto batch = reader.Next();
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 20u);
  EXPECT_EQ((*batch)[0].index, 30u);
  EXPECT_EQ((*batch)[0].offset, all.offsets[30]);
  EXPECT_EQ(reader.position().byte_offset, list.size());
}

TEST(Tail, AGrowingFileYieldsOnlyNewEntriesAndWaitsOnPartialOnes) {
  std::vector<uint8_t> list = ReadBytes(GenuinePath("ngsha256", "binary_runtime_measurements"));
  ParsedList all = Parse(list);
  std::string path = testing::MakeTempDir("tail") + "/binary_runtime_measurements";
  auto write = [&](size_t upto) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(list.data()), static_cast<std::streamsize>(upto));
  };
  write(all.offsets[10] + 7);  // 10 entries and part of the 11th
  auto file = Env::Default().OpenForRead(path);
  ASSERT_TRUE(file.ok());
  BinaryLogReader reader(**file, {});
  auto first = reader.Next();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size(), 10u);
  auto none = reader.Next();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(reader.CheckComplete().ok());  // a partial entry is pending
  write(list.size());
  auto rest = reader.Next();
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 40u);
  EXPECT_EQ((*rest)[0].index, 10u);
  EXPECT_TRUE(reader.CheckComplete().ok());
}

TEST(LargeEntries, GrowTheBufferOnlyAsBytesArrive) {
  // One ima-buf entry with 3 MiB of data, read through a 4 KiB buffer.
  std::vector<uint8_t> data;
  auto le32 = [](std::vector<uint8_t>& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  std::string algo = "sha256:";
  le32(data, static_cast<uint32_t>(algo.size() + 1 + 32));
  data.insert(data.end(), algo.begin(), algo.end());
  data.push_back(0);
  data.insert(data.end(), 32, 0xab);
  le32(data, 4);
  data.insert(data.end(), {'k', 'e', 'y', 0});
  le32(data, 3u << 20);
  data.insert(data.end(), 3u << 20, 0x5a);
  std::vector<uint8_t> list;
  le32(list, 10);
  list.insert(list.end(), 20, 0x11);
  le32(list, 7);
  for (char c : std::string("ima-buf")) list.push_back(static_cast<uint8_t>(c));
  le32(list, static_cast<uint32_t>(data.size()));
  list.insert(list.end(), data.begin(), data.end());
  auto file = NewMemoryFile("big", list);
  BinaryLogReader reader(*file, {.buffer_size = 4096});
  auto batch = reader.Next();
  ASSERT_TRUE(batch.ok()) << batch.error().ToString();
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ((*batch)[0].field(FieldId::kBuf).size(), 3u << 20);
}

TEST(TemplateDigestSize, DetectedFromFileNameOrFirstEntry) {
  EXPECT_EQ(TemplateDigestSizeForFileName("binary_runtime_measurements_sha384"), 48u);
  EXPECT_EQ(TemplateDigestSizeForFileName("binary_runtime_measurements"), 20u);
  for (auto [file, size] : {std::pair{"sha256.log", 32u}, {"sha512.log", 64u}, {"sha1.log", 20u}}) {
    auto bytes = ReadBytes(ExternalPath(std::string("ibmtss-fedora40-vtpm/") + file));
    auto f = NewMemoryFile("unnamed", bytes);
    BinaryLogReader reader(*f, {});
    auto batch = reader.Next(1);
    ASSERT_TRUE(batch.ok());
    EXPECT_EQ(reader.template_digest_size(), size) << file;
  }
}

}  // namespace
}  // namespace imawatch::ima::test
