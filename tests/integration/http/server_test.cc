// The HTTP server on real loopback sockets, driven by a raw client that can misbehave.
#include "monitor/http/server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "monitor/http/bearer_auth.h"
#include "tests/integration/http/raw_client.h"

namespace imawatch::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kToken = "7d1f0c4e-scrape-token";

// /throw throws, /slow?ms=N sleeps, /big answers 16 MiB, /auth wants the bearer token;
// anything else echoes the request.
Response TestHandler(const Request& r) {
  if (r.path == "/throw") throw std::runtime_error("secret internals");
  if (r.path == "/slow")
    std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(std::string(*r.Query("ms")))));
  Response out;
  out.content_type = "text/plain";
  if (r.path == "/big") {
    out.body.assign(16 << 20, 'x');
    return out;
  }
  if (r.path == "/auth") {
    if (auto denied = RequireBearer(r, kToken)) return *denied;
  }
  out.body = r.method + " " + r.path + " " + r.body;
  return out;
}

std::unique_ptr<Server> StartServer(ServerOptions options = {}) {
  options.listen = "127.0.0.1:0";
  auto server = Server::Start(std::move(options), TestHandler);
  if (!server) throw std::runtime_error(server.error().ToString());
  return std::move(server).value();
}

std::string Get(std::string_view path, std::string_view extra = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n";
}

TEST(HttpServer, ServesSeveralRequestsOnOneKeepAliveConnection) {
  auto server = StartServer();
  EXPECT_EQ(server->address(), "127.0.0.1:" + std::to_string(server->port()));
  RawClient client(server->port());
  for (int i = 0; i < 5; ++i) {
    std::string path = "/v1/item/" + std::to_string(i);
    ASSERT_TRUE(client.Send(Get(path)));
    auto r = client.Read();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "GET " + path + " ");
    EXPECT_EQ(r->Header("connection"), "keep-alive");
    EXPECT_EQ(r->Header("content-type"), "text/plain");
  }
}

TEST(HttpServer, AnswersPipelinedRequestsInOrder) {
  auto server = StartServer();
  RawClient client(server->port());
  ASSERT_TRUE(
      client.Send(Get("/a") + "HEAD /b HTTP/1.1\r\nHost: t\r\n\r\n" + Get("/slow?ms=50") + Get("/c")));
  auto a = client.Read();
  auto b = client.Read(true);
  auto slow = client.Read();
  auto c = client.Read();
  ASSERT_TRUE(a && b && slow && c);
  EXPECT_EQ(a->body, "GET /a ");
  EXPECT_EQ(b->Header("content-length"), "8");  // "HEAD /b "
  EXPECT_EQ(slow->body, "GET /slow ");
  EXPECT_EQ(c->body, "GET /c ");
}

TEST(HttpServer, HeadSendsHeadersOnly) {
  auto server = StartServer();
  RawClient client(server->port());
  ASSERT_TRUE(client.Send("HEAD /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = client.Read(true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("content-length"), "14");  // "HEAD /metrics "
  EXPECT_TRUE(head->body.empty());
  // Had the body been sent, it would now be read as the next response's status line.
  ASSERT_TRUE(client.Send(Get("/next")));
  auto next = client.Read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "GET /next ");
}

TEST(HttpServer, ClosesWhenAskedAndFollowsHttp10Defaults) {
  auto server = StartServer();
  {
    RawClient client(server->port());
    ASSERT_TRUE(client.Send(Get("/x", "Connection: Keep-Alive, close\r\n")));
    auto r = client.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->Header("connection"), "close");
    EXPECT_TRUE(client.WaitClosed(2s));
  }
  {
    RawClient client(server->port());
    ASSERT_TRUE(client.Send("GET /x HTTP/1.0\r\n\r\n"));
    auto r = client.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->Header("connection"), "close");
    EXPECT_TRUE(client.WaitClosed(2s));
  }
  {
    RawClient client(server->port());
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(client.Send("GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
      auto r = client.Read();
      ASSERT_TRUE(r);
      EXPECT_EQ(r->Header("connection"), "keep-alive");
    }
  }
}

TEST(HttpServer, PostBodyReachesTheHandler) {
  auto server = StartServer();
  RawClient client(server->port());
  ASSERT_TRUE(client.Send("POST /v1/policies HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nmeasure all"));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "POST /v1/policies measure all");
}

