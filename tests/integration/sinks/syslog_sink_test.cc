// Syslog to a TCP listener on loopback: RFC 5424 frames, octet-counted, whose CEF fields carry
// a path with `|`, `\`, `=` and a line break back unchanged. The listener drops the first
// connection after one frame: the sink reconnects and nothing is lost.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "reporters/sinks/cef.h"
#include "reporters/sinks/finding_event.h"
#include "reporters/sinks/syslog_frame.h"
#include "tests/integration/daemon/daemon_node.h"
#include "tests/testing/loopback.h"
#include "tests/integration/sinks/sink_test_util.h"

namespace imawatch {
namespace {

using testing::DaemonNode;
using testing::DaemonProcess;
using testing::WaitUntil;
using namespace std::chrono_literals;

class SyslogListener {
 public:
  SyslogListener() {
    const testing::LoopbackListener listener = testing::ListenOnLoopback(8);
    EXPECT_GE(listener.fd, 0);
    fd_ = listener.fd;
    port_ = listener.port;
    thread_ = std::thread([this] { Run(); });
  }
  ~SyslogListener() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  std::vector<std::string> frames() {
    std::lock_guard lock(mu_);
    return frames_;
  }
  int connections() const { return connections_; }
  std::string error() {
    std::lock_guard lock(mu_);
    return error_;
  }

 private:
  void Run() {
    while (!stop_) {
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, 100) != 1) continue;
      const int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      ++connections_;
      const bool drop_after_one = connections_ == 1;
      std::string buffer;
      while (!stop_) {
        pollfd c{.fd = client, .events = POLLIN, .revents = 0};
        if (poll(&c, 1, 100) != 1) continue;
        char chunk[4096];
        const ssize_t n = read(client, chunk, sizeof(chunk));
        if (n <= 0) break;
        buffer.append(chunk, static_cast<size_t>(n));
        auto got = sinks::TakeFrames(buffer);
        std::lock_guard lock(mu_);
        if (!got.ok()) {
          error_ = got.error().ToString();
          break;
        }
        frames_.insert(frames_.end(), got->begin(), got->end());
        if (drop_after_one && !frames_.empty()) break;
      }
      close(client);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> frames_;
  std::string error_;
};

TEST(SyslogSink, Rfc5424CefFramesRoundTripHostileFields) {
  DaemonNode node;
  ASSERT_EQ(node.Simulate({"init", "--template", "ima-ng"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "10"}).exit_code, 0);
  node.WriteAllowList(3000);
  SyslogListener listener;
  node.WriteConfig(
      "sinks:\n  - {type: syslog, name: siem, address: '127.0.0.1:" + std::to_string(listener.port()) +
      "', format: cef, facility: 4, backoff_initial: 100ms, backoff_max: 500ms}\n");
  DaemonProcess d(node.config());
  ASSERT_NE(d.Port(), 0) << d.Log();

  const std::vector<std::string> paths = {"/opt/we|rd\\na=me\nline two", "/opt/plain", "/opt/eq=ual|pipe\\",
                                          "/opt/cr\rlf\r\n|end"};
  for (const std::string& path : paths) {
    ASSERT_EQ(node.Simulate({"run", "--scenario", "drift", "--path", path}).exit_code, 0);
    std::this_thread::sleep_for(300ms);  // separate batches: separate connections are exercised
  }
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto stored = testing::StoredOutbox(node.store(), "siem");
        return stored.size() >= paths.size() &&
               std::all_of(stored.begin(), stored.end(), [](const auto& m) { return m.delivered; });
      },
      30s))
      << d.Log();
  const auto stored = testing::StoredOutbox(node.store(), "siem");
  ASSERT_TRUE(WaitUntil([&] { return listener.frames().size() >= stored.size(); }, 10s));
  EXPECT_EQ(listener.error(), "");
  EXPECT_GE(listener.connections(), 2) << "the dropped connection was not replaced";

  std::map<std::string, std::string> path_by_event;  // externalId -> filePath
  for (const std::string& frame : listener.frames()) {
    auto message = sinks::ParseSyslog(frame);
    ASSERT_TRUE(message.ok()) << message.error().ToString() << "\n" << frame;
    EXPECT_EQ(message->facility, 4);
    EXPECT_EQ(message->severity, 4);  // warning: an open finding
    EXPECT_EQ(message->hostname, "test-node");
    EXPECT_EQ(message->app_name, "imawatch");
    EXPECT_EQ(message->msgid, "finding");
    auto cef = sinks::ParseCef(message->msg);
    ASSERT_TRUE(cef.ok()) << cef.error().ToString() << "\n" << message->msg;
    EXPECT_EQ(cef->vendor, "imawatch");
    if (cef->extension.count("filePath")) {
      const std::string& path = cef->extension["filePath"];
      EXPECT_EQ(cef->extension["cs2"], "drift:" + path);
      std::string header_name = "drift finding open: " + path;
      for (char& c : header_name) c = (c == '\n' || c == '\r') ? ' ' : c;
      EXPECT_EQ(cef->name, header_name);
      path_by_event[cef->extension["externalId"]] = path;
    }
  }
  for (const std::string& path : paths) {
    bool found = false;
    for (const auto& m : stored) {
      if (m.event.key != "drift:" + path) continue;
      found = true;
      EXPECT_EQ(path_by_event[m.event.EventId()], path) << "the CEF fields did not round-trip";
    }
    EXPECT_TRUE(found) << path;
  }
  std::printf("syslog: %zu frames over %d connections for %zu events\n", listener.frames().size(),
              listener.connections(), stored.size());
  d.Signal(SIGTERM);
  EXPECT_EQ(d.Wait(), 0);
}

