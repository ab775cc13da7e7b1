// The daemon's HTTP/1.1 server (metrics, health, JSON API): plain HTTP on POSIX sockets, TLS
// being a reverse proxy's job. One thread runs the sockets (poll, nonblocking); handlers run
// on a few worker threads, so a slow handler or a slow client never stalls the others.
// Every resource a client can claim is bounded: see doc/http-api.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "monitor/base/result.h"
#include "monitor/http/http_request.h"
#include "monitor/http/http_response.h"

namespace imawatch::http {

struct ServerOptions {
  std::string listen = "127.0.0.1:9464";  // host:port or [v6]:port; port 0 picks a free one
  Limits limits;
  // A request must arrive whole within this of its first byte (or of the connection's
  // accept), else the connection is dropped: slow clients (slowloris) cannot pin it.
  std::chrono::milliseconds header_timeout{10000};
  // A keep-alive connection with no request, or a client not reading its response, is
  // dropped after this.
  std::chrono::milliseconds idle_timeout{30000};
  size_t max_connections = 64;  // more are answered 503 and closed
  unsigned threads = 2;         // handler threads (at least one)
};

// Called on a worker thread, possibly on several at once. An exception becomes a 500.
using Handler = std::function<Response(const Request&)>;

class Server {
 public:
  // Binds, listens and starts serving.
  static Result<std::unique_ptr<Server>> Start(ServerOptions options, Handler handler);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;
  std::string address() const;  // "127.0.0.1:9464", "[::1]:9464"
  // Closes the listening socket and every connection, and waits for running handlers to
  // return (pending requests are dropped). Idempotent.
  // Not from a handler: it waits for handlers.
  void Stop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace imawatch::http
