#include "monitor/tpm/event_log.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <functional>
#include <set>

#include "monitor/base/hex.h"
#include "monitor/ima/boot_aggregate.h"
#include "tests/testing/paths.h"

namespace imawatch::tpm {
namespace {

using ima::Digest;
using ima::HashAlgo;

constexpr char kSampleLog[] = "eventlog/sample-binary_bios_measurements-pcrs-8-9";

std::vector<uint8_t> Fixture(const std::string& rel) {
  std::string bytes = testing::ReadFileOrDie(testing::FixturePath(rel));
  return {bytes.begin(), bytes.end()};
}

Digest Hash(HashAlgo algo, std::span<const uint8_t> a, std::span<const uint8_t> b = {}) {
  const EVP_MD* md = EVP_get_digestbyname(std::string(ima::Name(algo)).c_str());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, md, nullptr);
  EVP_DigestUpdate(ctx, a.data(), a.size());
  EVP_DigestUpdate(ctx, b.data(), b.size());
  Digest d = Digest::Zero(algo);
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx, d.bytes.data(), &size);
  EVP_MD_CTX_free(ctx);
  return d;
}

std::span<const uint8_t> Text(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Writes event logs byte by byte as firmware does, for cases no captured log covers.
class LogBuilder {
 public:
  struct Alg {
    uint16_t id;
    uint16_t size;
  };

  // The SHA1-format header event carrying Spec ID Event03.
  static LogBuilder CryptoAgile(std::vector<Alg> algs) {
    LogBuilder b;
    b.algs_ = algs;
    std::vector<uint8_t> spec;
    Append(spec, "Spec ID Event03", 16);
    U32(spec, 0);                           // platformClass
    spec.insert(spec.end(), {0, 2, 0, 2});  // minor, major, errata, uintnSize
    U32(spec, static_cast<uint32_t>(algs.size()));
    for (auto a : algs) {
      U16(spec, a.id);
      U16(spec, a.size);
    }
    spec.push_back(0);  // vendorInfoSize
    b.Sha1Event(0, kEvNoAction, std::vector<uint8_t>(20, 0), spec);
    return b;
  }

  void Sha1Event(uint32_t pcr, uint32_t type, std::span<const uint8_t> digest,
                 std::span<const uint8_t> data) {
    U32(bytes_, pcr);
    U32(bytes_, type);
    bytes_.insert(bytes_.end(), digest.begin(), digest.end());
    U32(bytes_, static_cast<uint32_t>(data.size()));
    bytes_.insert(bytes_.end(), data.begin(), data.end());
  }

  // A TCG_PCR_EVENT2 whose digests are H_alg(data) (zeros for EV_NO_ACTION); returns them.
  std::vector<Digest> Event2(uint32_t pcr, uint32_t type, std::span<const uint8_t> data) {
    U32(bytes_, pcr);
    U32(bytes_, type);
    U32(bytes_, static_cast<uint32_t>(algs_.size()));
    std::vector<Digest> digests;
    for (auto a : algs_) {
      U16(bytes_, a.id);
      auto algo = ima::HashAlgoFromTpmId(a.id);
      std::vector<uint8_t> digest(a.size, 0);
      if (algo && type != kEvNoAction) {
        Digest d = Hash(*algo, data);
        digest.assign(d.view().begin(), d.view().end());
        digests.push_back(d);
      }
      bytes_.insert(bytes_.end(), digest.begin(), digest.end());
    }
    U32(bytes_, static_cast<uint32_t>(data.size()));
    bytes_.insert(bytes_.end(), data.begin(), data.end());
    return digests;
  }

  void StartupLocality(uint8_t locality) {
    std::vector<uint8_t> data;
    Append(data, "StartupLocality", 16);
    data.push_back(locality);
    Event2(0, kEvNoAction, data);
  }

  std::vector<uint8_t>& bytes() { return bytes_; }

  static void U32(std::vector<uint8_t>& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  static void U16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v));
    out.push_back(static_cast<uint8_t>(v >> 8));
  }

 private:
  static void Append(std::vector<uint8_t>& out, const char* text, size_t size) {
    out.insert(out.end(), text, text + size);  // size includes the NUL
  }
  std::vector<Alg> algs_;
  std::vector<uint8_t> bytes_;
};

