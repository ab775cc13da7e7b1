#include "tests/testing/swtpm.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/testing/paths.h"

extern char** environ;

namespace imawatch::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kStartTimeout = std::chrono::seconds(15);
constexpr int kIoTimeoutSeconds = 10;

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// A socket bound to 127.0.0.1:port (0: any free port), or -1.
int BoundSocket(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr = Loopback(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// P and P+1 both free: the data and control ports.
uint16_t FindPortPair() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    int first = BoundSocket(0);
    if (first < 0) continue;
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    getsockname(first, reinterpret_cast<sockaddr*>(&addr), &len);
    uint16_t port = ntohs(addr.sin_port);
    int second = port < 65535 ? BoundSocket(static_cast<uint16_t>(port + 1)) : -1;
    close(first);
    if (second >= 0) {
      close(second);
      return port;
    }
  }
  throw std::runtime_error("no free pair of loopback ports for swtpm");
}

int Connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval timeout{kIoTimeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr = Loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int ConnectUnix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    close(fd);
    return -1;
  }
  std::copy(path.begin(), path.end(), addr.sun_path);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string LogTail(const std::string& path) {
  try {
    std::string log = ReadFileOrDie(path);
    return log.size() > 2000 ? log.substr(log.size() - 2000) : log;
  } catch (const std::exception&) {
    return "(no log)";
  }
}

}  // namespace

SwTpm::SwTpm(SwTpmTransport transport) : transport_(transport) {
  dir_ = MakeTempDir("swtpm");
  state_dir_ = dir_ + "/state";
  log_path_ = dir_ + "/swtpm.log";
  if (mkdir(state_dir_.c_str(), 0700) != 0) throw std::runtime_error("cannot create " + state_dir_);
  if (transport_ == SwTpmTransport::kTcp) port_ = FindPortPair();
  Start();
}

SwTpm::~SwTpm() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string SwTpm::Tcti() const {
  if (transport_ == SwTpmTransport::kUnixSocket) return "swtpm:path=" + socket_path();
  return "swtpm:host=127.0.0.1,port=" + std::to_string(port_);
}

void SwTpm::Start() {
  const auto deadline = Clock::now() + kStartTimeout;
  // A restart may find the ports briefly held by the killed instance's connections: retry.
  while (true) {
    const bool unix_socket = transport_ == SwTpmTransport::kUnixSocket;
    if (unix_socket) {
      unlink(socket_path().c_str());
      unlink(ctrl_socket_path().c_str());
    }
    std::vector<std::string> argv = {
        "swtpm",
        "socket",
        "--tpm2",
        "--server",
        unix_socket ? "type=unixio,path=" + socket_path()
                    : "type=tcp,port=" + std::to_string(port_) + ",bindaddr=127.0.0.1",
        "--ctrl",
        unix_socket ? "type=unixio,path=" + ctrl_socket_path()
                    : "type=tcp,port=" + std::to_string(ctrl_port()) + ",bindaddr=127.0.0.1",
        "--tpmstate",
        "dir=" + state_dir_,
        "--flags",
        "not-need-init,startup-clear"};
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, "swtpm", &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start swtpm (is it installed?)");
    pid_ = pid;
    while (Clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      if (int fd = unix_socket ? ConnectUnix(socket_path()) : Connect(port_); fd >= 0) {
        close(fd);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (pid_ > 0) Stop();
    if (Clock::now() >= deadline) {
      throw std::runtime_error("swtpm did not start on port " + std::to_string(port_) + ":\n" +
                               LogTail(log_path_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void SwTpm::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
}

void SwTpm::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void SwTpm::Restart() {
  if (pid_ > 0) throw std::runtime_error("swtpm is still running");
  Start();
}

void SwTpm::PowerCycle() {
  const bool unix_socket = transport_ == SwTpmTransport::kUnixSocket;
  CommandResult init =
      unix_socket ? RunCommand({"swtpm_ioctl", "--unix", ctrl_socket_path(), "-i"})
                  : RunCommand({"swtpm_ioctl", "--tcp", "127.0.0.1:" + std::to_string(ctrl_port()), "-i"});
  if (init.exit_code != 0) throw std::runtime_error("swtpm_ioctl -i failed: " + init.err);
  // TPM2_Startup(TPM_SU_CLEAR): tag TPM_ST_NO_SESSIONS, size 12, command code 0x144, su 0.
  const std::array<uint8_t, 12> startup = {0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0};
  int fd = unix_socket ? ConnectUnix(socket_path()) : Connect(port_);
  if (fd < 0) throw std::runtime_error("cannot connect to swtpm for Startup");
  std::array<uint8_t, 10> response{};
  bool sent = send(fd, startup.data(), startup.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(startup.size());
  size_t got = 0;
  while (sent && got < response.size()) {
    ssize_t n = recv(fd, response.data() + got, response.size() - got, 0);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  if (got != response.size()) {
    throw std::runtime_error("swtpm did not answer Startup (is a TPM client still connected?)");
  }
  uint32_t rc = (uint32_t{response[6]} << 24) | (uint32_t{response[7]} << 16) | (uint32_t{response[8]} << 8) |
                response[9];
  if (rc != 0) throw std::runtime_error("Startup(CLEAR) after TPM_Init failed with rc " + std::to_string(rc));
}

}  // namespace imawatch::testing
