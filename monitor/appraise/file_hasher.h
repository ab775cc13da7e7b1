// Hashes file contents as IMA does (the digest of every byte), through Env.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "monitor/base/env.h"
#include "monitor/base/result.h"
#include "monitor/ima/digest.h"

namespace imawatch::appraise {

// One per thread: keeps its read buffer and digest context between files.
class FileHasher {
 public:
  explicit FileHasher(ima::HashAlgo algo);
  ~FileHasher();
  FileHasher(const FileHasher&) = delete;
  FileHasher& operator=(const FileHasher&) = delete;

  // Adds each chunk's size to *progress when given.
  Result<ima::Digest> HashFile(Env& env, const std::string& path, std::atomic<uint64_t>* progress = nullptr);
  Result<ima::Digest> HashBytes(std::span<const uint8_t> bytes);

 private:
  struct Ctx;
  ima::HashAlgo algo_;
  std::unique_ptr<Ctx> ctx_;
  std::vector<uint8_t> buffer_;
};

}  // namespace imawatch::appraise
