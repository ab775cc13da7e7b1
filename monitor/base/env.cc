#include "monitor/base/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
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
      ssize_t n = ::pread(fd_, dst.data() + total, dst.size() - total, static_cast<off_t>(offset + total));
      // Pipes and FIFOs (`--pcrs <(tpm2_pcrread)`) cannot seek: read them in order.
      if (n < 0 && errno == ESPIPE && offset + total == streamed_)
        n = ::read(fd_, dst.data() + total, dst.size() - total);
      if (n > 0 && offset + total == streamed_) streamed_ += static_cast<uint64_t>(n);
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
  uint64_t streamed_ = 0;  // bytes consumed in order (the position of a pipe)
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

class PosixMappedFile final : public MappedFile {
 public:
  PosixMappedFile(std::string name, void* base, size_t size)
      : name_(std::move(name)), base_(base), size_(size) {}
  ~PosixMappedFile() override {
    if (base_) ::munmap(base_, size_);
  }
  PosixMappedFile(const PosixMappedFile&) = delete;
  PosixMappedFile& operator=(const PosixMappedFile&) = delete;
  std::span<const uint8_t> bytes() const override { return {static_cast<const uint8_t*>(base_), size_}; }
  const std::string& name() const override { return name_; }

 private:
  std::string name_;
  void* base_;
  size_t size_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  PosixWritableFile(const PosixWritableFile&) = delete;
  PosixWritableFile& operator=(const PosixWritableFile&) = delete;

  WriteOutcome Write(std::string_view bytes) override {
    if (fd_ < 0) return {.error = EBADF};
    for (;;) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n >= 0) return {.accepted = static_cast<size_t>(n)};
      if (errno != EINTR) return {.error = errno};
    }
  }
  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return IoError("close failed: " + ErrnoText(errno), {.source = name_});
    return Status::Ok();
  }
  const std::string& name() const override { return name_; }

 private:
  std::string name_;
  int fd_;
};

FileType TypeOf(mode_t mode) {
  if (S_ISREG(mode)) return FileType::kRegular;
  if (S_ISDIR(mode)) return FileType::kDirectory;
  if (S_ISLNK(mode)) return FileType::kSymlink;
  return FileType::kOther;
}

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

  Result<FileStatus> StatNoFollow(const std::string& path) override {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      int err = errno;
      return Error(err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo, "cannot stat: " + ErrnoText(err),
                   {.source = path});
    }
    return FileStatus{.type = TypeOf(st.st_mode),
                      .size = static_cast<uint64_t>(st.st_size),
                      .device = static_cast<uint64_t>(st.st_dev),
                      .inode = static_cast<uint64_t>(st.st_ino),
                      .mode = st.st_mode,
                      .uid = st.st_uid,
                      .gid = st.st_gid};
  }

  Result<std::string> ReadLink(const std::string& path) override {
    std::string target(256, '\0');
    for (;;) {
      ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
      if (n < 0) return IoError("cannot read link: " + ErrnoText(errno), {.source = path});
      if (static_cast<size_t>(n) < target.size()) {
        target.resize(static_cast<size_t>(n));
        return target;
      }
      target.resize(target.size() * 2);
    }
  }

  Result<std::unique_ptr<MappedFile>> MapReadOnly(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      return Error(err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo, "cannot open: " + ErrnoText(err),
                   {.source = path});
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return IoError("not a regular file", {.source = path});
    }
    size_t size = static_cast<size_t>(st.st_size);
    void* base = nullptr;
    if (size > 0) {
      base = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
      if (base == MAP_FAILED) {
        int err = errno;
        ::close(fd);
        return IoError("cannot map: " + ErrnoText(err), {.source = path});
      }
    }
    ::close(fd);
    return std::unique_ptr<MappedFile>(std::make_unique<PosixMappedFile>(path, base, size));
  }

  Status WriteFileAtomically(const std::string& path, std::string_view bytes) override {
    std::string temp = path + ".tmp-XXXXXX";
    int fd = ::mkstemp(temp.data());
    if (fd < 0) return IoError("cannot create a temporary file: " + ErrnoText(errno), {.source = temp});
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        ::unlink(temp.c_str());
        return IoError("write failed: " + ErrnoText(err), {.source = temp});
      }
      done += static_cast<size_t>(n);
    }
    // mkstemp creates 0600; outputs such as allow lists are read by other users (the daemon).
    bool ok = ::fchmod(fd, 0644) == 0 && ::fsync(fd) == 0;
    int err = errno;
    if (::close(fd) != 0 && ok) {
      ok = false;
      err = errno;
    }
    if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
      if (ok) err = errno;
      ::unlink(temp.c_str());
      return IoError("cannot write: " + ErrnoText(err), {.source = path});
    }
    return Status::Ok();
  }

  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      return Error(err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo,
                   "cannot open for writing: " + ErrnoText(err), {.source = path});
    }
    return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(path, fd));
  }
};

}  // namespace

Result<std::unique_ptr<WritableFile>> Env::OpenForWrite(const std::string& path) {
  return Error(ErrorKind::kUnsupported, "this environment cannot write control files", {.source = path});
}

Env& Env::Default() {
  static PosixEnv env;
  return env;
}

std::unique_ptr<RandomAccessFile> NewMemoryFile(std::string name, std::span<const uint8_t> bytes) {
  return std::make_unique<MemoryFile>(std::move(name), bytes);
}

}  // namespace imawatch
