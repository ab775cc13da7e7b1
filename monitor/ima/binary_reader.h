// Streaming reader for binary_runtime_measurements (and the per-bank
// binary_runtime_measurements_<algo> files). Layout: doc/ima-log-format.md.
//
// Reads through a bounded buffer: memory does not grow with the list, and a claimed length is
// never allocated before the bytes are there. Resumable at (entry index, byte offset), so the
// daemon can tail a growing list without re-reading it.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "monitor/base/env.h"
#include "monitor/base/result.h"
#include "monitor/ima/entry.h"
#include "monitor/ima/hash_algo.h"

namespace imawatch::ima {

inline constexpr uint32_t kMaxTemplateNameLength = 255;
inline constexpr uint32_t kMaxTemplateDataLength = 8u << 20;  // far above any real entry (certs, modsig)
inline constexpr uint32_t kMaxLegacyNameLength = 255;         // IMA_EVENT_NAME_LEN_MAX

enum class ByteOrder { kAuto, kLittle, kBig };

struct ReaderOptions {
  // Size of the template-digest field: 20 for binary_runtime_measurements, the bank's digest
  // size for binary_runtime_measurements_<algo>. 0: from the file name suffix, else detected
  // from the first entry.
  uint32_t template_digest_size = 0;
  // ima_canonical_fmt lists are little-endian; others are in the producing host's order.
  ByteOrder byte_order = ByteOrder::kAuto;
  size_t buffer_size = 1 << 20;
};

struct ReadPosition {
  uint64_t entry_index = 0;
  uint64_t byte_offset = 0;
  bool operator==(const ReadPosition&) const = default;
};

class BinaryLogReader {
 public:
  BinaryLogReader(RandomAccessFile& file, ReaderOptions options, ReadPosition start = {});

  // Up to max_entries complete entries. Empty when no complete entry is available now (end of
  // the list, or a partial entry still being written). Invalidates views from earlier calls.
  Result<std::span<const EntryView>> Next(size_t max_entries = 4096);
  // Error unless the list ended on an entry boundary: call at the end of a finished list.
  Status CheckComplete();

  ReadPosition position() const { return position_; }
  uint32_t template_digest_size() const { return digest_size_; }
  ByteOrder byte_order() const { return order_; }

 private:
  Status Fill();
  Status DetectLayout();
  // Parses one entry at buffer offset `at` into `e`; false when the buffer holds only part of it.
  Result<bool> ParseEntry(size_t at, EntryView& e);
  const TemplateDescriptor* Descriptor(std::string_view name);
  uint32_t U32(const uint8_t* p) const;
  Error Malformed(const std::string& what, uint64_t offset) const;

  RandomAccessFile& file_;
  ReaderOptions options_;
  uint32_t digest_size_;
  ByteOrder order_;
  ReadPosition position_;
  uint64_t file_offset_;  // next byte to read from the file
  std::vector<uint8_t> buffer_;
  size_t begin_ = 0, end_ = 0;  // unparsed bytes in buffer_
  bool eof_ = false;
  std::optional<Error> deferred_error_;
  std::vector<EntryView> batch_;  // slots reused across calls; Next() returns a prefix
  std::vector<std::unique_ptr<TemplateDescriptor>> descriptors_;  // few distinct names per list
};

// Digest size implied by a per-bank file name ("..._sha256" -> 32); 20 otherwise.
uint32_t TemplateDigestSizeForFileName(std::string_view name);

}  // namespace imawatch::ima
