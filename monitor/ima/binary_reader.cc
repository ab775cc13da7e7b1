#include "monitor/ima/binary_reader.h"

#include <cstring>

#include "monitor/ima/pcr_values.h"

namespace imawatch::ima {
namespace {

constexpr std::array<uint32_t, 4> kDigestSizes = {20, 32, 48, 64};

// Template names are printable ASCII; anything else is shown escaped in errors.
std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 64)) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x" + ToHex(std::span<const uint8_t>(&c, 1));
    }
  }
  return s.size() > 64 ? out + "..." : out;
}

uint32_t LoadU32(const uint8_t* p, ByteOrder order) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  bool host_little = std::endian::native == std::endian::little;
  if ((order == ByteOrder::kLittle) != host_little) v = __builtin_bswap32(v);
  return v;
}

}  // namespace

uint32_t TemplateDigestSizeForFileName(std::string_view name) {
  size_t at = name.rfind('_');
  if (at != std::string_view::npos) {
    std::string_view suffix = name.substr(at + 1);
    if (suffix.ends_with(".log")) suffix.remove_suffix(4);
    if (auto algo = HashAlgoFromName(suffix)) return static_cast<uint32_t>(DigestSize(*algo));
  }
  return 20;
}

BinaryLogReader::BinaryLogReader(RandomAccessFile& file, ReaderOptions options, ReadPosition start)
    : file_(file),
      options_(options),
      digest_size_(options.template_digest_size),
      order_(options.byte_order),
      position_(start),
      file_offset_(start.byte_offset),
      buffer_(std::max<size_t>(options.buffer_size, 4096)) {
  if (digest_size_ == 0 && file_.name().find("_runtime_measurements_") != std::string::npos) {
    digest_size_ = TemplateDigestSizeForFileName(file_.name());
  }
}

uint32_t BinaryLogReader::U32(const uint8_t* p) const { return LoadU32(p, order_); }

Error BinaryLogReader::Malformed(const std::string& what, uint64_t offset) const {
  return InvalidInput(what,
                      {.source = file_.name(), .byte_offset = offset, .entry_index = position_.entry_index});
}

Status BinaryLogReader::Fill() {
  if (end_ == buffer_.size()) return {};
  auto n = file_.ReadAt(file_offset_, std::span<uint8_t>(buffer_).subspan(end_));
  if (!n) return n.error();
  if (*n == 0) eof_ = true;
  end_ += *n;
  file_offset_ += *n;
  return {};
}

// Decides the byte order and template-digest size from the first entry when not given.
Status BinaryLogReader::DetectLayout() {
  const uint8_t* p = buffer_.data() + begin_;
  size_t avail = end_ - begin_;
  if (avail < 4) return {};
  if (order_ == ByteOrder::kAuto) {
    if (LoadU32(p, ByteOrder::kLittle) <= kMaxPcrIndex) {
      order_ = ByteOrder::kLittle;
    } else if (LoadU32(p, ByteOrder::kBig) <= kMaxPcrIndex) {
      order_ = ByteOrder::kBig;
    } else {
      return Malformed(
          "first entry's PCR index is not 0..23 in either byte order: not an IMA measurement list",
          position_.byte_offset);
    }
  }
  if (digest_size_ != 0) return {};
  for (uint32_t size : kDigestSizes) {
    if (avail < 8 + size) continue;
    uint32_t name_len = U32(p + 4 + size);
    if (name_len == 0 || name_len > kMaxTemplateNameLength || avail < 8 + size + name_len) continue;
    std::string_view name(reinterpret_cast<const char*>(p + 8 + size), name_len);
    if (LookupTemplate(name)) {
      digest_size_ = size;
      return {};
    }
  }
  if (!eof_ && end_ < buffer_.size()) return {};  // wait for more bytes
  return Malformed("cannot find a known template name after a 20, 32, 48 or 64-byte template digest",
                   position_.byte_offset);
}

const TemplateDescriptor* BinaryLogReader::Descriptor(std::string_view name) {
  for (const auto& d : descriptors_) {
    if (d->name == name) return d.get();
  }
  auto desc = LookupTemplate(name);
  if (!desc) return nullptr;
  descriptors_.push_back(std::make_unique<TemplateDescriptor>(std::move(*desc)));
  return descriptors_.back().get();
}