constexpr LogBuilder::Alg kSha1{0x0004, 20}, kSha256{0x000b, 32}, kSha384{0x000c, 48}, kSha512{0x000d, 64};

TEST(EventLog, SampleReplaysToTheTpmsSha1PcrsAndTheLoggedBootAggregate) {
  auto log = ParseEventLog(Fixture(kSampleLog), kSampleLog);
  ASSERT_TRUE(log.ok()) << log.error().ToString();
  EXPECT_EQ(log->format, EventLogFormat::kCryptoAgile);
  EXPECT_EQ(log->spec_version_major, 2);
  EXPECT_EQ(log->uintn_size, 2);  // UINT64 firmware
  ASSERT_EQ(log->algorithms.size(), 2u);
  EXPECT_EQ(log->algorithms[0].algo, HashAlgo::kSha1);
  EXPECT_EQ(log->algorithms[1].algo, HashAlgo::kSha256);

  ima::PcrValues replayed = ReplayEventLog(*log);
  EXPECT_EQ(replayed.Banks(), (std::vector<HashAlgo>{HashAlgo::kSha1, HashAlgo::kSha256}));
  EXPECT_EQ(replayed.Indexes(HashAlgo::kSha1), (std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14}));

  std::string dump_text = testing::ReadFileOrDie(testing::FixturePath("eventlog/sample-tpm-2.0-pcrs-8-9"));
  auto tpm = ima::ParsePcrValues(dump_text, "sample-tpm-2.0-pcrs-8-9");
  ASSERT_TRUE(tpm.ok()) << tpm.error().ToString();
  // Every PCR the firmware and shim extended (0-9, and 14 for the MOK lists).
  for (uint32_t pcr : replayed.Indexes(HashAlgo::kSha1)) {
    EXPECT_EQ(replayed.Get(HashAlgo::kSha1, pcr)->hex(), tpm->Get(HashAlgo::kSha1, pcr)->hex())
        << "PCR " << pcr;
  }

  // boot_aggregate (ima-ng, sha256): sha256 over sha256 PCRs 0..9.
  std::vector<uint8_t> concatenated;
  for (uint32_t pcr = 0; pcr <= 9; ++pcr) {
    auto v = replayed.Get(HashAlgo::kSha256, pcr)->view();
    concatenated.insert(concatenated.end(), v.begin(), v.end());
  }
  EXPECT_EQ(Hash(HashAlgo::kSha256, concatenated).hex(),
            "83d19723ef3b3c05bb8ae70d86b3886c158f2408f1b71ed265886a7b79eb700e");
  auto aggregate = ima::ComputeBootAggregate(HashAlgo::kSha256, replayed);
  ASSERT_TRUE(aggregate.ok()) << aggregate.error().ToString();
  EXPECT_EQ(aggregate->hex(), "83d19723ef3b3c05bb8ae70d86b3886c158f2408f1b71ed265886a7b79eb700e");
  std::string ascii =
      testing::ReadFileOrDie(testing::FixturePath("eventlog/sample-ascii_runtime_measurements-pcrs-8-9"));
  EXPECT_NE(ascii.find("sha256:" + Hash(HashAlgo::kSha256, concatenated).hex() + " boot_aggregate"),
            std::string::npos);
}

