#include "monitor/http/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace imawatch::http {
namespace {

using Clock = std::chrono::steady_clock;

// After an error response the connection reads and discards what the client still sends
// for this long: closing a socket with unread data resets it, and the reset can destroy the
// response before the client has read it.
constexpr auto kLinger = std::chrono::milliseconds(1000);
// When accept() runs out of descriptors, the listening socket rests instead of spinning.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);
constexpr size_t kReadChunk = 16384;
constexpr int kAcceptsPerWakeup = 64;

std::string ErrnoText(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

bool WouldBlock() { return errno == EAGAIN || errno == EWOULDBLOCK; }

Result<std::pair<std::string, std::string>> SplitHostPort(std::string_view listen) {
  auto bad = [&](std::string_view why) {
    return InvalidInput("listen address '" + std::string(listen) + "': " + std::string(why));
  };
  std::string_view host, port;
  if (listen.starts_with('[')) {
    size_t close = listen.find(']');
    if (close == std::string_view::npos || listen.substr(close + 1, 1) != ":")
      return bad("expected [v6]:port");
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos) return bad("expected host:port");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad("an IPv6 address goes in brackets: [::1]:9464");
  }
  if (host.empty()) return bad("no host (0.0.0.0 or [::] listens on every address)");
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoul(std::string(port)) > 65535) {
    return bad("port must be 0-65535");
  }
  return std::pair{std::string(host), std::string(port)};
}

std::string FormatAddress(const sockaddr_storage& addr, uint16_t& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
    return "[" + std::string(text) + "]:" + std::to_string(port);
  }
  const auto* in4 = reinterpret_cast<const sockaddr_in*>(&addr);
  inet_ntop(AF_INET, &in4->sin_addr, text, sizeof text);
  port = ntohs(in4->sin_port);
  return std::string(text) + ":" + std::to_string(port);
}

Result<int> Listen(const std::string& listen) {
  auto parts = SplitHostPort(listen);
  if (!parts) return parts.error();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(parts->first.c_str(), parts->second.c_str(), &hints, &found); rc != 0) {
    return InvalidInput("listen address '" + listen + "': " + gai_strerror(rc));
  }
  std::string failure = "listen address '" + listen + "': no usable address";
  int fd = -1;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      failure = ErrnoText("socket");
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
      failure = ErrnoText("listen on " + listen);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return IoError(failure);
  return fd;
}

// Whether the connection stays open after this request (RFC 9112 9.3).
bool KeepAlive(const Request& r) {
  bool close = false, keep_alive = false;
  for (const auto& [name, value] : r.headers) {
    if (name != "connection") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t comma = std::min(rest.find(','), rest.size());
      std::string_view option = rest.substr(0, comma);
      while (!option.empty() && (option.front() == ' ' || option.front() == '\t')) option.remove_prefix(1);
      while (!option.empty() && (option.back() == ' ' || option.back() == '\t')) option.remove_suffix(1);
      std::string lower(option);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
      close = close || lower == "close";
      keep_alive = keep_alive || lower == "keep-alive";
      rest.remove_prefix(std::min(comma + 1, rest.size()));
    }
  }
  if (close) return false;
  return r.version == "HTTP/1.1" || keep_alive;
}

struct Connection {
  enum class Phase { kReading, kHandling, kWriting, kLingering, kClosed };
  uint64_t id = 0;
  int fd = -1;
  Phase phase = Phase::kReading;
  Clock::time_point deadline;
  bool awaiting_request = false;  // idle between keep-alive requests: idle_timeout applies
  std::string in;                 // bytes from the start of the current request
  size_t parsed_size = 0;         // in.size() when last parsed
  size_t needed = 0;              // total size of the current request, once known
  std::string out;
  size_t sent = 0;
  bool close_after_write = false;
};

struct Job {
  uint64_t id;
  Request request;
  bool head_only;
  bool keep_alive;
};

