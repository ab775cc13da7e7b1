#include "monitor/ima/log_tail.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "monitor/ima/boot_aggregate.h"
#include "monitor/ima/fields.h"

namespace imawatch::ima {

// Running SHA-256 whose value can be taken without ending it.
struct LogTail::Sha256 {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Sha256() { Reset(); }
  ~Sha256() { EVP_MD_CTX_free(ctx); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Reset() { EVP_DigestInit_ex2(ctx, EVP_sha256(), nullptr); }
  void Update(std::span<const uint8_t> bytes) { EVP_DigestUpdate(ctx, bytes.data(), bytes.size()); }
  std::array<uint8_t, 32> Value() const {
    std::array<uint8_t, 32> out{};
    EVP_MD_CTX* copy = EVP_MD_CTX_new();
    EVP_MD_CTX_copy_ex(copy, ctx);
    EVP_DigestFinal_ex(copy, out.data(), nullptr);
    EVP_MD_CTX_free(copy);
    return out;
  }
};

namespace {

constexpr size_t kTailBuffer = 64 << 10;
constexpr size_t kRecheckChunk = 256 << 10;

}  // namespace

std::string LogTail::ListPath(const std::string& securityfs_root) {
  return securityfs_root + "/ima/binary_runtime_measurements";
}

LogTail::LogTail(Env& env, std::string path, TailOptions options)
    : env_(env), path_(std::move(path)), options_(options), read_hash_(std::make_unique<Sha256>()) {
  if (options_.reader.buffer_size == ReaderOptions().buffer_size) options_.reader.buffer_size = kTailBuffer;
}

LogTail::~LogTail() = default;

Result<std::unique_ptr<LogTail>> LogTail::Open(Env& env, std::string path, TailOptions options) {
  std::unique_ptr<LogTail> tail(new LogTail(env, std::move(path), options));
  if (Status s = tail->Reopen(); !s) return s.error();
  tail->Restart();
  return tail;
}

Status LogTail::Reopen() {
  auto st = env_.StatNoFollow(path_);
  if (!st) return st.error();
  auto file = env_.OpenForRead(path_);
  if (!file) return file.error();
  // The reader keeps a reference to the file: drop it before the file it reads.
  ReadPosition at = reader_ ? reader_->position() : ReadPosition{};
  reader_.reset();
  file_ = std::move(*file);
  inode_ = st->inode;
  reader_ = std::make_unique<BinaryLogReader>(*file_, options_.reader, at);
  return {};
}

void LogTail::Restart() {
  reader_ = std::make_unique<BinaryLogReader>(*file_, options_.reader, ReadPosition{});
  first_entry_.clear();
  boot_aggregate_.reset();
  read_hash_->Reset();
}

void LogTail::BeginEpoch() { ++epoch_; }

Result<std::span<const EntryView>> LogTail::Next(size_t max_entries) {
  auto batch = reader_->Next(max_entries);
  if (!batch) return batch.error();
  // Once detected, the layout holds for the whole file: later readers need not guess again.
  options_.reader.template_digest_size = reader_->template_digest_size();
  options_.reader.byte_order = reader_->byte_order();
  for (const EntryView& e : *batch) {
    // An entry's bytes are contiguous in the reader's buffer, starting 4 bytes (the PCR
    // index) before its template digest.
    std::span<const uint8_t> bytes(e.template_digest.data() - 4, e.size);
    read_hash_->Update(bytes);
    if (e.index == 0) {
      first_entry_.assign(bytes.begin(), bytes.end());
      auto fd = FileDigestOf(e);
      if (FileNameOf(e) == kBootAggregateName && fd && fd->algo &&
          DigestSize(*fd->algo) == fd->digest.size()) {
        boot_aggregate_ = Digest(*fd->algo, fd->digest);
      }
    }
  }
  return batch;
}

// True when the first `length` bytes of the file hash to what was read.
Result<bool> LogTail::ReadPrefixMatches(uint64_t length) {
  Sha256 again;
  std::vector<uint8_t> chunk(std::min<uint64_t>(kRecheckChunk, std::max<uint64_t>(length, 1)));
  uint64_t at = 0;
  while (at < length) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(chunk.size(), length - at));
    auto n = file_->ReadAt(at, std::span<uint8_t>(chunk.data(), want));
    if (!n) return n.error();
    if (*n == 0) return false;
    again.Update(std::span<const uint8_t>(chunk.data(), *n));
    at += *n;
  }
  return again.Value() == read_hash_->Value();
}

// Why the open file no longer holds the list read so far (a shorter list or another first
// entry), or nullopt.
Result<std::optional<std::string>> LogTail::NewListReason() {
  const uint64_t offset = reader_->position().byte_offset;
  if (offset == 0) return std::optional<std::string>();
  uint8_t last = 0;
  auto n = file_->ReadAt(offset - 1, std::span<uint8_t>(&last, 1));
  if (!n) return n.error();
  if (*n == 0) {
    return std::optional<std::string>("the list is shorter than the " +
                                      std::to_string(reader_->position().entry_index) + " entries read");
  }
  std::vector<uint8_t> first(first_entry_.size());
  size_t got = 0;
  while (got < first.size()) {
    auto r = file_->ReadAt(got, std::span<uint8_t>(first).subspan(got));
    if (!r) return r.error();
    if (*r == 0) break;
    got += *r;
  }
  if (got != first.size() || first != first_entry_) {
    return std::optional<std::string>(boot_aggregate_ ? "the boot_aggregate entry changed"
                                                      : "the first entry changed");
  }
  return std::optional<std::string>();
}

Result<LogTail::SyncResult> LogTail::Sync() {
  auto st = env_.StatNoFollow(path_);
  if (!st) return st.error();
  const bool replaced = st->inode != inode_;
  if (replaced) {
    if (Status s = Reopen(); !s) return s.error();
  }
  auto reason = NewListReason();
  if (!reason) return reason.error();
  if (*reason) {
    Restart();
    BeginEpoch();
    return SyncResult{Change::kNewEpoch, **reason};
  }
  const uint64_t offset = reader_->position().byte_offset;
  if ((options_.recheck_read_bytes || replaced) && offset > 0) {
    auto same = ReadPrefixMatches(offset);
    if (!same) return same.error();
    if (!*same) {
      Restart();
      return SyncResult{Change::kRewritten,
                        replaced ? "the list file was replaced by one that differs in entries already read"
                                 : "entries already read changed on disk"};
    }
  }
  // A fresh reader drops bytes buffered past the position: they may be stale.
  reader_ = std::make_unique<BinaryLogReader>(*file_, options_.reader, reader_->position());
  return SyncResult{};
}

}  // namespace imawatch::ima
