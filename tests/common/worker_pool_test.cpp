#include "common/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <set>
#include <thread>

namespace sqlguard::common {
namespace {

using namespace std::chrono_literals;

// Waits (up to 5 s) until `pred` holds.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

TEST(WorkerPool, SequentialTasksReuseOneWorker) {
  WorkerPool pool(WorkerPool::Options{.min_threads = 2, .max_threads = 8, .idle_timeout = 10s});
  std::mutex mu;
  std::set<std::thread::id> ids;
  for (int i = 0; i < 50; ++i) {
    std::latch done(1);
    ASSERT_TRUE(pool.submit([&] {
      std::lock_guard lock(mu);
      ids.insert(std::this_thread::get_id());
      done.count_down();
    }));
    done.wait();
    ASSERT_TRUE(eventually([&] { return pool.idle() == pool.threads(); }));
  }
  EXPECT_EQ(ids.size(), 1u);  // no thread per task
  EXPECT_EQ(pool.threads(), 1u);
}

TEST(WorkerPool, BlockedTasksNeverDelayANewOne) {
  WorkerPool pool(WorkerPool::Options{.min_threads = 1, .max_threads = 8, .idle_timeout = 10s});
  std::latch release(1);
  std::atomic<int> blocked{0};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pool.submit([&] {
      ++blocked;
      release.wait();
    }));
  }
  ASSERT_TRUE(eventually([&] { return blocked == 3; }));
  // Three workers are blocked (e.g. waiting for approvals): a fourth task still runs at once.
  std::latch ran(1);
  ASSERT_TRUE(pool.submit([&] { ran.count_down(); }));
  EXPECT_TRUE(ran.try_wait() || (std::this_thread::sleep_for(1s), ran.try_wait()));
  EXPECT_EQ(pool.threads(), 4u);
  release.count_down();
}

TEST(WorkerPool, RefusesBeyondMaxThreadsAndRecovers) {
  WorkerPool pool(WorkerPool::Options{.min_threads = 0, .max_threads = 2, .idle_timeout = 10s});
  std::latch release(1);
  ASSERT_TRUE(pool.submit([&] { release.wait(); }));
  ASSERT_TRUE(pool.submit([&] { release.wait(); }));
  bool ran = false;
  EXPECT_FALSE(pool.submit([&] { ran = true; }));
  release.count_down();
  ASSERT_TRUE(eventually([&] { return pool.idle() == 2; }));
  std::latch done(1);
  EXPECT_TRUE(pool.submit([&] { done.count_down(); }));
  done.wait();
  EXPECT_FALSE(ran);
}

TEST(WorkerPool, IdleWorkersAboveTheMinimumExit) {
  WorkerPool pool(WorkerPool::Options{.min_threads = 1, .max_threads = 8, .idle_timeout = 50ms});
  std::latch release(1);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(pool.submit([&] { release.wait(); }));
  ASSERT_TRUE(eventually([&] { return pool.threads() == 4; }));
  release.count_down();
  EXPECT_TRUE(eventually([&] { return pool.threads() == 1; }));
}

TEST(WorkerPool, ATaskThatThrowsDoesNotStopItsWorker) {
  WorkerPool pool(WorkerPool::Options{.min_threads = 1, .max_threads = 1, .idle_timeout = 10s});
  ASSERT_TRUE(pool.submit([] { throw std::runtime_error("boom"); }));
  ASSERT_TRUE(eventually([&] { return pool.idle() == 1; }));
  std::latch done(1);
  ASSERT_TRUE(pool.submit([&] { done.count_down(); }));
  done.wait();
  EXPECT_EQ(pool.threads(), 1u);
}

TEST(WorkerPool, DestructionWaitsForRunningTasks) {
  std::atomic<bool> finished{false};
  {
    WorkerPool pool;
    ASSERT_TRUE(pool.submit([&] {
      std::this_thread::sleep_for(100ms);
      finished = true;
    }));
  }
  EXPECT_TRUE(finished);
}

}  // namespace
}  // namespace sqlguard::common
