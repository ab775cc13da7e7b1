#include "reporters/sinks/delivery_loop.h"

#include <algorithm>

#include "monitor/store/outbox.h"
#include "monitor/store/store.h"
#include "reporters/sinks/retry_policy.h"

namespace imawatch::sinks {
namespace {

using std::chrono::milliseconds;

constexpr size_t kFetch = 64;              // messages read per query
constexpr milliseconds kIdlePoll{250};     // a new commit usually wakes the loop sooner
constexpr milliseconds kStoreRetry{1000};  // after the store itself failed
constexpr size_t kMaxErrorText = 512;

int64_t NowMs() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

DeliveryLoop::DeliveryLoop(std::string sink_name, std::unique_ptr<Sink> sink, std::string store_path,
                           SinkMetrics& metrics, DeliveryLog log)
    : name_(std::move(sink_name)),
      sink_(std::move(sink)),
      store_path_(std::move(store_path)),
      metrics_(metrics),
      log_(std::move(log)) {
  metrics_.AddSink(name_);
}

DeliveryLoop::~DeliveryLoop() { Stop(); }

void DeliveryLoop::Start() {
  thread_ = std::thread([this] { Run(); });
}

void DeliveryLoop::Notify() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    notified_ = true;
  }
  wake_.notify_one();
}

void DeliveryLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void DeliveryLoop::Sleep(milliseconds wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  wake_.wait_for(lock, wait, [&] { return stop_.load() || notified_; });
  notified_ = false;
}

void DeliveryLoop::Run() {
  std::optional<store::Store> store;
  while (!stop_) {
    if (!store) {
      auto opened = store::Store::Open(store_path_);
      if (!opened) {
        log_.warn("sink.store_error", name_, opened.error().ToString());
        Sleep(kStoreRetry);
        continue;
      }
      store.emplace(std::move(*opened));
    }
    store::Outbox outbox(store->database());
    auto queue = outbox.Queue(name_);
    auto batch = outbox.Next(name_, kFetch);
    if (!queue || !batch) {
      log_.warn("sink.store_error", name_, (!queue ? queue.error() : batch.error()).ToString());
      Sleep(kStoreRetry);
      continue;
    }
    const int64_t now_ms = NowMs();
    metrics_.SetQueue(name_, static_cast<double>(queue->messages),
                      queue->messages
                          ? std::max<double>(0, static_cast<double>(now_ms / 1000 - queue->oldest_created_at))
                          : 0.0);
    if (batch->empty()) {
      Sleep(kIdlePoll);
      continue;
    }
    milliseconds wait{0};
    for (const store::PendingMessage& m : *batch) {
      if (stop_) break;
      const int64_t now = NowMs();
      if (m.next_attempt_ms > now) {
        wait = std::min<milliseconds>(milliseconds(m.next_attempt_ms - now), kIdlePoll * 4);
        break;
      }
      Status settled = Status::Ok();
      auto event = ParseFindingEvent(m.payload);
      if (!event) {
        metrics_.CountFailed(name_, "malformed");
        metrics_.CountDropped(name_, "malformed");
        log_.warn("sink.dropped", name_, "message " + std::to_string(m.id) + ": " + event.error().message());
        settled = outbox.Drop(m.id, now / 1000, "malformed: " + event.error().message());
      } else {
        SendResult r = sink_->Send(*event, stop_);
        if (stop_ && r.outcome == SendResult::Outcome::kRetry) break;  // aborted: stays as it was
        const std::string error = r.error.substr(0, kMaxErrorText);
        switch (r.outcome) {
          case SendResult::Outcome::kDelivered:
            settled = outbox.MarkDelivered(m.id, NowMs() / 1000);
            if (settled.ok()) metrics_.CountSent(name_);
            break;
          case SendResult::Outcome::kDrop:
            metrics_.CountFailed(name_, r.reason);
            metrics_.CountDropped(name_, r.reason);
            log_.warn("sink.dropped", name_, "event " + event->EventId() + " (" + event->key + "): " + error);
            settled = outbox.Drop(m.id, NowMs() / 1000, r.reason + ": " + error);
            break;
          case SendResult::Outcome::kRetry: {
            metrics_.CountFailed(name_, r.reason);
            metrics_.CountRetry(name_);
            const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
            const milliseconds delay =
                r.retry_after ? *r.retry_after : BackoffDelay(sink_->backoff(), m.attempts + 1, unit);
            settled = outbox.ScheduleRetry(m.id, NowMs() + delay.count(), r.reason + ": " + error);
            if (m.attempts == 0 || (m.attempts + 1) % 10 == 0) {
              log_.warn("sink.retry", name_,
                        "attempt " + std::to_string(m.attempts + 1) + " failed (" + error + "); next in " +
                            std::to_string(delay.count()) + " ms");
            }
            break;
          }
        }
        if (r.outcome == SendResult::Outcome::kRetry) {
          if (!settled.ok()) log_.warn("sink.store_error", name_, settled.error().ToString());
          break;  // the head of the queue waits; nothing behind it overtakes
        }
      }
      if (!settled.ok()) {
        // The sink has it but the store does not know: it is sent again later (at least once).
        log_.warn("sink.store_error", name_, settled.error().ToString());
        store.reset();
        wait = kStoreRetry;
        break;
      }
    }
    if (wait.count() > 0) Sleep(wait);
  }
}

}  // namespace imawatch::sinks
