#include "tests/testing/ima_log_builder.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace imawatch::testing {
namespace {

constexpr uint32_t kImaPcr = 10;    // CONFIG_IMA_MEASURE_PCR_IDX: boot_aggregate, violations
constexpr uint32_t kBootPcrs = 10;  // PCRs 0-9 are the firmware's
constexpr size_t kFlushThreshold = 1 << 20;
constexpr std::string_view kBootAggregate = "boot_aggregate";

// Straight OpenSSL, not monitor/ima/hash: the builder is the reference the replay is checked
// against, so it shares no code with it.
const EVP_MD* Md(ima::HashAlgo algo) {
  static const EVP_MD* sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  static const EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static const EVP_MD* sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  static const EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  switch (algo) {
    case ima::HashAlgo::kSha1:
      return sha1;
    case ima::HashAlgo::kSha256:
      return sha256;
    case ima::HashAlgo::kSha384:
      return sha384;
    case ima::HashAlgo::kSha512:
      return sha512;
    default:
      throw std::runtime_error("ImaLogBuilder: unsupported hash " + std::string(ima::Name(algo)));
  }
}

ima::Digest HashOf(ima::HashAlgo algo, std::span<const uint8_t> a, std::span<const uint8_t> b = {}) {
  thread_local EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ima::Digest out = ima::Digest::Zero(algo);
  if (EVP_DigestInit_ex2(ctx, Md(algo), nullptr) != 1 || EVP_DigestUpdate(ctx, a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(ctx, b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out.bytes.data(), nullptr) != 1) {
    throw std::runtime_error("ImaLogBuilder: OpenSSL digest failed");
  }
  return out;
}

std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void PutU32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// PCRs 0-9 of a machine whose firmware logged one event per PCR.
ima::PcrValues DefaultBootPcrs(const std::vector<ima::HashAlgo>& banks) {
  ima::PcrValues pcrs;
  for (ima::HashAlgo bank : banks) {
    for (uint32_t i = 0; i < kBootPcrs; ++i) {
      ima::Digest event = HashOf(bank, AsBytes("imawatch test firmware event for PCR " + std::to_string(i)));
      ima::Digest zero = ima::Digest::Zero(bank);
      pcrs.Set(bank, i, HashOf(bank, zero.view(), event.view()));
    }
  }
  return pcrs;
}

}  // namespace

std::string_view TemplateName(ImaTemplate t) {
  switch (t) {
    case ImaTemplate::kImaNg:
      return "ima-ng";
    case ImaTemplate::kImaSig:
      return "ima-sig";
    case ImaTemplate::kEvmSig:
      return "evm-sig";
  }
  return "?";
}

ImaTemplate TemplateFromName(std::string_view name) {
  for (ImaTemplate t : {ImaTemplate::kImaNg, ImaTemplate::kImaSig, ImaTemplate::kEvmSig}) {
    if (TemplateName(t) == name) return t;
  }
  throw std::runtime_error("unknown template '" + std::string(name) + "' (ima-ng, ima-sig or evm-sig)");
}

ImaLogBuilder::ImaLogBuilder(const std::string& list_path, ImaLogBuilderOptions options)
    : ImaLogBuilder(std::move(options)) {
  path_ = list_path;
  file_ = std::fopen(list_path.c_str(), "wb");
  if (!file_) throw std::runtime_error("ImaLogBuilder: cannot create " + list_path);
  pending_.reserve(kFlushThreshold + 4096);
}

ImaLogBuilder::ImaLogBuilder(ImaLogBuilderOptions options)
    : options_(std::move(options)), pcrs_(DefaultBootPcrs(options_.banks)) {
  if (std::find(options_.banks.begin(), options_.banks.end(), ima::HashAlgo::kSha1) == options_.banks.end()) {
    throw std::runtime_error("ImaLogBuilder: the sha1 bank is required (it holds the logged digests)");
  }
  for (ima::HashAlgo bank : options_.banks) Md(bank);
}

ImaLogBuilder::~ImaLogBuilder() {
  if (file_) std::fclose(file_);
}

void ImaLogBuilder::SetBootPcrs(const ima::PcrValues& pcrs) {
  if (entries_ != 0) throw std::runtime_error("ImaLogBuilder: SetBootPcrs after the first entry");
  pcrs_ = ima::PcrValues();
  for (ima::HashAlgo bank : pcrs.Banks()) {
    for (uint32_t i : pcrs.Indexes(bank)) {
      if (i < kBootPcrs) pcrs_.Set(bank, i, *pcrs.Get(bank, i));
    }
  }
}

BuiltEntry ImaLogBuilder::AddBootAggregate() {
  const ima::HashAlgo bank = options_.ima_hash;
  const uint32_t last = bank == ima::HashAlgo::kSha1 ? 7 : 9;
  std::vector<uint8_t> concatenated;
  for (uint32_t i = 0; i <= last; ++i) {
    const ima::Digest* d = pcrs_.Get(bank, i);
    if (!d) {
      throw std::runtime_error("ImaLogBuilder: no " + std::string(ima::Name(bank)) + " PCR " +
                               std::to_string(i) + " for boot_aggregate");
    }
    concatenated.insert(concatenated.end(), d->view().begin(), d->view().end());
  }
  ima::Digest aggregate = HashOf(bank, concatenated);
  FileMeasurement m{.path = std::string(kBootAggregate), .algo = bank, .pcr = kImaPcr};
  m.digest.assign(aggregate.view().begin(), aggregate.view().end());
  return Append(m, false, true);
}

BuiltEntry ImaLogBuilder::AddMeasurement(const FileMeasurement& m) {
  if (m.digest.size() != ima::DigestSize(m.algo)) {
    throw std::runtime_error("ImaLogBuilder: " + m.path + ": " + std::to_string(m.digest.size()) +
                             "-byte digest for " + std::string(ima::Name(m.algo)));
  }
  if (m.pcr > ima::kMaxPcrIndex) throw std::runtime_error("ImaLogBuilder: PCR " + std::to_string(m.pcr));
  return Append(m, false, false);
}

BuiltEntry ImaLogBuilder::AddViolation(const FileMeasurement& m) {
  FileMeasurement v = m;
  v.algo = options_.ima_hash;
  v.digest.assign(ima::DigestSize(v.algo), 0);
  v.pcr = kImaPcr;
  v.signature.clear();
  v.evm_signature.clear();
  ++violations_;
  return Append(v, true, false);
}

void ImaLogBuilder::AppendField(std::span<const uint8_t> bytes) {
  PutU32(data_, static_cast<uint32_t>(bytes.size()));
  data_.insert(data_.end(), bytes.begin(), bytes.end());
}

void ImaLogBuilder::AppendU32Field(uint32_t v) {
  PutU32(data_, 4);
  PutU32(data_, v);
}

void ImaLogBuilder::AppendU16Field(uint16_t v) {
  PutU32(data_, 2);
  data_.push_back(static_cast<uint8_t>(v));
  data_.push_back(static_cast<uint8_t>(v >> 8));
}

BuiltEntry ImaLogBuilder::Append(const FileMeasurement& m, bool violation, bool boot_aggregate) {
  if (finished_) throw std::runtime_error("ImaLogBuilder: entry added after Finish()");
  // Template data: each field as <u32 length><bytes>, in the template's field order.
  data_.clear();
  const std::string_view algo_name = ima::Name(m.algo);
  PutU32(data_, static_cast<uint32_t>(algo_name.size() + 2 + m.digest.size()));  // d-ng: "<algo>:\0" + digest
  data_.insert(data_.end(), algo_name.begin(), algo_name.end());
  data_.push_back(':');
  data_.push_back(0);
  const size_t digest_in_data = data_.size();
  data_.insert(data_.end(), m.digest.begin(), m.digest.end());
  PutU32(data_, static_cast<uint32_t>(m.path.size() + 1));  // n-ng: the name with its NUL
  data_.insert(data_.end(), m.path.begin(), m.path.end());
  data_.push_back(0);
  switch (options_.template_kind) {
    case ImaTemplate::kImaNg:
      break;
    case ImaTemplate::kImaSig:
      AppendField(m.signature);
      break;
    case ImaTemplate::kEvmSig:
      AppendField(m.evm_signature);
      AppendField({});  // xattrnames, xattrlengths, xattrvalues: no EVM-protected xattrs
      AppendField({});
      AppendField({});
      if (boot_aggregate) {  // no inode behind boot_aggregate: the inode fields stay empty
        AppendField({});
        AppendField({});
        AppendField({});
      } else {
        AppendU32Field(m.uid);
        AppendU32Field(m.gid);
        AppendU16Field(m.mode);
      }
      break;
  }

  const std::string_view name = TemplateName(options_.template_kind);
  BuiltEntry built{.index = entries_, .offset = offset_};
  if (!violation) {
    ima::Digest sha1 = HashOf(ima::HashAlgo::kSha1, data_);
    std::copy_n(sha1.bytes.begin(), 20, built.template_digest.begin());
  }
  std::vector<uint8_t>& head = head_;
  head.clear();
  PutU32(head, m.pcr);
  head.insert(head.end(), built.template_digest.begin(), built.template_digest.end());
  PutU32(head, static_cast<uint32_t>(name.size()));
  head.insert(head.end(), name.begin(), name.end());
  PutU32(head, static_cast<uint32_t>(data_.size()));
  built.size = static_cast<uint32_t>(head.size() + data_.size());
  built.file_digest_offset = static_cast<uint32_t>(head.size() + digest_in_data);
  Write(head);
  Write(data_);

  Extend(m.pcr, violation);
  ++entries_;
  return built;
}

// TPM2_PCR_Extend of every bank: H_bank(template data), or 0xFF... for a violation.
void ImaLogBuilder::Extend(uint32_t pcr, bool violation) {
  for (ima::HashAlgo bank : options_.banks) {
    ima::Digest in = violation ? ima::Digest::Filled(bank, 0xff) : HashOf(bank, data_);
    const ima::Digest* current = pcrs_.Get(bank, pcr);
    ima::Digest value = current ? *current : ima::Digest::Zero(bank);
    pcrs_.Set(bank, pcr, HashOf(bank, value.view(), in.view()));
  }
}

void ImaLogBuilder::Write(std::span<const uint8_t> bytes) {
  offset_ += bytes.size();
  if (!file_) {
    memory_.insert(memory_.end(), bytes.begin(), bytes.end());
    return;
  }
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  if (pending_.size() >= kFlushThreshold) Flush();
}

void ImaLogBuilder::Flush() {
  if (pending_.empty()) return;
  if (std::fwrite(pending_.data(), 1, pending_.size(), file_) != pending_.size()) {
    throw std::runtime_error("ImaLogBuilder: write to " + path_ + " failed");
  }
  pending_.clear();
}

void ImaLogBuilder::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!file_) return;
  Flush();
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) throw std::runtime_error("ImaLogBuilder: closing " + path_ + " failed");
}