TEST(EventLog, SampleEventsAreInOrderWithNames) {
  auto log = ParseEventLog(Fixture(kSampleLog), kSampleLog);
  ASSERT_TRUE(log.ok());
  ASSERT_GT(log->events.size(), 10u);
  EXPECT_EQ(log->events[0].type, kEvNoAction);
  EXPECT_EQ(log->events[0].offset, 0u);
  for (size_t i = 1; i < log->events.size(); ++i) {
    EXPECT_GT(log->events[i].offset, log->events[i - 1].offset);
    if (log->events[i].type != kEvNoAction) {
      EXPECT_EQ(log->events[i].digests.size(), 2u);
    }
  }
  EXPECT_EQ(EventTypeName(0x80000008), "EV_EFI_PLATFORM_FIRMWARE_BLOB");
  EXPECT_EQ(EventTypeName(4), "EV_SEPARATOR");
  EXPECT_EQ(EventTypeName(0x12345678), "0x12345678");
  // Seven separators close PCRs 0-7 before the boot loader runs.
  size_t separators = 0;
  for (const auto& e : log->events) separators += e.type == 4 && e.pcr <= 7;
  EXPECT_EQ(separators, 8u);
}

// Every prefix of a real log either ends exactly on an event boundary (a shorter, valid log)
// or is a clean error at a byte offset inside the event that was cut.
TEST(EventLog, TruncationAtEveryByteOffsetIsACleanError) {
  std::vector<uint8_t> bytes = Fixture(kSampleLog);
  auto full = ParseEventLog(bytes, kSampleLog);
  ASSERT_TRUE(full.ok());
  std::vector<uint64_t> starts;
  for (const auto& e : full->events) starts.push_back(e.offset);
  std::set<uint64_t> boundaries(starts.begin() + 1, starts.end());
  size_t errors = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto prefix = ParseEventLog(std::span(bytes.data(), n), "prefix");
    if (boundaries.count(n)) {
      ASSERT_TRUE(prefix.ok()) << "prefix " << n << ": " << prefix.error().ToString();
      ASSERT_EQ(prefix->events.size(),
                static_cast<size_t>(std::lower_bound(starts.begin(), starts.end(), n) - starts.begin()));
      continue;
    }
    ASSERT_FALSE(prefix.ok()) << "prefix " << n;
    ++errors;
    const Position& where = prefix.error().where();
    ASSERT_TRUE(where.byte_offset.has_value()) << prefix.error().ToString();
    ASSERT_LE(*where.byte_offset, n);
    // The event being read started at the last boundary at or before n.
    auto cut = std::upper_bound(starts.begin(), starts.end(), n) - 1;
    ASSERT_GE(*where.byte_offset, *cut) << "prefix " << n;
    ASSERT_EQ(where.entry_index, static_cast<uint64_t>(cut - starts.begin())) << "prefix " << n;
  }
  EXPECT_EQ(errors, bytes.size() - boundaries.size());
}

TEST(EventLog, StartupLocalitySetsPcr0AndOtherBanksReplay) {
  // sha384 and sha512 banks, and an algorithm imawatch does not know (SHA3-256, 0x27).
  LogBuilder b = LogBuilder::CryptoAgile({kSha384, kSha512, {0x0027, 32}});
  b.StartupLocality(3);
  auto d0 = b.Event2(0, 0x80000008, Text("firmware blob"));
  auto d1 = b.Event2(0, 4, Text("\0\0\0\0"));
  auto d7 = b.Event2(7, 0x800000e0, Text("db cert"));
  b.Event2(7, kEvNoAction, Text("not extended"));
  auto log = ParseEventLog(b.bytes(), "built");
  ASSERT_TRUE(log.ok()) << log.error().ToString();
  EXPECT_EQ(log->startup_locality, 3);
  EXPECT_FALSE(log->algorithms[2].algo.has_value());
  ima::PcrValues pcrs = ReplayEventLog(*log);
  EXPECT_EQ(pcrs.Banks(), (std::vector<HashAlgo>{HashAlgo::kSha384, HashAlgo::kSha512}));
  for (size_t i = 0; i < 2; ++i) {
    HashAlgo bank = d0[i].algo;
    Digest pcr0 = Digest::Zero(bank);
    pcr0.bytes[pcr0.size - 1] = 3;
    pcr0 = Hash(bank, pcr0.view(), d0[i].view());
    pcr0 = Hash(bank, pcr0.view(), d1[i].view());
    EXPECT_EQ(*pcrs.Get(bank, 0), pcr0);
    EXPECT_EQ(*pcrs.Get(bank, 7), Hash(bank, Digest::Zero(bank).view(), d7[i].view()));
    EXPECT_EQ(pcrs.Indexes(bank), (std::vector<uint32_t>{0, 7}));
  }
}

