// The webhook sink alone against a one-request-at-a-time HTTPS receiver on loopback (OpenSSL,
// mTLS): what it sends, and how each answer is classified (delivered, retry with the
// receiver's Retry-After, drop), including a receiver the CA bundle does not vouch for.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "reporters/sinks/retry_policy.h"
#include "reporters/sinks/sink.h"
#include "tests/integration/sinks/sink_test_util.h"
#include "tests/testing/loopback.h"
#include "tests/testing/paths.h"

namespace imawatch {
namespace {

using namespace std::chrono_literals;
using sinks::SendResult;

// Answers every request with `reply` (raw HTTP), over TLS that requires a client certificate.
class TlsReceiver {
 public:
  explicit TlsReceiver(const std::string& pki) : ctx_(SSL_CTX_new(TLS_server_method())) {
    EXPECT_EQ(SSL_CTX_use_certificate_file(ctx_, (pki + "/server.pem").c_str(), SSL_FILETYPE_PEM), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx_, (pki + "/server.key").c_str(), SSL_FILETYPE_PEM), 1);
    EXPECT_EQ(SSL_CTX_load_verify_locations(ctx_, (pki + "/ca.pem").c_str(), nullptr), 1);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    // Clients resume sessions (libcurl does); resuming with client verification needs a context.
    static constexpr unsigned char kContext[] = "webhook-test";
    SSL_CTX_set_session_id_context(ctx_, kContext, sizeof(kContext) - 1);
    const testing::LoopbackListener listener = testing::ListenOnLoopback(8);
    EXPECT_GE(listener.fd, 0);
    fd_ = listener.fd;
    port_ = listener.port;
    thread_ = std::thread([this] { Run(); });
  }
  ~TlsReceiver() {
    stop_ = true;
    thread_.join();
    close(fd_);
    SSL_CTX_free(ctx_);
  }
  void Reply(std::string raw) {
    std::lock_guard lock(mu_);
    reply_ = std::move(raw);
  }
  std::string last_request() {
    std::lock_guard lock(mu_);
    return request_;
  }
  uint16_t port() const { return port_; }

 private:
  void Run() {
    while (!stop_) {
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, 100) != 1) continue;
      const int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      timeval tv{.tv_sec = 2, .tv_usec = 0};
      setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, client);
      if (SSL_accept(ssl) == 1) Serve(ssl);
      SSL_free(ssl);
      close(client);
    }
  }
  // One request per connection (the reply says Connection: close).
  void Serve(SSL* ssl) {
    std::string in;
    char chunk[4096];
    for (;;) {
      const size_t head = in.find("\r\n\r\n");
      if (head != std::string::npos) {
        const size_t at = in.find("Content-Length: ");
        const size_t length = at == std::string::npos ? 0 : std::stoul(in.substr(at + 16));
        if (in.size() >= head + 4 + length) break;
      }
      const int n = SSL_read(ssl, chunk, sizeof(chunk));
      if (n <= 0) return;
      in.append(chunk, static_cast<size_t>(n));
    }
    std::string reply;
    {
      std::lock_guard lock(mu_);
      request_ = in;
      reply = reply_;
    }
    SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
    SSL_shutdown(ssl);
  }

  SSL_CTX* ctx_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::string reply_ = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  std::string request_;
};

sinks::FindingEvent Event() {
  auto e = sinks::ParseFindingEvent(
      R"({"event":"finding","state":"open","key":"drift:/x","subject":"/x","node":"n","epoch":1,"time":1700000000,)"
      R"("sequence":1})");
  EXPECT_TRUE(e.ok());
  return *e;
}

