// OpenAuditNetlink: the kernel's audit multicast, read only.
#include <linux/audit.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "monitor/audit/audit_log_parser.h"
#include "monitor/audit/audit_source.h"

namespace imawatch::audit {
namespace {

// A multicast skb holds one record of at most MAX_AUDIT_MESSAGE_LENGTH bytes.
constexpr size_t kReceiveBuffer = 64 << 10;
const char kSource[] = "audit netlink (AUDIT_NLGRP_READLOG)";

class AuditNetlink final : public AuditSource {
 public:
  explicit AuditNetlink(int fd) : fd_(fd), buffer_(kReceiveBuffer) {}
  ~AuditNetlink() override { ::close(fd_); }
  AuditNetlink(const AuditNetlink&) = delete;
  AuditNetlink& operator=(const AuditNetlink&) = delete;

  Result<std::vector<ImaAuditEvent>> Poll() override {
    std::optional<Error> error;
    while (true) {
      sockaddr_nl from{};
      socklen_t from_len = sizeof(from);
      ssize_t n = ::recvfrom(fd_, buffer_.data(), buffer_.size(), MSG_DONTWAIT,
                             reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno == ENOBUFS) {
          // The socket's queue overflowed: the kernel dropped records. Reading goes on.
          if (!error)
            error =
                IoError("receive queue overflowed, records were lost: " + std::string(std::strerror(ENOBUFS)),
                        {.source = kSource});
          continue;
        }
        return IoError("recvfrom: " + std::string(std::strerror(errno)), {.source = kSource});
      }
      if (from.nl_pid != 0) continue;  // only the kernel speaks on this group
      TakeDatagram(static_cast<size_t>(n), error);
    }
    if (error) return std::move(*error);
    return std::exchange(pending_, {});
  }

  std::string description() const override { return kSource; }

 private:
  // Netlink messages in one datagram, walked without the NLMSG_* macros (old-style casts).
  void TakeDatagram(size_t size, std::optional<Error>& error) {
    constexpr size_t kAlign = NLMSG_ALIGNTO;
    constexpr size_t kHeader = (sizeof(nlmsghdr) + kAlign - 1) & ~(kAlign - 1);
    size_t at = 0;
    while (size - at >= sizeof(nlmsghdr)) {
      nlmsghdr h;
      std::memcpy(&h, buffer_.data() + at, sizeof(h));
      if (h.nlmsg_len < kHeader || h.nlmsg_len > size - at) break;
      if (KindOfAuditType(h.nlmsg_type)) {
        // The payload is the text after "msg=" in audit.log, not always NUL-terminated.
        std::string_view payload(buffer_.data() + at + kHeader, h.nlmsg_len - kHeader);
        payload = payload.substr(0, payload.find_first_of(std::string_view("\0\n", 2)));
        std::string line = "type=" + std::to_string(h.nlmsg_type) + " msg=" + std::string(payload);
        AuditParse parse = ParseAuditLines(line, kSource);
        for (auto& e : parse.events) pending_.push_back(std::move(e));
        if (parse.error && !error) error = std::move(parse.error);
      }
      at += std::min<size_t>((h.nlmsg_len + kAlign - 1) & ~(kAlign - 1), size - at);
    }
  }

  int fd_;
  std::vector<char> buffer_;
  std::vector<ImaAuditEvent> pending_;  // parsed, not yet returned (held back by an error)
};

Error SocketError(const char* call, int err) {
  std::string message = std::string(call) + ": " + std::strerror(err);
  if (err == EPERM || err == EACCES) message += " (reading the audit multicast needs CAP_AUDIT_READ)";
  const bool unsupported = err == EPROTONOSUPPORT || err == EAFNOSUPPORT || err == ECONNREFUSED;
  return Error(unsupported ? ErrorKind::kUnsupported : ErrorKind::kIo, message, {.source = kSource});
}

}  // namespace

Result<std::unique_ptr<AuditSource>> OpenAuditNetlink() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT);
  if (fd < 0) return SocketError("socket(AF_NETLINK, NETLINK_AUDIT)", errno);
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    ::close(fd);
    return SocketError("bind(AUDIT_NLGRP_READLOG)", err);
  }
  return std::unique_ptr<AuditSource>(std::make_unique<AuditNetlink>(fd));
}

}  // namespace imawatch::audit
