// The list builder against the kernel: rebuilt from the entries of a genuine kernel list, it
// must produce that list byte for byte, and the PCR values the kernel's TPM held.
#include "tests/testing/ima_log_builder.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <sstream>

#include "monitor/base/env.h"
#include "monitor/base/hex.h"
#include "monitor/ima/binary_reader.h"
#include "monitor/ima/fields.h"
#include "monitor/ima/pcr_values.h"
#include "tests/testing/paths.h"

namespace imawatch::testing {
namespace {

using ima::HashAlgo;

std::string FixtureDir(const std::string& name) {
  std::string dir = FixturePath("ima/" + name);
  return Env::Default().IsDirectory(dir) ? dir : SharedPath("fixtures/ima/" + name);
}

std::vector<std::string> SplitSpaces(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t at = line.find(' '); at != std::string::npos; at = line.find(' ', start)) {
    out.push_back(line.substr(start, at - start));
    start = at + 1;
  }
  out.push_back(line.substr(start));
  return out;
}

struct Rebuilt {
  std::vector<uint8_t> bytes;
  ima::PcrValues pcrs;
  size_t entries = 0;
};

// Feeds the kernel's ascii rendering of a list (paths without spaces) to the builder.
Rebuilt RebuildFromAscii(const std::string& dir) {
  auto reading = ima::LoadPcrValues(Env::Default(), dir + "/pcrs.txt");
  if (!reading) throw std::runtime_error(reading.error().ToString());
  std::istringstream ascii(ReadFileOrDie(dir + "/ascii_runtime_measurements"));
  std::string line;
  std::optional<ImaLogBuilder> builder;
  Rebuilt out;
  while (std::getline(ascii, line)) {
    auto f = SplitSpaces(line);
    const std::string& template_name = f.at(2);
    const std::string& digest = f.at(3);
    const size_t colon = digest.find(':');
    auto algo = ima::HashAlgoFromName(digest.substr(0, colon));
    if (!algo) throw std::runtime_error("digest algorithm in " + line);
    if (!builder) {
      builder.emplace(
          ImaLogBuilderOptions{.template_kind = TemplateFromName(template_name), .ima_hash = *algo});
      builder->SetBootPcrs(*reading);
    }
    FileMeasurement m{.path = f.at(4), .algo = *algo, .digest = *FromHex(digest.substr(colon + 1))};
    m.pcr = static_cast<uint32_t>(std::stoul(f.at(0)));
    if (template_name == "evm-sig" && !f.at(9).empty()) {
      m.uid = static_cast<uint32_t>(std::stoul(f.at(9)));
      m.gid = static_cast<uint32_t>(std::stoul(f.at(10)));
      m.mode = static_cast<uint16_t>(std::stoul(f.at(11)));
    }
    if (out.entries == 0 && m.path == "boot_aggregate") {
      builder->AddBootAggregate();
    } else if (f.at(1) == std::string(40, '0')) {
      builder->AddViolation(m);
    } else {
      builder->AddMeasurement(m);
    }
    ++out.entries;
  }
  out.bytes.assign(builder->bytes().begin(), builder->bytes().end());
  out.pcrs = builder->pcrs();
  return out;
}

class GenuineListTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GenuineListTest, RebuildsTheKernelsBytesAndPcrs) {
  const std::string dir = FixtureDir(GetParam());
  const std::string binary = ReadFileOrDie(dir + "/binary_runtime_measurements");
  Rebuilt rebuilt = RebuildFromAscii(dir);
  ASSERT_GE(rebuilt.entries, 50u);

  // The race capture read the ascii list after the binary one: it holds one entry more.
  const size_t common = std::min(binary.size(), rebuilt.bytes.size());
  ASSERT_GT(common, 4000u);
  EXPECT_EQ(std::string(rebuilt.bytes.begin(), rebuilt.bytes.begin() + static_cast<std::ptrdiff_t>(common)),
            binary.substr(0, common));
  if (GetParam() == "race") return;  // its PCRs were read mid-list
  EXPECT_EQ(rebuilt.bytes.size(), binary.size());

