// A file read in 1 MiB chunks behind an input iterator, for parsers that take iterators
// (nlohmann's SAX parser): a large policy is parsed without holding the whole file in memory.
// A read error or the size limit ends the input early; error() then says why.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <vector>

#include "monitor/base/env.h"

namespace imawatch::appraise {

class ChunkedInput {
 public:
  ChunkedInput(RandomAccessFile& file, uint64_t max_bytes) : file_(file), max_bytes_(max_bytes) {}
  ChunkedInput(const ChunkedInput&) = delete;
  ChunkedInput& operator=(const ChunkedInput&) = delete;

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;

    Iterator() = default;
    explicit Iterator(ChunkedInput* input) : input_(input) {}
    reference operator*() const { return *input_->pos_; }
    Iterator& operator++() {
      ++input_->pos_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator before = *this;
      ++input_->pos_;
      return before;
    }
    bool operator==(const Iterator& other) const { return AtEnd() == other.AtEnd(); }

   private:
    bool AtEnd() const { return input_ == nullptr || (input_->pos_ == input_->end_ && !input_->Refill()); }
    ChunkedInput* input_ = nullptr;
  };

  Iterator begin() { return Iterator(this); }
  static Iterator end() { return Iterator(); }
  const std::optional<Error>& error() const { return error_; }

 private:
  bool Refill();

  static constexpr size_t kChunk = size_t{1} << 20;
  RandomAccessFile& file_;
  uint64_t max_bytes_;
  uint64_t offset_ = 0;
  std::vector<uint8_t> buffer_;
  const char* pos_ = nullptr;
  const char* end_ = nullptr;
  bool eof_ = false;
  std::optional<Error> error_;
};

}  // namespace imawatch::appraise
