// Syslog: RFC 5424 messages, octet-counted, over one long-lived TCP connection, optionally TLS
// (RFC 5425) with OpenSSL. A message counts as delivered once the kernel accepted all of its
// bytes; syslog has no acknowledgement (doc/sinks.md says what that means).
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "reporters/sinks/cef.h"
#include "reporters/sinks/sink.h"
#include "reporters/sinks/syslog_frame.h"

namespace imawatch::sinks {
namespace {

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "TLS error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return text;
}

class SyslogSink : public Sink {
 public:
  SyslogSink(SyslogOptions options, std::string product_version)
      : options_(std::move(options)), product_version_(std::move(product_version)) {}
  ~SyslogSink() override {
    Disconnect();
    if (ctx_) SSL_CTX_free(ctx_);
  }
  SyslogSink(const SyslogSink&) = delete;
  SyslogSink& operator=(const SyslogSink&) = delete;

  const BackoffOptions& backoff() const override { return options_.backoff; }

  Status Init() {
    if (options_.transport != SyslogOptions::Transport::kTls) return Status::Ok();
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_) return IoError("syslog: " + OpenSslError());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    const bool cas = options_.ca_bundle.empty()
                         ? SSL_CTX_set_default_verify_paths(ctx_) == 1
                         : SSL_CTX_load_verify_locations(ctx_, options_.ca_bundle.c_str(), nullptr) == 1;
    if (!cas) return IoError("syslog: CA bundle " + options_.ca_bundle + ": " + OpenSslError());
    if (!options_.client_cert.empty()) {
      if (SSL_CTX_use_certificate_chain_file(ctx_, options_.client_cert.c_str()) != 1 ||
          SSL_CTX_use_PrivateKey_file(ctx_, options_.client_key.c_str(), SSL_FILETYPE_PEM) != 1 ||
          SSL_CTX_check_private_key(ctx_) != 1) {
        return IoError("syslog: client certificate " + options_.client_cert + ": " + OpenSslError());
      }
    }
    return Status::Ok();
  }

  SendResult Send(const FindingEvent& event, const std::atomic<bool>&) override {
    const bool cef = options_.format == SyslogOptions::Format::kCef;
    const std::string msg = cef ? RenderCef(FindingCef(event, product_version_)) : event.WireJson();
    const SyslogHeader header{.facility = options_.facility,
                              .severity = event.state == "resolved" ? 5 : 4,  // notice : warning
                              .time_ms = event.time * 1000,
                              .hostname = event.node,
                              .app_name = options_.app_name,
                              .msgid = "finding"};
    const std::string frame = FrameOctetCounted(RenderSyslog(header, msg));
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (fd_ < 0) {
        SendResult connected = Connect();
        if (connected.outcome != SendResult::Outcome::kDelivered) return connected;
        attempt = 1;  // a fresh connection that fails is a real failure
      }
      // A peer that closed the connection shows up on the next read, not on write: look first,
      // so the frame goes to a live connection instead of being half-lost in a dead one.
      if (PeerClosed()) {
        Disconnect();
        continue;
      }
      SendResult sent = Write(frame);
      if (sent.outcome == SendResult::Outcome::kDelivered) return sent;
      Disconnect();
      if (attempt == 1) return sent;
    }
    return SendResult::Retry("network", "syslog: connection lost");
  }

 private:
  SendResult Connect() {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(options_.port);
    const int rc = getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0)
      return SendResult::Retry("network", "syslog: resolve " + options_.host + ": " + gai_strerror(rc));
    std::string why = "no address";
    for (addrinfo* a = found; a; a = a->ai_next) {
      const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
      if (fd < 0) continue;
      if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
        why = std::strerror(errno);
        close(fd);
        continue;
      }
      pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
      int error = 0;
      socklen_t len = sizeof(error);
      if (poll(&p, 1, static_cast<int>(options_.connect_timeout.count())) != 1 ||
          getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
        why = error ? std::strerror(error) : "connect timed out";
        close(fd);
        continue;
      }
      fd_ = fd;
      break;
    }
    freeaddrinfo(found);
    if (fd_ < 0)
      return SendResult::Retry("network", "syslog: connect " + options_.host + ":" + port + ": " + why);
    if (ctx_) {
      ssl_ = SSL_new(ctx_);
      SSL_set_fd(ssl_, fd_);
      // The certificate must name the host: as an IP address when one was configured.
      in6_addr ip{};
      const bool is_ip = inet_pton(AF_INET, options_.host.c_str(), &ip) == 1 ||
                         inet_pton(AF_INET6, options_.host.c_str(), &ip) == 1;
      if (is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), options_.host.c_str());
      } else {
        SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(options_.host.c_str()));
        SSL_set1_host(ssl_, options_.host.c_str());
      }
      for (;;) {
        const int r = SSL_connect(ssl_);
        if (r == 1) break;
        const int e = SSL_get_error(ssl_, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
          pollfd p{.fd = fd_,
                   .events = static_cast<short>(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT),
                   .revents = 0};
          if (poll(&p, 1, static_cast<int>(options_.connect_timeout.count())) == 1) continue;
        }
        std::string what = "syslog: TLS handshake with " + options_.host + ": " + OpenSslError();
        Disconnect();
        return SendResult::Retry("tls", what);
      }
    }
    return SendResult::Delivered();
  }

  bool PeerClosed() {
    char byte;
    const ssize_t n = recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return true;
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK;
  }

  SendResult Write(const std::string& frame) {
    size_t done = 0;
    while (done < frame.size()) {
      if (ssl_) {
        size_t wrote = 0;
        const int r = SSL_write_ex(ssl_, frame.data() + done, frame.size() - done, &wrote);
        if (r == 1) {
          done += wrote;
          continue;
        }
        const int e = SSL_get_error(ssl_, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
          pollfd p{.fd = fd_,
                   .events = static_cast<short>(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT),
                   .revents = 0};
          if (poll(&p, 1, static_cast<int>(options_.connect_timeout.count())) == 1) continue;
        }
        return SendResult::Retry("tls", "syslog: TLS write: " + OpenSslError());
      }
      const ssize_t n = send(fd_, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd p{.fd = fd_, .events = POLLOUT, .revents = 0};
        if (poll(&p, 1, static_cast<int>(options_.connect_timeout.count())) == 1) continue;
        return SendResult::Retry("network", "syslog: send timed out");
      }
      if (n <= 0) return SendResult::Retry("network", std::string("syslog: send: ") + std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    return SendResult::Delivered();
  }

  void Disconnect() {
    if (ssl_) {
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  SyslogOptions options_;
  std::string product_version_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
};

}  // namespace

Result<std::unique_ptr<Sink>> MakeSyslogSink(const SyslogOptions& options,
                                             const std::string& product_version) {
  auto sink = std::make_unique<SyslogSink>(options, product_version);
  if (Status s = sink->Init(); !s.ok()) return s.error();
  return std::unique_ptr<Sink>(std::move(sink));
}

}  // namespace imawatch::sinks