  auto reading = ima::LoadPcrValues(Env::Default(), dir + "/pcrs.txt");
  ASSERT_TRUE(reading.ok());
  // sha384/sha512: that kernel could not allocate those hashes and extended them with padded
  // SHA1 digests; the builder models a kernel that has every bank's hash.
  for (HashAlgo bank : {HashAlgo::kSha1, HashAlgo::kSha256}) {
    for (uint32_t pcr : rebuilt.pcrs.Indexes(bank)) {
      SCOPED_TRACE(std::string(ima::Name(bank)) + " PCR " + std::to_string(pcr));
      ASSERT_NE(reading->Get(bank, pcr), nullptr);
      EXPECT_EQ(rebuilt.pcrs.Get(bank, pcr)->hex(), reading->Get(bank, pcr)->hex());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GenuineListTest, ::testing::Values("ngsha256", "evmsig", "pcr11", "race"));

std::vector<uint8_t> Digest(HashAlgo algo, std::span<const uint8_t> a, std::span<const uint8_t> b = {}) {
  const char* name = algo == HashAlgo::kSha1 ? "SHA1" : algo == HashAlgo::kSha256 ? "SHA256" : "SHA512";
  std::vector<uint8_t> out(ima::DigestSize(algo));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex2(ctx, EVP_get_digestbyname(name), nullptr);
  EVP_DigestUpdate(ctx, a.data(), a.size());
  EVP_DigestUpdate(ctx, b.data(), b.size());
  EVP_DigestFinal_ex(ctx, out.data(), nullptr);
  EVP_MD_CTX_free(ctx);
  return out;
}

FileMeasurement Sample(uint8_t fill) {
  return {.path = "/usr/bin/kubelet", .algo = HashAlgo::kSha256, .digest = std::vector<uint8_t>(32, fill)};
}

TEST(ImaLogBuilderTest, ExtendsEachBankWithItsHashOfTheTemplateDataAndViolationsWithOnes) {
  ImaLogBuilder b;
  BuiltEntry boot = b.AddBootAggregate();
  BuiltEntry file = b.AddMeasurement(Sample(0xab));
  BuiltEntry violation = b.AddViolation(Sample(0xcd));
  const auto bytes = b.bytes();
  ASSERT_EQ(bytes.size(), boot.size + file.size + violation.size);
  EXPECT_EQ(violation.template_digest, (std::array<uint8_t, 20>{}));
  EXPECT_EQ(b.violations(), 1u);

  for (HashAlgo bank : {HashAlgo::kSha1, HashAlgo::kSha256, HashAlgo::kSha512}) {
    std::vector<uint8_t> pcr(ima::DigestSize(bank), 0);
    for (const BuiltEntry& e : {boot, file}) {
      // Template data: after pcr, digest, name length + name and the data length.
      const size_t head = 4 + 20 + 4 + 6 + 4;
      auto data = bytes.subspan(e.offset + head, e.size - head);
      if (bank == HashAlgo::kSha1) {
        EXPECT_EQ(ToHex(Digest(bank, data)), ToHex(e.template_digest));
      }
      pcr = Digest(bank, pcr, Digest(bank, data));
    }
    pcr = Digest(bank, pcr, std::vector<uint8_t>(ima::DigestSize(bank), 0xff));
    EXPECT_EQ(ToHex(pcr), b.pcrs().Get(bank, 10)->hex()) << ima::Name(bank);
  }
}

TEST(ImaLogBuilderTest, BootAggregateHashesPcrs0To9OfTheImaHashBank) {
  ImaLogBuilder b;
  BuiltEntry boot = b.AddBootAggregate();
  std::vector<uint8_t> concatenated;
  for (uint32_t i = 0; i < 10; ++i) {
    auto v = b.pcrs().Get(HashAlgo::kSha256, i)->view();
    concatenated.insert(concatenated.end(), v.begin(), v.end());
  }
  auto expected = Digest(HashAlgo::kSha256, concatenated);
  auto logged = b.bytes().subspan(boot.offset + boot.file_digest_offset, 32);
  EXPECT_EQ(ToHex(logged), ToHex(expected));
}

TEST(ImaLogBuilderTest, SigAndEvmSigFieldsDecodeAsTheKernelLaysThemOut) {
  FileMeasurement m = Sample(0x11);
  m.signature = {0x03, 0x02, 0x04, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x02, 0x55, 0x66};
  m.evm_signature = {0x05, 0x02};
  m.uid = 1000;
  m.gid = 1001;
  m.mode = 0100600;
  for (ImaTemplate kind : {ImaTemplate::kImaSig, ImaTemplate::kEvmSig}) {
    ImaLogBuilder b({.template_kind = kind});
    b.AddBootAggregate();
    b.AddMeasurement(m);
    auto file = NewMemoryFile("list", b.bytes());
    ima::BinaryLogReader reader(*file, {});
    auto batch = reader.Next();
    ASSERT_TRUE(batch.ok()) << batch.error().ToString();
    ASSERT_EQ(batch->size(), 2u);
    const ima::EntryView& e = (*batch)[1];
    EXPECT_EQ(e.template_name, TemplateName(kind));
    EXPECT_EQ(ima::FileNameOf(e), "/usr/bin/kubelet");
    EXPECT_EQ(ToHex(ima::FileDigestOf(e)->digest), ToHex(m.digest));
    if (kind == ImaTemplate::kImaSig) {
      EXPECT_EQ(ToHex(e.field(ima::FieldId::kSig)), ToHex(m.signature));
    } else {
      EXPECT_EQ(ToHex(e.field(ima::FieldId::kEvmsig)), "0502");
      EXPECT_EQ(ima::DecodeUint(e.field(ima::FieldId::kIuid), false), 1000u);
      EXPECT_EQ(ima::DecodeUint(e.field(ima::FieldId::kIgid), false), 1001u);
      EXPECT_EQ(ima::DecodeUint(e.field(ima::FieldId::kImode), false), 0100600u);
      EXPECT_TRUE((*batch)[0].field(ima::FieldId::kIuid).empty());  // boot_aggregate has no inode
    }
  }
}

TEST(ImaLogBuilderTest, StreamedFileEqualsTheInMemoryList) {
  const std::string path = MakeTempDir("builder") + "/binary_runtime_measurements";
  ImaLogBuilder streamed(path);
  ImaLogBuilder memory;
  for (ImaLogBuilder* b : {&streamed, &memory}) b->AddBootAggregate();
  for (uint32_t i = 0; i < 20000; ++i) {  // ~2.6 MB: several flushes
    FileMeasurement m = Sample(static_cast<uint8_t>(i));
    m.path += std::to_string(i);
    for (ImaLogBuilder* b : {&streamed, &memory}) {
      if (i % 1000 == 7) {
        b->AddViolation(m);
      } else {
        b->AddMeasurement(m);
      }
    }
  }
  streamed.Finish();
  const std::string file = ReadFileOrDie(path);
  EXPECT_EQ(file.size(), streamed.bytes_written());
  EXPECT_EQ(file, std::string(memory.bytes().begin(), memory.bytes().end()));
  EXPECT_EQ(streamed.pcrs(), memory.pcrs());
  EXPECT_THROW(streamed.AddMeasurement(Sample(1)), std::runtime_error);
}

TEST(ImaLogBuilderTest, RejectsADigestOfTheWrongSize) {
  ImaLogBuilder b;
  FileMeasurement m = Sample(1);
  m.digest.resize(20);
  EXPECT_THROW(b.AddMeasurement(m), std::runtime_error);
}

TEST(ImaLogBuilderTest, PcrFilesInBothFormats) {
  ima::PcrValues pcrs;
  pcrs.Set(HashAlgo::kSha1, 10, ima::Digest::Filled(HashAlgo::kSha1, 0xab));
  pcrs.Set(HashAlgo::kSha256, 0, ima::Digest::Filled(HashAlgo::kSha256, 0x01));
  auto repeat = [](const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  };
  EXPECT_EQ(PcrsText(pcrs), "sha1:10:" + repeat("AB", 20) + "\nsha256:0:" + repeat("01", 32) + "\n");
  const std::string evmctl = EvmctlPcrsText(pcrs, HashAlgo::kSha1);
  std::istringstream lines(evmctl);
  std::string line;
  for (int i = 0; i <= 23; ++i) {
    ASSERT_TRUE(std::getline(lines, line));
    char prefix[16];
    std::snprintf(prefix, sizeof(prefix), "PCR-%02d:", i);
    EXPECT_EQ(line.substr(0, 7), prefix);
    EXPECT_EQ(line.size(), 7u + 20 * 3);
  }
  EXPECT_FALSE(std::getline(lines, line));
  EXPECT_NE(evmctl.find("PCR-10: AB AB AB"), std::string::npos);
  EXPECT_NE(evmctl.find("PCR-09: 00 00 00"), std::string::npos);
}

}  // namespace
}  // namespace imawatch::testing
