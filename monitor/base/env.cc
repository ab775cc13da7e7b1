#include "monitor/base/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace imawatch {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

class PosixFile final : public RandomAccessFile {
 public:
  PosixFile(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  ~PosixFile() override { ::close(fd_); }
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;

  Result<size_t> ReadAt(uint64_t offset, std::span<uint8_t> dst) override {
    size_t total = 0;
    while (total < dst.size()) {
      ssize_t n = ::pread(fd_, dst.data() + total, dst.size() - total,
                          static_cast<off_t>(offset + total));
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoError("read failed: " + ErrnoText(errno), {.source = name_, .byte_offset = offset + total});
      }
      if (n == 0) break;
      total += static_cast<size_t>(n);
    }
    return total;
  }
  const std::string& name() const override { return name_; }

 private:
  std::string name_;
  int fd_;
};

class MemoryFile final : public RandomAccessFile {
 public:
  MemoryFile(std::string name, std::span<const uint8_t> bytes) : name_(std::move(name)), bytes_(bytes) {}
  Result<size_t> ReadAt(uint64_t offset, std::span<uint8_t> dst) override {
    if (offset >= bytes_.size()) return size_t{0};
    size_t n = std::min<uint64_t>(dst.size(), bytes_.size() - offset);
    std::memcpy(dst.data(), bytes_.data() + offset, n);
    return n;
  }
  const std::string& name() const override { return name_; }

 private:
  std::string name_;
  std::span<const uint8_t> bytes_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      return Error(err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo, "cannot open: " + ErrnoText(err),
                   {.source = path});
    }
    return std::unique_ptr<RandomAccessFile>(std::make_unique<PosixFile>(path, fd));
  }

  Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes) override {
    auto file = OpenForRead(path);
    if (!file) return file.error();
    std::string out;
    uint8_t chunk[65536];
    for (;;) {
      auto n = (*file)->ReadAt(out.size(), chunk);
      if (!n) return n.error();
      if (*n == 0) break;
      if (out.size() + *n > max_bytes) {
        return InvalidInput("file is larger than the limit of " + std::to_string(max_bytes) + " bytes",
                            {.source = path});
      }
      out.append(reinterpret_cast<const char*>(chunk), *n);
    }
    return out;
  }

  Result<std::vector<std::string>> ListDirectory(const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (!dir) return IoError("cannot list directory: " + ErrnoText(errno), {.source = path});
    std::vector<std::string> names;
    while (dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
  }

  bool IsDirectory(const std::string& path) override {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }
  bool Exists(const std::string& path) override {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
  }
};

}  // namespace

Env& Env::Default() {
  static PosixEnv env;
  return env;
}

std::unique_ptr<RandomAccessFile> NewMemoryFile(std::string name, std::span<const uint8_t> bytes) {
  return std::make_unique<MemoryFile>(std::move(name), bytes);
}

}  // namespace imawatch
