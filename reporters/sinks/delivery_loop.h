// Delivers one sink's outbox on a thread of its own, so a slow or dead receiver never stalls
// proving. Strictly in outbox order: while the oldest message waits for its retry, the ones
// behind it wait too (so a finding's events arrive in order). A message leaves the outbox only
// when the sink confirmed it or it was dropped for a reason no retry can fix. doc/sinks.md.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "reporters/sinks/sink.h"
#include "reporters/sinks/sink_metrics.h"

namespace imawatch::sinks {

struct DeliveryLog {
  // Called from the delivery thread: event names like "sink.retry", with fields.
  std::function<void(const std::string& event, const std::string& sink, const std::string& detail)> warn;
};

class DeliveryLoop {
 public:
  DeliveryLoop(std::string sink_name, std::unique_ptr<Sink> sink, std::string store_path,
               SinkMetrics& metrics, DeliveryLog log);
  ~DeliveryLoop();  // Stop()
  DeliveryLoop(const DeliveryLoop&) = delete;
  DeliveryLoop& operator=(const DeliveryLoop&) = delete;

  void Start();
  // Wakes the loop: new messages were committed.
  void Notify();
  // Ends the thread after the attempt under way (which is aborted if it can be); whatever is
  // not confirmed stays in the outbox for the next start.
  void Stop();

 private:
  void Run();
  // Waits up to `wait` or until notified or stopped.
  void Sleep(std::chrono::milliseconds wait);

  std::string name_;
  std::unique_ptr<Sink> sink_;
  std::string store_path_;
  SinkMetrics& metrics_;
  DeliveryLog log_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool notified_ = false;
  std::thread thread_;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace imawatch::sinks