// A TLS syslog receiver (RFC 5425) with a certificate for 127.0.0.1 from a CA made here with
// the openssl tool; it requires the client's certificate (mTLS) from the same CA.
TEST(SyslogSink, TlsWithClientCertificateDeliversJsonFrames) {
  const std::string dir = testing::MakeTempDir("syslog-tls");
  testing::MakeTestPki(dir);

  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  ASSERT_EQ(SSL_CTX_use_certificate_file(ctx, (dir + "/server.pem").c_str(), SSL_FILETYPE_PEM), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey_file(ctx, (dir + "/server.key").c_str(), SSL_FILETYPE_PEM), 1);
  ASSERT_EQ(SSL_CTX_load_verify_locations(ctx, (dir + "/ca.pem").c_str(), nullptr), 1);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  const testing::LoopbackListener listener = testing::ListenOnLoopback(4);
  ASSERT_GE(listener.fd, 0);
  const int fd = listener.fd;
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<std::string> frames;
  std::string peer;
  std::thread server([&] {
    while (!stop) {
      pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, 100) != 1) continue;
      const int client = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      timeval tv{.tv_sec = 0, .tv_usec = 200000};
      setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      SSL* ssl = SSL_new(ctx);
      SSL_set_fd(ssl, client);
      if (SSL_accept(ssl) == 1) {
        if (X509* cert = SSL_get1_peer_certificate(ssl)) {
          char name[256] = {};
          X509_NAME_oneline(X509_get_subject_name(cert), name, sizeof(name));
          std::lock_guard lock(mu);
          peer = name;
          X509_free(cert);
        }
        std::string buffer;
        char chunk[4096];
        while (!stop) {
          const int n = SSL_read(ssl, chunk, sizeof(chunk));
          if (n <= 0) {
            if (SSL_get_error(ssl, n) == SSL_ERROR_WANT_READ || errno == EAGAIN) continue;
            break;
          }
          buffer.append(chunk, static_cast<size_t>(n));
          auto got = sinks::TakeFrames(buffer);
          if (!got.ok()) break;
          std::lock_guard lock(mu);
          frames.insert(frames.end(), got->begin(), got->end());
        }
      }
      SSL_free(ssl);
      close(client);
    }
  });

  DaemonNode node;
  ASSERT_EQ(node.Simulate({"init", "--template", "ima-ng"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "10"}).exit_code, 0);
  node.WriteAllowList(3000);
  node.WriteConfig("sinks:\n  - type: syslog\n    address: '127.0.0.1:" + std::to_string(listener.port) +
                   "'\n    transport: tls\n    ca_bundle: " + dir + "/ca.pem\n    client_cert: " + dir +
                   "/client.pem\n    client_key: " + dir + "/client.key\n");
  DaemonProcess d(node.config());
  ASSERT_NE(d.Port(), 0) << d.Log();
  ASSERT_EQ(node.Simulate({"run", "--scenario", "drift", "--path", "/opt/tls=ok|\\x"}).exit_code, 0);
  const bool arrived = WaitUntil(
      [&] {
        std::lock_guard lock(mu);
        return !frames.empty();
      },
      30s);
  d.Signal(SIGTERM);
  EXPECT_EQ(d.Wait(), 0);
  stop = true;
  server.join();
  close(fd);
  SSL_CTX_free(ctx);
  ASSERT_TRUE(arrived) << d.Log();
  EXPECT_NE(peer.find("CN=client"), std::string::npos) << peer;
  auto message = sinks::ParseSyslog(frames[0]);
  ASSERT_TRUE(message.ok()) << message.error().ToString();
  auto event = sinks::ParseFindingEvent(message->msg);
  ASSERT_TRUE(event.ok()) << message->msg;
  EXPECT_EQ(event->key, "drift:/opt/tls=ok|\\x");
  EXPECT_EQ(message->severity, 4);
  EXPECT_EQ(message->facility, 16);
}

}  // namespace
}  // namespace imawatch
