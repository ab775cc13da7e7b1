// The webhook acceptance test (issue 6): a receiver on loopback that is down for a while, then
// answers 500s, then 429 with Retry-After, and 400 for one poisoned finding. The daemon keeps
// proving and creating findings throughout; once the receiver recovers every finding event
// arrives exactly once by id, in order, and the queue drains. Then the same with the daemon
// SIGKILLed in the middle of the outage, and later stopped with SIGTERM while retrying, and
// restarted each time.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "monitor/base/env.h"
#include "monitor/http/server.h"
#include "tests/integration/daemon/daemon_node.h"
#include "tests/integration/sinks/sink_test_util.h"

namespace imawatch {
namespace {

using nlohmann::json;
using testing::DaemonNode;
using testing::DaemonProcess;
using testing::HttpGet;
using testing::MetricValue;
using testing::WaitUntil;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kPoisonKey = "drift:/opt/app/poison";
constexpr const char* kBearer = "hook-secret-7";

std::string HttpDate(time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

class Receiver {
 public:
  enum class Mode { kDown, kFail500, kRateLimit, kHealthy };

  Receiver() {
    auto probe =
        http::Server::Start({.listen = "127.0.0.1:0"}, [](const http::Request&) { return http::Response{}; });
    EXPECT_TRUE(probe.ok());
    port_ = (*probe)->port();
  }

  void SetMode(Mode mode) {
    mode_ = mode;
    if (mode == Mode::kDown) {
      server_.reset();
    } else if (!server_) {
      auto s = http::Server::Start({.listen = "127.0.0.1:" + std::to_string(port_)},
                                   [this](const http::Request& r) { return Handle(r); });
      ASSERT_TRUE(s.ok()) << s.error().ToString();
      server_ = std::move(*s);
    }
  }
  uint16_t port() const { return port_; }

  struct Hit {
    Clock::time_point at;
    std::string event_id;
    int status;
  };
  std::vector<Hit> hits() {
    std::lock_guard lock(mu_);
    return hits_;
  }
  std::vector<json> accepted() {
    std::lock_guard lock(mu_);
    return accepted_;
  }
  int bad_requests() {
    std::lock_guard lock(mu_);
    return bad_requests_;
  }

 private:
  http::Response Handle(const http::Request& r) {
    json body = json::parse(r.body, nullptr, false);
    std::lock_guard lock(mu_);
    const bool well_formed = r.method == "POST" && r.path == "/hook" && body.is_object() &&
                             body.contains("event_id") &&
                             r.Header("authorization") == std::string("Bearer ") + kBearer &&
                             r.Header("x-tenant") == std::string_view("blue") &&
                             r.Header("idempotency-key") == body.value("event_id", "") &&
                             r.Header("content-type") == std::string_view("application/json");
    if (!well_formed) {
      ++bad_requests_;
      return http::JsonError(401, "unexpected request");
    }
    const std::string id = body["event_id"];
    http::Response out;
    switch (mode_.load()) {
      case Mode::kDown:
      case Mode::kFail500:
        out = http::JsonError(500, "receiver broken");
        break;
      case Mode::kRateLimit:
        out = http::JsonError(429, "slow down");
        // Both forms RFC 9110 allows: seconds, and a date.
        out.headers.push_back(
            {"Retry-After", (rate_limited_++ % 2 == 0) ? "2" : HttpDate(time(nullptr) + 3)});
        break;
      case Mode::kHealthy:
        if (body["key"] == kPoisonKey) {
          out = http::JsonError(400, "this receiver cannot take that finding");
        } else {
          out = http::Response{.status = 200, .body = "{}"};
          accepted_.push_back(body);
        }
        break;
    }
    hits_.push_back({Clock::now(), id, out.status});
    return out;
  }

  uint16_t port_ = 0;
  std::atomic<Mode> mode_{Mode::kDown};
  std::unique_ptr<http::Server> server_;
  std::mutex mu_;
  std::vector<Hit> hits_;
  std::vector<json> accepted_;
  int bad_requests_ = 0;
  int rate_limited_ = 0;
};

std::string Metrics(DaemonProcess& d) { return HttpGet(d.Port(), "/metrics").body; }
double Metric(DaemonProcess& d, const std::string& name, std::map<std::string, std::string> labels) {
  labels["sink"] = "hook";
  return MetricValue(Metrics(d), name, labels).value_or(-1);
}

constexpr int kMinRounds = 12;

void RunOutage(bool kill_mid_outage) {
  DaemonNode node;
  ASSERT_EQ(node.Simulate({"init", "--template", "ima-ng"}).exit_code, 0);
  ASSERT_EQ(node.Simulate({"run", "--scenario", "normal", "--entries", "20"}).exit_code, 0);
  node.WriteAllowList(3000);
  Receiver receiver;
  const std::string token_file = node.dir() + "/hook.token";
  ASSERT_TRUE(Env::Default().WriteFileAtomically(token_file, std::string(kBearer) + "\n").ok());
  node.WriteConfig("sinks:\n  - type: webhook\n    name: hook\n    url: http://127.0.0.1:" +
                   std::to_string(receiver.port()) +
                   "/hook\n    headers: {X-Tenant: blue}\n    bearer_token_file: " + token_file +
                   "\n    connect_timeout: 500ms\n    timeout: 2s\n    backoff_initial: 100ms\n"
                   "    backoff_max: 800ms\n");

  auto daemon = std::make_unique<DaemonProcess>(node.config());
  ASSERT_NE(daemon->Port(), 0) << daemon->Log();

  // Findings keep coming: five files drift again and again (open, then updated: several events
  // per finding), new unknown executables appear, and one finding the receiver refuses.
  std::atomic<bool> stop{false};
  std::atomic<int> rounds{0};
  ASSERT_EQ(node.Simulate({"run", "--scenario", "drift", "--path", "/opt/app/poison"}).exit_code, 0);
  // And a burst: 300 unknown executables at once, a backlog worth timing.
  ASSERT_EQ(
      node.Simulate({"run", "--scenario", "unknown-exec", "--entries", "300", "--seed", "5000"}).exit_code,
      0);
  std::thread simulator([&] {
    for (int i = 0; !stop; ++i) {
      if (i % 3 == 2) {
        node.Simulate({"run", "--scenario", "unknown-exec", "--seed", std::to_string(100 + i)});
      } else {
        node.Simulate({"run", "--scenario", "drift", "--path", "/opt/app/f" + std::to_string(i % 5)});
      }
      ++rounds;
      std::this_thread::sleep_for(150ms);
    }
  });

  // 1. Down: connection refused.
  receiver.SetMode(Receiver::Mode::kDown);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Metric(*daemon, "imawatch_sink_messages_failed_total", {{"reason", "network"}}) >= 3;
      },
      30s))
      << Metrics(*daemon) << daemon->Log();
  EXPECT_GT(Metric(*daemon, "imawatch_sink_queue_messages", {}), 0);
  if (kill_mid_outage) {
    std::this_thread::sleep_for(1s);
    daemon->Signal(SIGKILL);
    ASSERT_EQ(daemon->Wait(), 128 + SIGKILL);
    std::this_thread::sleep_for(500ms);  // findings keep arriving in the list meanwhile
    daemon = std::make_unique<DaemonProcess>(node.config());
    ASSERT_NE(daemon->Port(), 0) << daemon->Log();
    ASSERT_TRUE(WaitUntil(
        [&] {
          return Metric(*daemon, "imawatch_sink_messages_failed_total", {{"reason", "network"}}) >= 1;
        },
        30s));
  }
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(Metric(*daemon, "imawatch_sink_messages_sent_total", {}), 0);
  EXPECT_GT(Metric(*daemon, "imawatch_sink_oldest_message_age_seconds", {}), 0);