// The kernel's export ends with the last event: leftover bytes, even zeros, are an error.
TEST(EventLog, BytesAfterTheLastEventAreAnError) {
  LogBuilder b = LogBuilder::CryptoAgile({kSha1, kSha256});
  b.Event2(4, 0x80000003, Text("grub"));
  size_t events_end = b.bytes().size();
  ASSERT_TRUE(ParseEventLog(b.bytes(), "exact").ok());
  b.bytes().resize(events_end + 64, 0);
  auto log = ParseEventLog(b.bytes(), "padded");
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().where().entry_index, 2u);
  EXPECT_GE(*log.error().where().byte_offset, events_end);
}

TEST(EventLog, Tcg12Sha1Log) {
  LogBuilder b;
  std::vector<Digest> digests;
  for (uint32_t pcr : {0u, 0u, 4u, 5u}) {
    std::string data = "event for PCR " + std::to_string(pcr);
    Digest d = Hash(HashAlgo::kSha1, Text(data));
    digests.push_back(d);
    b.Sha1Event(pcr, 0x0d, d.view(), Text(data));
  }
  auto log = ParseEventLog(b.bytes(), "tcg12");
  ASSERT_TRUE(log.ok()) << log.error().ToString();
  EXPECT_EQ(log->format, EventLogFormat::kTcg12Sha1);
  EXPECT_EQ(log->events.size(), 4u);
  ima::PcrValues pcrs = ReplayEventLog(*log);
  Digest zero = Digest::Zero(HashAlgo::kSha1);
  Digest pcr0 =
      Hash(HashAlgo::kSha1, Hash(HashAlgo::kSha1, zero.view(), digests[0].view()).view(), digests[1].view());
  EXPECT_EQ(*pcrs.Get(HashAlgo::kSha1, 0), pcr0);
  EXPECT_EQ(*pcrs.Get(HashAlgo::kSha1, 5), Hash(HashAlgo::kSha1, zero.view(), digests[3].view()));
  EXPECT_EQ(pcrs.size(), 3u);
}

// Each malformed log: the error and the byte offset it must point at.
struct Malformed {
  std::string name;
  std::function<std::vector<uint8_t>(size_t& expected_offset)> make;
  std::string message;
};

