// Notices when watched files change, through inotify on their directories: a file replaced by
// rename (editors, `install`, Kubernetes ConfigMap `..data` symlink swaps), created later or
// deleted is still the same watched path. Changes are reported per tag, once a burst is over.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "monitor/base/result.h"

namespace imawatch::watch {

class FileWatcher {
 public:
  // debounce: how long a tag's files must stay quiet before the change is reported.
  static Result<std::unique_ptr<FileWatcher>> Create(std::chrono::milliseconds debounce);
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // Watches path by name in its directory, which must exist (else kNotFound). A path naming an
  // existing directory watches every entry in it. Several paths may share a tag.
  Status Watch(const std::string& path, std::string tag);
  // Forgets every watch (before re-adding them on reload). Changes already seen are still reported.
  void Clear();
  // Waits up to timeout and returns the tags (sorted, each once) whose files changed and then
  // stayed quiet for the debounce. Never blocks longer than timeout; 0 only looks.
  Result<std::vector<std::string>> Poll(std::chrono::milliseconds timeout);
  // Readable when inotify has events (for a caller's own poll loop; Poll still does the reading).
  int fd() const { return fd_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Target {
    std::string name;  // entry in the directory; "" for every entry
    std::string tag;
  };

  FileWatcher(int fd, std::chrono::milliseconds debounce) : fd_(fd), debounce_(debounce) {}
  Status ReadEvents();
  void Changed(const std::string& tag, Clock::time_point now);
  std::vector<std::string> TakeQuiet(Clock::time_point now);

  int fd_;
  std::chrono::milliseconds debounce_;
  std::map<int, std::vector<Target>> targets_;            // by watch descriptor
  std::map<std::string, Clock::time_point> last_change_;  // tags waiting out the debounce
};

}  // namespace imawatch::watch