TEST(HttpServer, MalformedRequestGetsItsStatusWithOffsetThenClose) {
  auto server = StartServer();
  struct Case {
    std::string bytes;
    int status;
    std::string error;
  };
  std::vector<Case> cases = {
      {"GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n", 400,
       "whitespace before ':' in header field (byte 28)"},
      {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501, "Transfer-Encoding"},
      {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, "conflicting"},
      {"POST / HTTP/1.1\r\nHost: t\r\n\r\n", 411, "Content-Length required"},
      {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 70000\r\n\r\n", 413, "body larger"},
      {"GET /" + std::string(5000, 'a') + " HTTP/1.1\r\n\r\n", 414, "request-target longer"},
      {"GET / HTTP/3.0\r\nHost: t\r\n\r\n", 505, "version"},
      {"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 400, "invalid character in method"},
  };
  for (const auto& c : cases) {
    RawClient client(server->port());
    ASSERT_TRUE(client.Send(c.bytes));
    auto r = client.Read();
    ASSERT_TRUE(r) << c.bytes;
    EXPECT_EQ(r->status, c.status) << r->body;
    EXPECT_NE(r->body.find(c.error), std::string::npos) << r->body;
    EXPECT_EQ(r->Header("connection"), "close");
    EXPECT_TRUE(client.WaitClosed(3s));
  }
}

TEST(HttpServer, HugeHeaderGets431AndOthersAreStillServed) {
  auto server = StartServer();
  RawClient huge(server->port());
  RawClient other(server->port());
  // Far more than the limit, so the server answers while the client is still sending.
  std::thread sender([&] { huge.Send(Get("/", "X-Huge: " + std::string(1 << 20, 'h') + "\r\n")); });
  auto r = huge.Read();
  EXPECT_TRUE(other.Send(Get("/still-here")));
  auto ok = other.Read();
  sender.join();  // the server reads and drops the rest, then closes
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->Header("connection"), "close");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  RawClient after(server->port());
  ASSERT_TRUE(after.Send(Get("/after")));
  EXPECT_EQ(after.Read()->status, 200);
}

TEST(HttpServer, SlowClientIsDroppedWhileAFastOneIsServed) {
  ServerOptions options;
  options.header_timeout = 1s;
  auto server = StartServer(options);
  std::atomic<bool> slow_dropped = false;
  Clock::duration slow_lasted{};
  std::thread slow([&] {
    RawClient client(server->port());
    auto start = Clock::now();
    std::string request = Get("/slow-loris", "X-Drip: " + std::string(200, 'd') + "\r\n");
    for (char c : request) {  // one byte every 50 ms: the request would take 12 s
      if (!client.Send(std::string_view(&c, 1)) || client.WaitClosed(50ms)) {
        slow_dropped = true;
        break;
      }
    }
    slow_lasted = Clock::now() - start;
  });
  // Meanwhile fresh connections are served at once.
  auto fast_until = Clock::now() + 1500ms;
  int served = 0;
  while (Clock::now() < fast_until) {
    auto start = Clock::now();
    RawClient fast(server->port());
    fast.Send(Get("/fast"));
    auto r = fast.Read(false, 2s);
    if (!r) {
      ADD_FAILURE() << "fast client not served";
      break;
    }
    EXPECT_EQ(r->status, 200);
    EXPECT_LT(Clock::now() - start, 500ms);
    ++served;
    std::this_thread::sleep_for(20ms);
  }
  slow.join();
  EXPECT_GT(served, 10);
  EXPECT_TRUE(slow_dropped);
  EXPECT_GE(slow_lasted, 900ms);
  EXPECT_LT(slow_lasted, 3s);
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosed) {
  ServerOptions options;
  options.idle_timeout = 300ms;
  auto server = StartServer(options);
  RawClient client(server->port());
  ASSERT_TRUE(client.Send(Get("/once")));
  ASSERT_TRUE(client.Read());
  auto start = Clock::now();
  EXPECT_TRUE(client.WaitClosed(3s));
  EXPECT_GE(Clock::now() - start, 250ms);
}

TEST(HttpServer, OverTheConnectionCapAnswers503) {
  ServerOptions options;
  options.max_connections = 2;
  auto server = StartServer(options);
  auto a = std::make_unique<RawClient>(server->port());
  RawClient b(server->port());
  for (RawClient* c : {a.get(), &b}) {  // a served request proves the connection is counted
    ASSERT_TRUE(c->Send(Get("/held")));
    ASSERT_EQ(c->Read()->status, 200);
  }
  RawClient refused(server->port());
  auto r = refused.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->Header("retry-after"), "1");
  EXPECT_TRUE(refused.WaitClosed(2s));
  // The held connections still work, and a freed slot is taken by the next client.
  ASSERT_TRUE(b.Send(Get("/still")));
  EXPECT_EQ(b.Read()->status, 200);
  a.reset();
  std::optional<RawResponse> next;
  for (auto until = Clock::now() + 3s; Clock::now() < until; std::this_thread::sleep_for(20ms)) {
    RawClient c(server->port());
    c.Send(Get("/freed"));
    next = c.Read();
    if (next && next->status == 200) break;
  }
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST(HttpServer, HandlerExceptionBecomes500) {
  auto server = StartServer();
  RawClient client(server->port());
  ASSERT_TRUE(client.Send(Get("/throw")));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body.find("secret"), std::string::npos);
  ASSERT_TRUE(client.Send(Get("/fine")));  // the connection, and the server, live on
  EXPECT_EQ(client.Read()->status, 200);
}

