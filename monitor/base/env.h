// All file-system access goes through Env, as LevelDB routes it: tests and tools can point a
// reader at any directory laid out like securityfs, and nothing else opens /sys or /dev.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
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

// A whole file mapped read-only (large indexes shared between readers without copying).
class MappedFile {
 public:
  virtual ~MappedFile() = default;
  virtual std::span<const uint8_t> bytes() const = 0;
  virtual const std::string& name() const = 0;
};

// A control file written record by record: securityfs parses every write(2) on its own and
// answers with an errno that carries meaning (EINVAL: rule rejected, EACCES: signed policy
// required, EBUSY: another writer), so callers see each write's outcome, not a stream.
class WritableFile {
 public:
  struct WriteOutcome {
    size_t accepted = 0;  // bytes the file took from this write
    int error = 0;        // errno of a failed write(2); 0 on success
  };
  virtual ~WritableFile() = default;
  // Exactly one write(2) (retried only on EINTR).
  virtual WriteOutcome Write(std::string_view bytes) = 0;
  // close(2): securityfs applies a written policy on release.
  virtual Status Close() = 0;
  virtual const std::string& name() const = 0;
};

enum class FileType { kRegular, kDirectory, kSymlink, kOther };

struct FileStatus {
  FileType type = FileType::kOther;
  uint64_t size = 0;
  uint64_t device = 0;  // st_dev: walkers use it to stay on one file system
  uint64_t inode = 0;   // st_ino: a tailing reader notices a file replaced under its path
  uint32_t mode = 0;    // st_mode, file type bits included (as IMA's evm-sig records i_mode)
  uint32_t uid = 0;
  uint32_t gid = 0;
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
  // lstat: a symlink is reported as kSymlink, not followed.
  virtual Result<FileStatus> StatNoFollow(const std::string& path) = 0;
  virtual Result<std::string> ReadLink(const std::string& path) = 0;
  virtual Result<std::unique_ptr<MappedFile>> MapReadOnly(const std::string& path) = 0;
  // Writes to a temporary file beside path, then renames it over path: readers (and mappings
  // of the old file) never see a partial file.
  virtual Status WriteFileAtomically(const std::string& path, std::string_view bytes) = 0;
  // Opens an existing file for writing, without creating or truncating it (securityfs control
  // files such as ima/policy). Opened O_APPEND: securityfs does not act on it (every write still
  // reaches the kernel at offset 0), and a regular file standing in for securityfs then grows
  // as the kernel's rule list does. An Env that cannot write control files refuses.
  virtual Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path);

  // The real operating system.
  static Env& Default();
};

// A read-only file over bytes held by the caller (fuzz targets, in-memory evidence).
std::unique_ptr<RandomAccessFile> NewMemoryFile(std::string name, std::span<const uint8_t> bytes);

}  // namespace imawatch