TEST(WebhookSinkAlone, HttpsWithMutualTlsAndEveryKindOfAnswer) {
  const std::string pki = testing::MakeTempDir("webhook-pki");
  testing::MakeTestPki(pki);
  std::ofstream(pki + "/token") << "s3cret\n";
  TlsReceiver receiver(pki);
  sinks::WebhookOptions o{.url = "https://127.0.0.1:" + std::to_string(receiver.port()) + "/in",
                          .headers = {{"X-Tenant", "blue"}},
                          .bearer_token_file = pki + "/token",
                          .ca_bundle = pki + "/ca.pem",
                          .client_cert = pki + "/client.pem",
                          .client_key = pki + "/client.key",
                          .connect_timeout = 2s,
                          .timeout = 5s};
  auto sink = sinks::MakeWebhookSink(o);
  ASSERT_TRUE(sink.ok());
  std::atomic<bool> stop{false};
  const sinks::FindingEvent event = Event();

  SendResult r = (*sink)->Send(event, stop);
  EXPECT_EQ(r.outcome, SendResult::Outcome::kDelivered) << r.error;
  const std::string request = receiver.last_request();
  EXPECT_TRUE(request.starts_with("POST /in HTTP/1.1\r\n")) << request;
  EXPECT_NE(request.find("Authorization: Bearer s3cret\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find("X-Tenant: blue\r\n"), std::string::npos);
  EXPECT_NE(request.find("Idempotency-Key: " + event.EventId() + "\r\n"), std::string::npos);
  EXPECT_NE(request.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(request.find("\"event_id\":\"" + event.EventId() + "\""), std::string::npos);

  struct Case {
    std::string reply;
    SendResult::Outcome outcome;
    std::string reason;
    std::optional<std::chrono::milliseconds> after;
  } cases[] = {
      {"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", SendResult::Outcome::kDelivered, "",
       std::nullopt},
      {"HTTP/1.1 429 Too Many\r\nRetry-After: 7\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
       SendResult::Outcome::kRetry, "http_429", 7000ms},
      {"HTTP/1.1 503 Busy\r\nretry-after:  Fri, 31 Dec 9999 23:59:59 GMT \r\nContent-Length: "
       "0\r\nConnection: close\r\n\r\n",
       SendResult::Outcome::kRetry, "http_5xx", sinks::kMaxRetryAfter},
      {"HTTP/1.1 500 Oops\r\nContent-Length: 4\r\nConnection: close\r\n\r\nboom", SendResult::Outcome::kRetry,
       "http_5xx", std::nullopt},
      {"HTTP/1.1 429 Too Many\r\nRetry-After: soon\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
       SendResult::Outcome::kRetry, "http_429", std::nullopt},
      {"HTTP/1.1 400 Bad\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", SendResult::Outcome::kDrop,
       "http_4xx", std::nullopt},
      {"HTTP/1.1 301 Moved\r\nLocation: https://elsewhere/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
       SendResult::Outcome::kDrop, "http_3xx", std::nullopt},
  };
  for (const Case& c : cases) {
    receiver.Reply(c.reply);
    SendResult got = (*sink)->Send(event, stop);
    EXPECT_EQ(got.outcome, c.outcome) << c.reply << "\n" << got.error;
    EXPECT_EQ(got.reason, c.reason) << c.reply;
    EXPECT_EQ(got.retry_after, c.after) << c.reply;
  }
  receiver.Reply("HTTP/1.1 500 Oops\r\nContent-Length: 4\r\nConnection: close\r\n\r\nboom");
  EXPECT_NE((*sink)->Send(event, stop).error.find("HTTP 500: boom"), std::string::npos);

  // A receiver the CA bundle does not vouch for, and a client without a certificate.
  const std::string other = testing::MakeTempDir("webhook-other-pki");
  testing::MakeTestPki(other);
  sinks::WebhookOptions wrong_ca = o;
  wrong_ca.ca_bundle = other + "/ca.pem";
  auto untrusting = sinks::MakeWebhookSink(wrong_ca);
  SendResult refused = (*untrusting)->Send(event, stop);
  EXPECT_EQ(refused.outcome, SendResult::Outcome::kRetry);
  EXPECT_EQ(refused.reason, "tls") << refused.error;
  sinks::WebhookOptions anonymous = o;
  anonymous.client_cert.clear();
  anonymous.client_key.clear();
  auto no_cert = sinks::MakeWebhookSink(anonymous);
  receiver.Reply("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ((*no_cert)->Send(event, stop).outcome, SendResult::Outcome::kRetry);

  // A certificate file that is not there fails at start, not at every send.
  sinks::WebhookOptions missing_key = o;
  missing_key.client_key = pki + "/nope.key";
  auto refused_start = sinks::MakeWebhookSink(missing_key);
  ASSERT_FALSE(refused_start.ok());
  EXPECT_NE(refused_start.error().message().find("nope.key"), std::string::npos);

  // Nobody listening, and a token file that is gone.
  sinks::WebhookOptions closed = o;
  closed.url = "https://127.0.0.1:1/in";
  EXPECT_EQ((*sinks::MakeWebhookSink(closed))->Send(event, stop).reason, "network");
  sinks::WebhookOptions tokenless = o;
  tokenless.bearer_token_file = pki + "/missing";
  EXPECT_EQ((*sinks::MakeWebhookSink(tokenless))->Send(event, stop).reason, "config");
}

}  // namespace
}  // namespace imawatch