// Fills `e` in place (a reused batch slot: no per-entry copies of the ~330-byte view).
Result<bool> BinaryLogReader::ParseEntry(size_t at, EntryView& e) {
  const uint8_t* base = buffer_.data() + at;
  const size_t avail = end_ - at;
  const uint64_t offset = position_.byte_offset;
  size_t need = 4 + digest_size_ + 4;
  if (avail < need) return false;

  const uint8_t stale_fields = e.descriptor ? e.descriptor->num_fields : 0;
  e.index = position_.entry_index;
  e.offset = offset;
  e.pcr = U32(base);
  e.big_endian = order_ == ByteOrder::kBig;
  if (e.pcr > kMaxPcrIndex) return Malformed("PCR index " + std::to_string(e.pcr) + " is not 0..23", offset);
  e.template_digest = Bytes(base + 4, digest_size_);
  uint32_t name_len = U32(base + 4 + digest_size_);
  if (name_len == 0 || name_len > kMaxTemplateNameLength) {
    return Malformed("template name length " + std::to_string(name_len) + " is not 1.." +
                         std::to_string(kMaxTemplateNameLength),
                     offset + 4 + digest_size_);
  }
  need += name_len;
  if (avail < need) return false;
  e.template_name = std::string_view(reinterpret_cast<const char*>(base + 8 + digest_size_), name_len);
  const TemplateDescriptor* descriptor = Descriptor(e.template_name);
  if (!descriptor) {
    return Malformed("unknown template '" + Printable(e.template_name) + "'", offset + 8 + digest_size_);
  }
  for (size_t i = descriptor->num_fields; i < stale_fields; ++i) e.fields[i] = {};
  e.descriptor = descriptor;

  if (e.descriptor->legacy_ima) {
    // 'ima': 20-byte digest without length, then the name with a length but no NUL.
    const size_t d_at = need;
    need += 20 + 4;
    if (avail < need) return false;
    uint32_t len = U32(base + d_at + 20);
    if (len > kMaxLegacyNameLength) {
      return Malformed("'ima' template file name length " + std::to_string(len) + " exceeds " +
                           std::to_string(kMaxLegacyNameLength),
                       offset + d_at + 20);
    }
    need += len;
    if (avail < need) return false;
    e.fields[0] = Bytes(base + d_at, 20);
    e.fields[1] = Bytes(base + d_at + 24, len);
    e.template_data = Bytes(base + d_at, 24 + len);
  } else {
    const size_t len_at = need;
    need += 4;
    if (avail < need) return false;
    uint32_t data_len = U32(base + len_at);
    if (data_len == 0 || data_len > kMaxTemplateDataLength) {
      return Malformed("template data length " + std::to_string(data_len) + " is not 1.." +
                           std::to_string(kMaxTemplateDataLength),
                       offset + len_at);
    }
    need += data_len;
    if (avail < need) return false;
    e.template_data = Bytes(base + len_at + 4, data_len);
    size_t pos = 0;
    for (uint8_t i = 0; i < e.descriptor->num_fields; ++i) {
      const uint64_t field_offset = offset + len_at + 4 + pos;
      auto field_name = [&] { return std::string(Info(e.descriptor->fields[i]).name); };
      if (data_len - pos < 4) {
        return Malformed("template data ends before field '" + field_name() + "'", field_offset);
      }
      uint32_t field_len = U32(e.template_data.data() + pos);
      pos += 4;
      if (field_len > data_len - pos) {
        return Malformed("field '" + field_name() + "' length " + std::to_string(field_len) +
                             " runs past the " + std::to_string(data_len) + "-byte template data",
                         field_offset);
      }
      e.fields[i] = e.template_data.subspan(pos, field_len);
      pos += field_len;
    }
    if (pos != data_len) {
      return Malformed(std::to_string(data_len - pos) + " bytes of template data follow the last field",
                       offset + len_at + 4 + pos);
    }
  }
  e.size = static_cast<uint32_t>(need);
  return true;
}

Result<std::span<const EntryView>> BinaryLogReader::Next(size_t max_entries) {
  if (deferred_error_) return *deferred_error_;
  max_entries = std::min<size_t>(max_entries, 1 << 16);
  if (batch_.size() < max_entries) batch_.resize(max_entries);
  size_t count = 0;
  eof_ = false;
  while (count < max_entries) {
    Result<bool> parsed = false;
    if (order_ == ByteOrder::kAuto || digest_size_ == 0) {
      if (Status s = DetectLayout(); !s) parsed = s.error();
    }
    if (parsed.ok() && order_ != ByteOrder::kAuto && digest_size_ != 0)
      parsed = ParseEntry(begin_, batch_[count]);
    if (!parsed.ok()) {
      if (count == 0) return parsed.error();
      deferred_error_ = parsed.error();
      break;
    }
    if (*parsed) {
      const uint32_t size = batch_[count++].size;
      begin_ += size;
      position_.entry_index++;
      position_.byte_offset += size;
      continue;
    }
    // Need more bytes. Moving the buffer would invalidate the views already in this batch.
    if (count > 0 || eof_) break;
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buffer_.size()) {
      // One entry larger than the buffer: grow only as its bytes actually arrive.
      constexpr size_t kMaxEntry = 4 + 64 + 4 + kMaxTemplateNameLength + 4 + kMaxTemplateDataLength;
      if (buffer_.size() >= kMaxEntry)
        return Malformed("entry larger than any valid entry", position_.byte_offset);
      buffer_.resize(std::min(buffer_.size() * 2, kMaxEntry));
    }
    if (Status s = Fill(); !s) return s.error();
  }
  return std::span<const EntryView>(batch_.data(), count);
}

Status BinaryLogReader::CheckComplete() {
  if (deferred_error_) return *deferred_error_;
  if (begin_ == end_) return {};
  return Malformed(
      "list ends inside an entry: " + std::to_string(end_ - begin_) + " bytes after the last complete entry",
      position_.byte_offset);
}

}  // namespace imawatch::ima