std::string PcrsText(const ima::PcrValues& pcrs) {
  std::string out;
  for (ima::HashAlgo bank : ima::kPcrBanks) {
    for (uint32_t i : pcrs.Indexes(bank)) {
      std::string hex = pcrs.Get(bank, i)->hex();
      std::transform(hex.begin(), hex.end(), hex.begin(),
                     [](char c) { return c >= 'a' ? static_cast<char>(c - 'a' + 'A') : c; });
      out += std::string(ima::Name(bank)) + ":" + std::to_string(i) + ":" + hex + "\n";
    }
  }
  return out;
}

std::string EvmctlPcrsText(const ima::PcrValues& pcrs, ima::HashAlgo bank) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (uint32_t i = 0; i <= ima::kMaxPcrIndex; ++i) {
    const ima::Digest* d = pcrs.Get(bank, i);
    ima::Digest value = d ? *d : ima::Digest::Zero(bank);
    out += "PCR-";
    out.push_back(static_cast<char>('0' + i / 10));
    out.push_back(static_cast<char>('0' + i % 10));
    out += ":";
    for (uint8_t b : value.view()) {
      out.push_back(' ');
      out.push_back(kDigits[b >> 4]);
      out.push_back(kDigits[b & 15]);
    }
    out += "\n";
  }
  return out;
}

void WriteTextFile(const std::string& path, std::string_view text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot create " + path);
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !written) throw std::runtime_error("cannot write " + path);
}

}  // namespace imawatch::testing
