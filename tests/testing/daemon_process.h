// The daemon as a real process for integration and e2e tests: started with a config file,
// structured logs captured to a file, HTTP reached over loopback, stopped with real signals.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace imawatch::testing {

struct HttpReply {
  int status = 0;  // 0: no answer
  std::string headers;
  std::string body;
};
// One GET over a fresh connection ("Connection: close").
HttpReply HttpGet(uint16_t port, const std::string& target, const std::string& bearer = "");

class DaemonProcess {
 public:
  // Starts `imawatch daemon --config config_path`; stderr (the logs) goes to log_path().
  explicit DaemonProcess(std::string config_path);
  ~DaemonProcess();  // SIGKILL if still running
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  std::string Log() const;
  const std::string& log_path() const { return log_path_; }
  // Waits until the log holds text (after byte `from`); false on timeout or process exit.
  bool WaitForLog(const std::string& text, std::chrono::milliseconds timeout, size_t from = 0) const;
  // The port from the daemon's "http.listening" log line (waits for it).
  uint16_t Port(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void Signal(int sig) const;
  // Waits for the exit; the exit code, or 128 + signal.
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  bool running() const;
  pid_t pid() const { return pid_; }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  mutable int exit_code_ = -1;
};

// Polls fn every 50 ms until it returns true; false on timeout.
template <typename Fn>
bool WaitUntil(Fn fn, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (fn()) return true;
    struct timespec ts = {0, 50'000'000};
    nanosleep(&ts, nullptr);
  }
  return fn();
}

}  // namespace imawatch::testing
