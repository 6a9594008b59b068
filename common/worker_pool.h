// A cached pool of worker threads for tool calls: a call runs on an idle worker when there is
// one, on a new worker otherwise (calls may block for long, e.g. waiting for an approval, so the
// pool never queues a call behind another); workers idle beyond `idle_timeout` exit down to
// `min_threads`. In steady state no thread is created per call.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace sqlguard::common {

class WorkerPool {
 public:
  using Task = std::move_only_function<void()>;

  struct Options {
    std::size_t min_threads = 4;                    ///< idle workers kept without timeout
    std::size_t max_threads = 1024;                 ///< submit() refuses beyond this many running tasks
    std::chrono::milliseconds idle_timeout{30000};  ///< an idle worker above min_threads exits after this
  };

  explicit WorkerPool(Options options);
  WorkerPool() : WorkerPool(Options{}) {}
  /// Waits until every worker has exited (running tasks first finish; idle workers stop).
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// The process-wide pool the MCP sessions use. Never destroyed (its workers may still run a
  /// call when the process exits).
  static WorkerPool& shared();

  /// Runs `task` on an idle worker, or on a new one. false (and `task` is dropped unrun): every
  /// one of max_threads workers is busy, or the system cannot create a thread. A task that throws
  /// is logged to stderr and does not stop its worker.
  bool submit(Task task);

  /// Workers alive (busy + idle), and idle ones.
  std::size_t threads() const;
  std::size_t idle() const;

 private:
  void run(Task first);

  Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable exited_;
  std::deque<Task> queue_;
  std::size_t threads_ = 0;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace sqlguard::common