  // 2. Up, but every answer is a 500.
  receiver.SetMode(Receiver::Mode::kFail500);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Metric(*daemon, "imawatch_sink_messages_failed_total", {{"reason", "http_5xx"}}) >= 3;
      },
      30s));
  if (kill_mid_outage) {
    // A clean stop in the middle of retrying: everything unconfirmed stays queued.
    daemon->Signal(SIGTERM);
    ASSERT_EQ(daemon->Wait(), 0) << daemon->Log();
    size_t pending = 0;
    for (const auto& m : testing::StoredOutbox(node.store(), "hook")) {
      EXPECT_FALSE(m.delivered || m.dropped) << "settled without the receiver's confirmation: " << m.id;
      pending += !m.delivered && !m.dropped;
    }
    EXPECT_GT(pending, 300u);
    daemon = std::make_unique<DaemonProcess>(node.config());
    ASSERT_NE(daemon->Port(), 0) << daemon->Log();
  }
  // 3. Rate limited: 429 with Retry-After.
  receiver.SetMode(Receiver::Mode::kRateLimit);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Metric(*daemon, "imawatch_sink_messages_failed_total", {{"reason", "http_429"}}) >= 3;
      },
      30s));
  // Findings kept coming through the outage (each round is at least one event), however slow
  // the build; then the last of them are committed: the backlog is fixed from here.
  ASSERT_TRUE(WaitUntil([&] { return rounds >= kMinRounds; }, 120s)) << rounds;
  stop = true;
  simulator.join();
  std::this_thread::sleep_for(1s);
  const double backlog = Metric(*daemon, "imawatch_sink_queue_messages", {});
  EXPECT_GT(backlog, 10);
  // 4. Healthy, but for the poisoned finding.
  receiver.SetMode(Receiver::Mode::kHealthy);
  const auto recovered = Clock::now();
  // Every finding event was queued, the queue drains to zero.
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::string m = Metrics(*daemon);
        return MetricValue(m, "imawatch_sink_queue_messages", {{"sink", "hook"}}) == 0.0 &&
               MetricValue(m, "imawatch_sink_oldest_message_age_seconds", {{"sink", "hook"}}) == 0.0;
      },
      120s))
      << Metrics(*daemon);
  // The list is proved to its end and nothing more is queued.
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(Metric(*daemon, "imawatch_sink_queue_messages", {}), 0);
  const double drain_ms = std::chrono::duration<double, std::milli>(Clock::now() - recovered).count() - 1500;
  const std::string metrics = Metrics(*daemon);
  daemon->Signal(SIGTERM);
  ASSERT_EQ(daemon->Wait(), 0) << daemon->Log();

  EXPECT_EQ(receiver.bad_requests(), 0) << "headers, token or body were wrong";
  const std::vector<testing::StoredMessage> stored = testing::StoredOutbox(node.store(), "hook");
  const std::vector<json> accepted = receiver.accepted();
  // The burst, the poisoned finding and the rounds during the outage.
  ASSERT_GE(stored.size(), size_t{301} + kMinRounds) << "too few findings to test much";

  // Exactly once by id: what the receiver accepted is the outbox minus the poisoned event, in
  // outbox order, each once.
  std::vector<std::string> expected;
  int poisoned = 0;
  for (const auto& m : stored) {
    if (m.event.key == kPoisonKey) {
      ++poisoned;
      EXPECT_TRUE(m.dropped) << "the 400 was not dropped";
      EXPECT_EQ(m.drop_reason.rfind("http_4xx", 0), 0u) << m.drop_reason;
    } else {
      EXPECT_TRUE(m.delivered) << "message " << m.id << " was never confirmed";
      expected.push_back(m.event.EventId());
    }
  }
  EXPECT_EQ(poisoned, 1);
  std::vector<std::string> got;
  std::map<std::string, int> copies;
  for (const json& a : accepted) {
    got.push_back(a["event_id"]);
    ++copies[a["event_id"]];
  }
  for (const auto& [id, n] : copies) EXPECT_EQ(n, 1) << id << " arrived " << n << " times";
  EXPECT_EQ(got, expected) << "not every event arrived once, in order";

  // In order per finding: each finding's sequence numbers arrive 1, 2, 3, ...
  std::map<std::string, int64_t> last_sequence;
  int multi_event_findings = 0;
  for (const json& a : accepted) {
    int64_t& last = last_sequence[a["finding_id"]];
    EXPECT_EQ(a["sequence"].get<int64_t>(), last + 1) << a.dump();
    last = a["sequence"];
    if (last == 2) ++multi_event_findings;
  }
  EXPECT_GE(multi_event_findings, 3) << "findings with several events make the order check mean something";

  // Retry-After was honoured: a message refused with 429 came back no sooner than asked.
  const auto hits = receiver.hits();
  int checked = 0;
  for (size_t i = 0; i < hits.size(); ++i) {
    if (hits[i].status != 429) continue;
    for (size_t j = i + 1; j < hits.size(); ++j) {
      if (hits[j].event_id != hits[i].event_id) continue;
      EXPECT_GE(std::chrono::duration_cast<std::chrono::milliseconds>(hits[j].at - hits[i].at).count(), 1900)
          << "retried before Retry-After";
      ++checked;
      break;
    }
  }
  EXPECT_GE(checked, 2);

  EXPECT_EQ(MetricValue(metrics, "imawatch_sink_messages_dropped_total",
                        {{"sink", "hook"}, {"reason", "http_4xx"}}),
            1.0);
  EXPECT_EQ(MetricValue(metrics, "imawatch_sink_queue_messages", {{"sink", "hook"}}), 0.0);
  EXPECT_GT(MetricValue(metrics, "imawatch_sink_retries_total", {{"sink", "hook"}}).value_or(0), 0);

  ::testing::Test::RecordProperty("events", std::to_string(stored.size()));
  ::testing::Test::RecordProperty("requests", std::to_string(hits.size()));
  ::testing::Test::RecordProperty("drain_ms", std::to_string(static_cast<int64_t>(drain_ms)));
  auto failed = [&](const char* reason) {
    return MetricValue(metrics, "imawatch_sink_messages_failed_total", {{"sink", "hook"}, {"reason", reason}})
        .value_or(0);
  };
  std::printf(
      "webhook%s: %zu events from %d simulator rounds, %zu requests reached the receiver (%zu accepted); "
      "failed attempts in the last daemon: network %.0f, http_5xx %.0f, http_429 %.0f, http_4xx %.0f; "
      "retries %.0f; backlog of %.0f drained %.0f ms after the receiver recovered\n",
      kill_mid_outage ? " with SIGKILL + SIGTERM" : "", stored.size(), rounds.load(), hits.size(),
      accepted.size(), failed("network"), failed("http_5xx"), failed("http_429"), failed("http_4xx"),
      MetricValue(metrics, "imawatch_sink_retries_total", {{"sink", "hook"}}).value_or(0), backlog, drain_ms);
}

TEST(WebhookSink, OutageThen500ThenRateLimitThenRecoveryDeliversEveryEventOnceInOrder) { RunOutage(false); }

TEST(WebhookSink, SigkillAndSigtermDuringTheOutageLoseAndDuplicateNothing) { RunOutage(true); }

}  // namespace
}  // namespace imawatch
