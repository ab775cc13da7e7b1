// File drop: each event is one file DIR/YYYY/MM/DD/<event_id>.json (the event's UTC date),
// written to a temporary name, fsynced and renamed, so a reader never sees half a file; a
// re-send replaces the file with the same bytes. Day directories older than the retention
// are removed.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "reporters/sinks/sink.h"

namespace imawatch::sinks {
namespace {

constexpr int64_t kRetentionEverySeconds = 600;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

bool MakeDirs(const std::string& path) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (mkdir(prefix.c_str(), 0750) != 0 && errno != EEXIST) return false;
    if (slash == std::string::npos) return true;
  }
}

bool SyncDir(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

std::vector<std::string> Children(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(std::move(name));
  }
  closedir(d);
  return out;
}

bool IsNumber(const std::string& s, size_t size) {
  return s.size() == size && s.find_first_not_of("0123456789") == std::string::npos;
}

class FileDropSink : public Sink {
 public:
  explicit FileDropSink(FileDropOptions options) : options_(std::move(options)) {}
  const BackoffOptions& backoff() const override { return backoff_; }

  SendResult Send(const FindingEvent& event, const std::atomic<bool>&) override {
    const time_t when = static_cast<time_t>(event.time);
    std::tm tm{};
    gmtime_r(&when, &tm);
    char day[40];
    std::snprintf(day, sizeof(day), "%04d/%02d/%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    const std::string dir = options_.dir + "/" + day;
    if (!MakeDirs(dir)) return SendResult::Retry("io", Errno("mkdir " + dir));
    const std::string name = event.EventId() + ".json";
    const std::string temp = dir + "/." + name + ".tmp";
    const std::string body = event.WireJson() + "\n";
    const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) return SendResult::Retry("io", Errno("open " + temp));
    size_t done = 0;
    while (done < body.size()) {
      const ssize_t n = write(fd, body.data() + done, body.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        std::string why = Errno("write " + temp);
        close(fd);
        unlink(temp.c_str());
        return SendResult::Retry("io", why);
      }
      done += static_cast<size_t>(n);
    }
    if (fsync(fd) != 0) {
      std::string why = Errno("fsync " + temp);
      close(fd);
      unlink(temp.c_str());
      return SendResult::Retry("io", why);
    }
    close(fd);
    if (rename(temp.c_str(), (dir + "/" + name).c_str()) != 0) {
      std::string why = Errno("rename " + temp);
      unlink(temp.c_str());
      return SendResult::Retry("io", why);
    }
    if (!SyncDir(dir)) return SendResult::Retry("io", Errno("fsync " + dir));
    ApplyRetention();
    return SendResult::Delivered();
  }

 private:
  // Removes YYYY/MM/DD directories whose whole day ended before now - retention.
  void ApplyRetention() {
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    if (now - last_retention_ < kRetentionEverySeconds) return;
    last_retention_ = now;
    const int64_t cutoff = now - options_.retention.count();
    for (const std::string& year : Children(options_.dir)) {
      if (!IsNumber(year, 4)) continue;
      const std::string year_dir = options_.dir + "/" + year;
      for (const std::string& month : Children(year_dir)) {
        if (!IsNumber(month, 2)) continue;
        const std::string month_dir = year_dir + "/" + month;
        for (const std::string& day : Children(month_dir)) {
          if (!IsNumber(day, 2)) continue;
          std::tm tm{};
          tm.tm_year = std::stoi(year) - 1900;
          tm.tm_mon = std::stoi(month) - 1;
          tm.tm_mday = std::stoi(day) + 1;  // the day's end
          if (static_cast<int64_t>(timegm(&tm)) > cutoff) continue;
          const std::string day_dir = month_dir + "/" + day;
          for (const std::string& file : Children(day_dir)) unlink((day_dir + "/" + file).c_str());
          rmdir(day_dir.c_str());
        }
        rmdir(month_dir.c_str());  // only when empty
      }
      rmdir(year_dir.c_str());
    }
  }

  FileDropOptions options_;
  BackoffOptions backoff_;
  int64_t last_retention_ = 0;
};

}  // namespace

Result<std::unique_ptr<Sink>> MakeFileDropSink(const FileDropOptions& options) {
  if (options.dir.empty()) return Error(ErrorKind::kInvalidInput, "file sink: no dir");
  if (!MakeDirs(options.dir)) return IoError(Errno("file sink: cannot create " + options.dir));
  return std::unique_ptr<Sink>(std::make_unique<FileDropSink>(options));
}

}  // namespace imawatch::sinks
