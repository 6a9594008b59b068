#include "common/worker_pool.h"

#include <cstdio>
#include <exception>
#include <memory>
#include <system_error>
#include <thread>

namespace sqlguard::common {

WorkerPool::WorkerPool(Options options) : options_(options) {}

WorkerPool::~WorkerPool() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  cv_.notify_all();
  exited_.wait(lock, [&] { return threads_ == 0; });
}

WorkerPool& WorkerPool::shared() {
  static WorkerPool* pool = new WorkerPool();  // intentionally never destroyed
  return *pool;
}

bool WorkerPool::submit(Task task) {
  std::unique_lock lock(mu_);
  if (stopping_) return false;
  // An idle worker for every queued task: hand it over.
  if (idle_ > queue_.size()) {
    queue_.push_back(std::move(task));
    cv_.notify_one();
    return true;
  }
  if (threads_ >= options_.max_threads) return false;
  auto holder = std::make_shared<Task>(std::move(task));
  try {
    std::thread([this, holder] { run(std::move(*holder)); }).detach();
  } catch (const std::system_error&) {
    return false;
  }
  ++threads_;
  return true;
}

void WorkerPool::run(Task first) {
  auto call = [](Task& t) {
    try {
      t();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "worker pool: a task threw: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "worker pool: a task threw a non-standard exception\n");
    }
  };
  call(first);
  first = nullptr;
  std::unique_lock lock(mu_);
  for (;;) {
    ++idle_;
    const bool woken =
        cv_.wait_for(lock, options_.idle_timeout, [&] { return stopping_ || !queue_.empty(); });
    --idle_;
    if (!queue_.empty()) {
      Task t = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      call(t);
      t = nullptr;
      lock.lock();
      continue;
    }
    if (stopping_ || (!woken && threads_ > options_.min_threads)) break;
  }
  --threads_;
  exited_.notify_all();
}

std::size_t WorkerPool::threads() const {
  std::lock_guard lock(mu_);
  return threads_;
}

std::size_t WorkerPool::idle() const {
  std::lock_guard lock(mu_);
  return idle_;
}

}  // namespace sqlguard::common
