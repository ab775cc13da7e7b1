#include "monitor/base/worker_pool.h"

#include <algorithm>

namespace imawatch {

WorkerPool::WorkerPool(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this, i] { Work(i); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  start_.notify_all();
  for (auto& t : workers_) t.join();
}

void WorkerPool::Work(size_t slot) {
  uint64_t seen = 0;
  for (;;) {
    std::unique_lock lock(mu_);
    start_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    const auto* job = job_;
    size_t n = job_size_, parts = size();
    lock.unlock();
    size_t begin = n * slot / parts, end = n * (slot + 1) / parts;
    if (begin < end) (*job)(begin, end);
    lock.lock();
    if (--pending_ == 0) done_.notify_one();
  }
}

void WorkerPool::ParallelFor(size_t n, const std::function<void(size_t, size_t)>& fn) {
  if (workers_.empty() || n < 2 * size()) {
    if (n > 0) fn(0, n);
    return;
  }
  {
    std::lock_guard lock(mu_);
    job_ = &fn;
    job_size_ = n;
    pending_ = workers_.size();
    ++generation_;
  }
  start_.notify_all();
  fn(0, n / size());
  std::unique_lock lock(mu_);
  done_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
}

}  // namespace imawatch
