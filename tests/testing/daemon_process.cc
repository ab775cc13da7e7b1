#include "tests/testing/daemon_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/testing/paths.h"

extern char** environ;

namespace imawatch::testing {

HttpReply HttpGet(uint16_t port, const std::string& target, const std::string& bearer) {
  HttpReply reply;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return reply;
  timeval tv{.tv_sec = 10, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return reply;
  }
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!bearer.empty()) request += "Authorization: Bearer " + bearer + "\r\n";
  request += "\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return reply;
  }
  std::string raw;
  char buffer[65536];
  for (;;) {
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    raw.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  size_t head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) return reply;
  reply.status = std::atoi(raw.c_str() + 9);
  reply.headers = raw.substr(0, head_end);
  reply.body = raw.substr(head_end + 4);
  return reply;
}

DaemonProcess::DaemonProcess(std::string config_path) {
  log_path_ = MakeTempDir("daemon-log") + "/daemon.log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  const std::string binary = ImawatchBinary();
  std::vector<std::string> argv = {binary, "daemon", "--config", config_path};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + binary);
}

DaemonProcess::~DaemonProcess() {
  if (running()) {
    kill(pid_, SIGKILL);
    Wait();
  }
}

std::string DaemonProcess::Log() const {
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool DaemonProcess::running() const {
  if (exit_code_ >= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return r == 0;
}

bool DaemonProcess::WaitForLog(const std::string& text, std::chrono::milliseconds timeout,
                               size_t from) const {
  return WaitUntil(
      [&] {
        std::string log = Log();
        return log.size() > from && log.find(text, from) != std::string::npos;
      },
      timeout);
}

uint16_t DaemonProcess::Port(std::chrono::milliseconds timeout) {
  if (port_) return port_;
  WaitUntil(
      [&] {
        std::string log = Log();
        size_t at = log.find("http.listening");
        if (at == std::string::npos) return !running();
        size_t colon = log.find("127.0.0.1:", at);
        if (colon == std::string::npos) return false;
        port_ = static_cast<uint16_t>(std::atoi(log.c_str() + colon + 10));
        return true;
      },
      timeout);
  return port_;
}

void DaemonProcess::Signal(int sig) const {
  if (running()) kill(pid_, sig);
}

int DaemonProcess::Wait(std::chrono::milliseconds timeout) {
  WaitUntil([&] { return !running(); }, timeout);
  return exit_code_;
}

}  // namespace imawatch::testing