TEST(EventLog, MalformedLogsAreErrorsAtTheRightOffset) {
  std::vector<Malformed> cases = {
      {"no algorithms",
       [](size_t& at) {
         auto b = LogBuilder::CryptoAgile({});
         at = 32 + 24;  // header fields, then signature 16 + class 4 + versions 4
         return b.bytes();
       },
       "numberOfAlgorithms is 0"},
      {"wrong sha256 size",
       [](size_t& at) {
         auto b = LogBuilder::CryptoAgile({{0x000b, 20}});
         at = 32 + 28;
         return b.bytes();
       },
       "sha256 digest size given as 20"},
      {"oversized unknown digest",
       [](size_t& at) {
         auto b = LogBuilder::CryptoAgile({{0x0099, 65}});
         at = 32 + 28;
         return b.bytes();
       },
       "not 1..64"},
      {"digest count mismatch",
       [](size_t& at) {
         auto b = LogBuilder::CryptoAgile({kSha1, kSha256});
         at = b.bytes().size() + 8;
         LogBuilder::U32(b.bytes(), 1);
         LogBuilder::U32(b.bytes(), 1);
         LogBuilder::U32(b.bytes(), 1);  // one digest where two algorithms are listed
         return b.bytes();
       },
       "event has 1 digests"},
      {"digest of an unlisted algorithm",
       [](size_t& at) {
         auto b = LogBuilder::CryptoAgile({kSha1});
         LogBuilder::U32(b.bytes(), 1);
         LogBuilder::U32(b.bytes(), 1);
         LogBuilder::U32(b.bytes(), 1);
         at = b.bytes().size();
         LogBuilder::U16(b.bytes(), 0x000b);
         b.bytes().resize(b.bytes().size() + 64, 1);
         return b.bytes();
       },
       "not in the Spec ID event"},
      {"event data past the end",
       [](size_t& at) {
         auto b = LogBuilder::CryptoAgile({kSha256});
         LogBuilder::U32(b.bytes(), 1);
         LogBuilder::U32(b.bytes(), 1);
         LogBuilder::U32(b.bytes(), 1);
         LogBuilder::U16(b.bytes(), 0x000b);
         b.bytes().resize(b.bytes().size() + 32, 7);
         at = b.bytes().size();
         LogBuilder::U32(b.bytes(), 0xffffffff);
         return b.bytes();
       },
       "runs past the end"},
      {"PCR 24",
       [](size_t& at) {
         auto b = LogBuilder::CryptoAgile({kSha256});
         at = b.bytes().size();
         b.Event2(24, 1, Text("x"));
         return b.bytes();
       },
       "PCR 24"},
      {"StartupLocality outside PCR 0",
       [](size_t& at) {
         auto b = LogBuilder::CryptoAgile({kSha256});
         at = b.bytes().size();
         std::vector<uint8_t> data(Text("StartupLocality").begin(), Text("StartupLocality").end());
         data.push_back(0);
         data.push_back(3);
         b.Event2(1, kEvNoAction, data);
         return b.bytes();
       },
       "StartupLocality event for PCR 1"},
      {"spec id cut short",
       [](size_t& at) {
         LogBuilder b;
         std::vector<uint8_t> spec(Text("Spec ID Event03").begin(), Text("Spec ID Event03").end());
         spec.push_back(0);
         spec.resize(spec.size() + 6, 0);  // platformClass and part of the versions
         b.Sha1Event(0, kEvNoAction, std::vector<uint8_t>(20, 0), spec);
         at = 32 + 16 + 4 + 2;
         return b.bytes();
       },
       "Spec ID event"},
  };
  for (auto& c : cases) {
    size_t at = 0;
    std::vector<uint8_t> bytes = c.make(at);
    auto log = ParseEventLog(bytes, c.name);
    ASSERT_FALSE(log.ok()) << c.name;
    EXPECT_NE(log.error().message().find(c.message), std::string::npos)
        << c.name << ": " << log.error().ToString();
    EXPECT_EQ(log.error().where().byte_offset, at) << c.name << ": " << log.error().ToString();
    EXPECT_EQ(log.error().where().source, c.name);
  }
}

TEST(EventLog, EmptyAndOversizedInputs) {
  EXPECT_FALSE(ParseEventLog({}, "empty").ok());
  std::vector<uint8_t> huge(kMaxEventLogSize + 1, 0);
  EXPECT_FALSE(ParseEventLog(huge, "huge").ok());
}

TEST(EventLog, LoadsThroughEnv) {
  auto log = LoadEventLog(Env::Default(), testing::FixturePath(kSampleLog));
  ASSERT_TRUE(log.ok()) << log.error().ToString();
  EXPECT_EQ(ReplayEventLog(*log).size(), 22u);  // PCRs 0-9 and 14 in two banks
  auto missing = LoadEventLog(Env::Default(), testing::FixturePath("eventlog/missing"));
  ASSERT_FALSE(missing.ok());
}

}  // namespace
}  // namespace imawatch::tpm
