#include "monitor/watch/file_watcher.h"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace imawatch::watch {
namespace {

// Everything that can make the name point at other content; IN_MODIFY is left out so a file
// being written is reported once it is closed, not while it is half written.
constexpr uint32_t kDirectoryMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                                    IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

// Kubernetes publishes a ConfigMap by swapping this symlink; every file in the volume is a
// symlink through it, so its replacement changes all of them.
constexpr std::string_view kConfigMapDataLink = "..data";

Error ErrnoError(ErrorKind kind, const std::string& what, int err) {
  return Error(kind, what + ": " + std::strerror(err));
}

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Result<std::unique_ptr<FileWatcher>> FileWatcher::Create(std::chrono::milliseconds debounce) {
  if (debounce.count() < 0) return InvalidInput("file watcher: negative debounce");
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return ErrnoError(ErrorKind::kIo, "inotify_init1", errno);
  return std::unique_ptr<FileWatcher>(new FileWatcher(fd, debounce));
}

FileWatcher::~FileWatcher() { close(fd_); }

Status FileWatcher::Watch(const std::string& path, std::string tag) {
  if (path.empty()) return InvalidInput("watch: empty path");
  std::string dir = path, name;
  if (!IsDirectory(path)) {
    size_t slash = path.rfind('/');
    dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
    name = slash == std::string::npos ? path : path.substr(slash + 1);
    if (name.empty() || name == "." || name == "..") {
      return Error(ErrorKind::kNotFound, "watch " + path + ": no such directory");
    }
    if (!IsDirectory(dir))
      return Error(ErrorKind::kNotFound, "watch " + path + ": directory " + dir + " does not exist");
  }
  int wd = inotify_add_watch(fd_, dir.c_str(), kDirectoryMask);
  if (wd < 0) {
    int err = errno;
    if (err == ENOSPC) {
      return Error(ErrorKind::kIo,
                   "watch " + path + ": inotify watch limit reached (sysctl fs.inotify.max_user_watches)");
    }
    return ErrnoError(ErrorKind::kIo, "watch " + path + ": inotify_add_watch " + dir, err);
  }
  std::vector<Target>& targets = targets_[wd];
  bool known = std::any_of(targets.begin(), targets.end(),
                           [&](const Target& t) { return t.name == name && t.tag == tag; });
  if (!known) targets.push_back({std::move(name), std::move(tag)});
  return Status::Ok();
}

void FileWatcher::Clear() {
  for (const auto& [wd, targets] : targets_) inotify_rm_watch(fd_, wd);
  targets_.clear();
}

void FileWatcher::Changed(const std::string& tag, Clock::time_point now) { last_change_[tag] = now; }

Status FileWatcher::ReadEvents() {
  alignas(inotify_event) char buffer[16 * 1024];
  auto now = Clock::now();
  while (true) {
    ssize_t n = read(fd_, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return Status::Ok();
      return ErrnoError(ErrorKind::kIo, "read inotify", errno);
    }
    for (ssize_t offset = 0; offset < n;) {
      inotify_event event;
      std::memcpy(&event, buffer + offset, sizeof(event));
      std::string_view name(buffer + offset + sizeof(event), event.len);
      name = name.substr(0, name.find('\0'));
      offset += static_cast<ssize_t>(sizeof(event) + event.len);

      if (event.mask & IN_Q_OVERFLOW) {
        // Events were lost: any file may have changed.
        for (const auto& [wd, targets] : targets_) {
          for (const Target& t : targets) Changed(t.tag, now);
        }
        continue;
      }
      auto it = targets_.find(event.wd);
      if (it == targets_.end()) continue;  // a watch forgotten by Clear
      bool whole_directory = (event.mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) != 0;
      for (const Target& t : it->second) {
        if (whole_directory || t.name.empty() || name == t.name || name == kConfigMapDataLink)
          Changed(t.tag, now);
      }
      // The directory is gone: the kernel dropped the watch.
      if (event.mask & IN_IGNORED) targets_.erase(it);
    }
  }
}

std::vector<std::string> FileWatcher::TakeQuiet(Clock::time_point now) {
  std::vector<std::string> quiet;
  for (auto it = last_change_.begin(); it != last_change_.end();) {
    if (now - it->second >= debounce_) {
      quiet.push_back(it->first);
      it = last_change_.erase(it);
    } else {
      ++it;
    }
  }
  return quiet;
}

Result<std::vector<std::string>> FileWatcher::Poll(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + std::max(timeout, std::chrono::milliseconds(0));
  while (true) {
    if (Status s = ReadEvents(); !s) return s.error();
    auto now = Clock::now();
    std::vector<std::string> quiet = TakeQuiet(now);
    if (!quiet.empty() || now >= deadline) return quiet;
    auto wake = deadline;
    for (const auto& [tag, changed] : last_change_) wake = std::min(wake, changed + debounce_);
    auto wait =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::max(wake - now, Clock::duration(0)));
    timespec ts{.tv_sec = static_cast<time_t>(wait.count() / 1000000000),
                .tv_nsec = static_cast<long>(wait.count() % 1000000000)};
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    if (ppoll(&p, 1, &ts, nullptr) < 0 && errno != EINTR)
      return ErrnoError(ErrorKind::kIo, "poll inotify", errno);
  }
}

}  // namespace imawatch::watch
