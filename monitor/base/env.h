// All file-system access goes through Env, as LevelDB routes it: tests and tools can point a
// reader at any directory laid out like securityfs, and nothing else opens /sys or /dev.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "monitor/base/result.h"

namespace imawatch {

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to dst.size() bytes starting at offset; 0 means end of file (for now: securityfs
  // files grow, so a later read at the same offset may return more).
  virtual Result<size_t> ReadAt(uint64_t offset, std::span<uint8_t> dst) = 0;
  virtual const std::string& name() const = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  virtual Result<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& path) = 0;
  // Whole small file (configs, PCR dumps); refuses files larger than max_bytes.
  virtual Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes) = 0;
  // Entry names (not paths) of a directory, sorted, without "." and "..".
  virtual Result<std::vector<std::string>> ListDirectory(const std::string& path) = 0;
  virtual bool IsDirectory(const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;

  // The real operating system.
  static Env& Default();
};

// A read-only file over bytes held by the caller (fuzz targets, in-memory evidence).
std::unique_ptr<RandomAccessFile> NewMemoryFile(std::string name, std::span<const uint8_t> bytes);

}  // namespace imawatch