TEST(HttpServer, SlowHandlerDoesNotHoldUpOtherClients) {
  ServerOptions options;
  options.threads = 2;
  auto server = StartServer(options);
  RawClient slow(server->port());
  ASSERT_TRUE(slow.Send(Get("/slow?ms=1500")));
  std::this_thread::sleep_for(50ms);
  auto start = Clock::now();
  RawClient fast(server->port());
  ASSERT_TRUE(fast.Send(Get("/fast")));
  ASSERT_TRUE(fast.Read());
  EXPECT_LT(Clock::now() - start, 700ms);
  EXPECT_EQ(slow.Read()->status, 200);
}

TEST(HttpServer, ClientVanishingMidResponseDoesNotHurtTheServer) {
  auto server = StartServer();
  for (int i = 0; i < 3; ++i) {
    RawClient client(server->port());
    ASSERT_TRUE(client.Send(Get("/big")));
    std::this_thread::sleep_for(50ms);  // the server is writing 16 MiB into a full socket
  }  // closed with unread data: a reset, then EPIPE on the server's next send (SIGPIPE if not suppressed)
  RawClient client(server->port());
  ASSERT_TRUE(client.Send(Get("/after")));
  EXPECT_EQ(client.Read()->status, 200);
}

TEST(HttpServer, StopReturnsPromptlyWithOpenConnections) {
  auto server = StartServer();
  RawClient idle(server->port());
  RawClient partial(server->port());
  ASSERT_TRUE(partial.Send("GET /half HTTP/1.1\r\nHost: "));
  RawClient kept(server->port());
  ASSERT_TRUE(kept.Send(Get("/kept")));
  ASSERT_TRUE(kept.Read());
  RawClient unread(server->port());
  ASSERT_TRUE(unread.Send(Get("/big")));
  std::this_thread::sleep_for(100ms);

  auto start = Clock::now();
  server->Stop();
  EXPECT_LT(Clock::now() - start, 1s);
  for (RawClient* c : {&idle, &partial, &kept, &unread}) EXPECT_TRUE(c->WaitClosed(1s));
  server->Stop();  // idempotent
  server.reset();
}

TEST(HttpServer, BearerTokenGuardsTheApi) {
  auto server = StartServer();
  RawClient client(server->port());
  auto ask = [&](std::string_view extra) {
    EXPECT_TRUE(client.Send(Get("/auth", extra)));
    return client.Read();
  };
  auto none = ask("");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->Header("www-authenticate"), "Bearer realm=\"imawatch\"");
  std::string same_length(kToken.size(), 'x');
  for (std::string_view wrong : {std::string_view(same_length), std::string_view("short"),
                                 std::string_view("7d1f0c4e-scrape-token-and-more")}) {
    auto denied = ask("Authorization: Bearer " + std::string(wrong) + "\r\n");
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->status, 401) << wrong;
    EXPECT_NE(denied->Header("www-authenticate")->find("invalid_token"), std::string::npos);
  }
  auto ok = ask("Authorization: Bearer " + std::string(kToken) + "\r\n");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "GET /auth ");
}

TEST(HttpServer, ListensOnIpv6AndReportsBadAddresses) {
  auto v6 = Server::Start({.listen = "[::1]:0"}, TestHandler);
  if (v6) {
    EXPECT_EQ((*v6)->address(), "[::1]:" + std::to_string((*v6)->port()));
  } else {
    EXPECT_EQ(v6.error().kind(), ErrorKind::kIo) << v6.error().ToString();  // a host without IPv6
  }
  for (std::string listen : {"9464", ":9464", "::1:9464", "127.0.0.1:65536", "127.0.0.1:x", "[::1]9464"}) {
    auto bad = Server::Start({.listen = listen}, TestHandler);
    ASSERT_FALSE(bad) << listen;
    EXPECT_EQ(bad.error().kind(), ErrorKind::kInvalidInput) << listen;
  }
  auto first = StartServer();
  auto taken = Server::Start({.listen = "127.0.0.1:" + std::to_string(first->port())}, TestHandler);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().kind(), ErrorKind::kIo);
  EXPECT_NE(taken.error().message().find("Address already in use"), std::string::npos)
      << taken.error().message();
}

}  // namespace
}  // namespace imawatch::http
