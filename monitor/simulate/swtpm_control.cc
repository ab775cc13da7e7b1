#include "monitor/simulate/swtpm_control.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace imawatch::simulate {
namespace {

constexpr uint32_t kCmdInit = 2;  // swtpm tpm_ioctl.h: CMD_INIT
constexpr int kTimeoutSeconds = 10;

std::optional<std::string> TctiParameter(const std::string& conf, const std::string& key) {
  size_t at = 0;
  while (at < conf.size()) {
    size_t end = conf.find(',', at);
    if (end == std::string::npos) end = conf.size();
    std::string item = conf.substr(at, end - at);
    if (item.starts_with(key + "=")) return item.substr(key.size() + 1);
    at = end + 1;
  }
  return std::nullopt;
}

}  // namespace

Result<SwtpmControl> ControlFor(const std::string& tcti, std::optional<uint16_t> ctrl_port,
                                const std::string& ctrl_socket) {
  SwtpmControl control;
  if (!ctrl_socket.empty()) {
    control.socket = ctrl_socket;
    return control;
  }
  const size_t colon = tcti.find(':');
  const std::string name = tcti.substr(0, colon);
  const std::string conf = colon == std::string::npos ? "" : tcti.substr(colon + 1);
  if (name == "swtpm" && !ctrl_port) {
    if (auto path = TctiParameter(conf, "path")) {
      control.socket = *path + ".ctrl";
      return control;
    }
  }
  if (name == "swtpm") {
    if (auto host = TctiParameter(conf, "host")) control.host = *host;
    if (!ctrl_port) {
      int data_port = 2321;  // tcti-swtpm's default
      if (auto port = TctiParameter(conf, "port")) {
        char* end = nullptr;
        long v = std::strtol(port->c_str(), &end, 10);
        if (*end != '\0' || v <= 0 || v >= 65535) return InvalidInput("bad port in TCTI '" + tcti + "'");
        data_port = static_cast<int>(v);
      }
      control.port = static_cast<uint16_t>(data_port + 1);
    }
  } else if (!ctrl_port) {
    return InvalidInput("resetting the TPM needs swtpm's control channel: TCTI '" + tcti +
                        "' is not swtpm:..., so give --ctrl-port");
  }
  if (ctrl_port) control.port = *ctrl_port;
  return control;
}

namespace {

// A connected socket to the control channel, or an error.
Result<int> ConnectControl(const SwtpmControl& control) {
  if (!control.socket.empty()) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (control.socket.size() >= sizeof(addr.sun_path))
      return InvalidInput("socket path too long: " + control.socket);
    std::copy(control.socket.begin(), control.socket.end(), addr.sun_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return IoError("socket: " + std::string(std::strerror(errno)));
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      int err = errno;
      close(fd);
      return IoError("cannot connect to swtpm control socket " + control.socket + ": " + std::strerror(err));
    }
    return fd;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string where = control.host + ":" + std::to_string(control.port);
  if (getaddrinfo(control.host.c_str(), std::to_string(control.port).c_str(), &hints, &found) != 0 ||
      !found) {
    return IoError("cannot resolve swtpm control channel " + where);
  }
  int fd = socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  if (fd < 0) {
    freeaddrinfo(found);
    return IoError("socket: " + std::string(std::strerror(errno)));
  }
  timeval timeout{kTimeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  const bool connected = connect(fd, found->ai_addr, found->ai_addrlen) == 0;
  freeaddrinfo(found);
  if (!connected) {
    int err = errno;
    close(fd);
    return IoError("cannot connect to swtpm control channel " + where + ": " + std::strerror(err));
  }
  return fd;
}

}  // namespace

Status SwtpmInit(const SwtpmControl& control) {
  auto connected = ConnectControl(control);
  if (!connected) return connected.error();
  const int fd = *connected;
  const std::string where =
      control.socket.empty() ? control.host + ":" + std::to_string(control.port) : control.socket;
  // Big-endian command code, then ptm_init's request: init_flags (0: keep volatile state file).
  std::array<uint8_t, 8> request{};
  const uint32_t cmd = htonl(kCmdInit);
  std::memcpy(request.data(), &cmd, 4);
  std::array<uint8_t, 4> response{};
  bool sent = send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
  size_t got = 0;
  while (sent && got < response.size()) {
    ssize_t n = recv(fd, response.data() + got, response.size() - got, 0);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  if (got != response.size()) return IoError("swtpm control channel " + where + " did not answer CMD_INIT");
  uint32_t result;
  std::memcpy(&result, response.data(), 4);
  result = ntohl(result);
  if (result != 0)
    return Error(ErrorKind::kTpm, "swtpm CMD_INIT failed with result " + std::to_string(result));
  return {};
}

}  // namespace imawatch::simulate