struct Done {
  uint64_t id;
  std::string bytes;
  bool close;
};

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  int listen_fd = -1;
  int wake_fd = -1;
  uint16_t port = 0;
  std::string address;

  std::thread loop;
  std::vector<std::thread> workers;

  std::mutex mu;  // guards the three below
  std::condition_variable work_ready;
  bool stopping = false;
  std::deque<Job> jobs;
  std::vector<Done> done;

  std::mutex stop_mu;
  bool stopped = false;

  // Owned by the loop thread.
  std::unordered_map<uint64_t, Connection> connections;
  uint64_t next_id = 1;
  Clock::time_point accept_paused_until{};

  ~Impl() {
    if (listen_fd >= 0) close(listen_fd);
    if (wake_fd >= 0) close(wake_fd);
  }

  void Wake() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd, &one, sizeof one);  // fails only when already signalled
  }

  void Work() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mu);
        work_ready.wait(lock, [&] { return stopping || !jobs.empty(); });
        if (stopping) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      std::string bytes;
      try {
        bytes = Serialize(handler(job.request), job.head_only, job.keep_alive);
      } catch (...) {
        // The handler's exception text is not for the client; it may name internals.
        bytes = Serialize(JsonError(500, "internal error"), job.head_only, job.keep_alive);
      }
      {
        std::lock_guard lock(mu);
        done.push_back({job.id, std::move(bytes), !job.keep_alive});
      }
      Wake();
    }
  }

  void Close(Connection& c) {
    if (c.fd >= 0) close(c.fd);
    c.fd = -1;
    c.phase = Connection::Phase::kClosed;
  }

  void Sweep() {
    std::erase_if(connections,
                  [](const auto& entry) { return entry.second.phase == Connection::Phase::kClosed; });
  }

  // Over the connection cap: answer 503 at once, without keeping the socket.
  void Reject(int fd) {
    char scratch[4096];
    for (int i = 0; i < 16 && recv(fd, scratch, sizeof scratch, MSG_DONTWAIT) > 0; ++i) {
    }  // unread data would turn close() into a reset that can destroy the 503
    Response r = JsonError(503, "too many connections");
    r.headers.emplace_back("Retry-After", "1");
    std::string bytes = Serialize(r, false, false);
    [[maybe_unused]] ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    close(fd);
  }

  void Accept(Clock::time_point now) {
    for (int i = 0; i < kAcceptsPerWakeup; ++i) {
      int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          accept_paused_until = now + kAcceptBackoff;
        }
        if (errno == ECONNABORTED || errno == EINTR) continue;
        return;
      }
      if (connections.size() >= options.max_connections) {
        Reject(fd);
        continue;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      Connection c;
      c.id = next_id++;
      c.fd = fd;
      c.deadline = now + options.header_timeout;
      connections.emplace(c.id, std::move(c));
    }
  }

  void Write(Connection& c, std::string bytes, bool close_after) {
    c.out = std::move(bytes);
    c.sent = 0;
    c.close_after_write = close_after;
    c.phase = Connection::Phase::kWriting;
    c.deadline = Clock::now() + options.idle_timeout;
    Flush(c);
  }

  void Flush(Connection& c) {
    while (c.sent < c.out.size()) {
      ssize_t n = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (!WouldBlock()) Close(c);
        return;
      }
      c.sent += static_cast<size_t>(n);
      c.deadline = Clock::now() + options.idle_timeout;  // a client that reads, however slowly, keeps it
    }
    c.out.clear();
    auto now = Clock::now();
    if (c.close_after_write) {
      shutdown(c.fd, SHUT_WR);
      c.phase = Connection::Phase::kLingering;
      c.deadline = now + kLinger;
      return;
    }
    c.phase = Connection::Phase::kReading;
    c.awaiting_request = c.in.empty();
    c.deadline = now + (c.awaiting_request ? options.idle_timeout : options.header_timeout);
    Parse(c);  // a pipelined request may be waiting
  }

  void Parse(Connection& c) {
    if (c.in.empty() || (c.needed > 0 && c.in.size() < c.needed)) return;
    // The parser decides only when a line ends or the header limit is passed: re-parsing on
    // every byte of a slowly sent header would be quadratic.
    if (c.needed == 0 && c.parsed_size > 0 && c.in.size() <= options.limits.max_header_bytes &&
        c.in.find('\n', c.parsed_size) == std::string::npos) {
      return;
    }
    c.parsed_size = c.in.size();
    Request request;
    ParseOutcome o = ParseRequest(c.in, options.limits, request);
    switch (o.state) {
      case ParseOutcome::State::kNeedMore:
        c.needed = o.needed;
        return;
      case ParseOutcome::State::kBad:
        Write(c,
              Serialize(JsonError(o.status, o.error + " (byte " + std::to_string(o.error_offset) + ")"),
                        false, false),
              true);
        return;
      case ParseOutcome::State::kComplete:
        break;
    }
    c.in.erase(0, o.consumed);
    c.parsed_size = 0;
    c.needed = 0;
    c.phase = Connection::Phase::kHandling;
    bool keep_alive = KeepAlive(request);
    bool head_only = request.method == "HEAD";
    {
      std::lock_guard lock(mu);
      jobs.push_back({c.id, std::move(request), head_only, keep_alive});
    }
    work_ready.notify_one();
  }

  void Read(Connection& c) {
    char buf[kReadChunk];
    ssize_t n = recv(c.fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || WouldBlock())) return;
    if (n <= 0) {
      Close(c);
      return;
    }
    if (c.phase == Connection::Phase::kLingering) return;  // discarded
    if (c.awaiting_request) {
      c.awaiting_request = false;
      c.deadline = Clock::now() + options.header_timeout;
    }
    c.in.append(buf, static_cast<size_t>(n));
    Parse(c);
  }

  void OnEvent(Connection& c, short revents) {
    using Phase = Connection::Phase;
    if ((revents & (POLLERR | POLLNVAL)) || (c.phase == Phase::kHandling && (revents & POLLHUP))) {
      Close(c);
    } else if (c.phase == Phase::kReading || c.phase == Phase::kLingering) {
      Read(c);
    } else if (c.phase == Phase::kWriting) {
      Flush(c);
    }
  }

  void Expire(Clock::time_point now) {
    for (auto& [id, c] : connections) {
      if (c.phase == Connection::Phase::kClosed || c.phase == Connection::Phase::kHandling ||
          c.deadline > now) {
        continue;
      }
      if (c.phase == Connection::Phase::kReading && !c.in.empty()) {
        // Best effort: a client this slow may not read it either.
        std::string bytes = Serialize(JsonError(408, "request not received in time"), false, false);
        [[maybe_unused]] ssize_t n = send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      Close(c);
    }
  }

  void TakeDone() {
    std::vector<Done> finished;
    {
      std::lock_guard lock(mu);
      finished.swap(done);
    }
    for (auto& d : finished) {
      auto it = connections.find(d.id);
      if (it == connections.end() || it->second.phase != Connection::Phase::kHandling) continue;
      Write(it->second, std::move(d.bytes), d.close);
    }
  }

  void Run() {
    std::vector<pollfd> fds;
    std::vector<uint64_t> ids;
    for (;;) {
      Sweep();
      auto now = Clock::now();
      bool accepting = now >= accept_paused_until;
      Clock::time_point next = accepting ? Clock::time_point::max() : accept_paused_until;
      fds.assign({{wake_fd, POLLIN, 0}, {accepting ? listen_fd : -1, POLLIN, 0}});
      ids.clear();
      for (const auto& [id, c] : connections) {
        short events = 0;
        if (c.phase == Connection::Phase::kReading || c.phase == Connection::Phase::kLingering)
          events = POLLIN;
        if (c.phase == Connection::Phase::kWriting) events = POLLOUT;
        if (c.phase != Connection::Phase::kHandling) next = std::min(next, c.deadline);
        fds.push_back({c.fd, events, 0});
        ids.push_back(id);
      }
      int timeout = -1;
      if (next != Clock::time_point::max()) {
        auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
        timeout = static_cast<int>(std::clamp<decltype(wait)>(wait, 0, 60000));
      }
      if (poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
        // Only ENOMEM is possible here; retry rather than spin.
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      if (fds[0].revents) {
        uint64_t count;
        [[maybe_unused]] ssize_t n = read(wake_fd, &count, sizeof count);
        {
          std::lock_guard lock(mu);
          if (stopping) break;
        }
        TakeDone();
      }
      for (size_t i = 2; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        auto it = connections.find(ids[i - 2]);
        if (it != connections.end() && it->second.phase != Connection::Phase::kClosed) {
          OnEvent(it->second, fds[i].revents);
        }
      }
      now = Clock::now();
      if (fds[1].revents) {
        Sweep();
        Accept(now);
      }
      Expire(now);
    }
    for (auto& [id, c] : connections) Close(c);
    connections.clear();
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options, Handler handler) {
  auto fd = Listen(options.listen);
  if (!fd) return fd.error();
  auto impl = std::make_unique<Impl>();
  impl->listen_fd = *fd;
  impl->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl->wake_fd < 0) return IoError(ErrnoText("eventfd"));
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  if (getsockname(*fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0)
    return IoError(ErrnoText("getsockname"));
  impl->address = FormatAddress(bound, impl->port);
  options.threads = std::max(1u, options.threads);
  impl->options = std::move(options);
  impl->handler = std::move(handler);

  std::unique_ptr<Server> server(new Server(std::move(impl)));
  Impl* p = server->impl_.get();
  try {
    p->loop = std::thread([p] { p->Run(); });
    for (unsigned i = 0; i < p->options.threads; ++i) p->workers.emplace_back([p] { p->Work(); });
  } catch (const std::system_error& e) {
    return IoError(std::string("starting the HTTP server's threads: ") + e.what());  // ~Server joins
  }
  return server;
}

uint16_t Server::port() const { return impl_->port; }

std::string Server::address() const { return impl_->address; }

void Server::Stop() {
  {
    std::lock_guard lock(impl_->stop_mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    impl_->jobs.clear();
  }
  impl_->work_ready.notify_all();
  impl_->Wake();
  if (impl_->loop.joinable()) impl_->loop.join();
  for (auto& w : impl_->workers) w.join();
  // Connections closed by the loop; the listening socket goes now, so the port is free on return.
  close(impl_->listen_fd);
  impl_->listen_fd = -1;
}

}  // namespace imawatch::http
