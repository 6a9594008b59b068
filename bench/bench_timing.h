// Timing for the end-to-end benchmarks (bench_http, bench_mysql): calls spread over worker
// threads released together, each call's latency in µs, and percentiles of them.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <latch>
#include <thread>
#include <vector>

namespace sqlguard::bench {

/// What one or more run() calls measured.
struct Run {
  std::vector<double> latencies_us;  ///< one per call, µs
  double wall_s = 0;                 ///< seconds from release to the last worker's end
  std::size_t calls = 0;
  bool ok = true;  ///< every call returned true
};

/// Runs `calls` calls split over `threads` workers (worker w's call k is `fn(w, w * per + k)`),
/// all released together; adds each call's latency and the wall time to `into`.
inline void run(Run& into, int threads, int calls, const std::function<bool(int worker, int k)>& fn) {
  using Clock = std::chrono::steady_clock;
  const int per = calls / threads;
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(threads));
  std::atomic<bool> ok{true};
  std::latch go(threads + 1);
  std::vector<std::thread> pool;
  for (int w = 0; w < threads; ++w) {
    pool.emplace_back([&, w] {
      auto& mine = lat[static_cast<std::size_t>(w)];
      mine.reserve(static_cast<std::size_t>(per));
      go.arrive_and_wait();
      for (int k = 0; k < per; ++k) {
        const auto t0 = Clock::now();
        if (!fn(w, w * per + k)) ok = false;
        mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
    });
  }
  go.arrive_and_wait();
  const auto t0 = Clock::now();
  for (auto& t : pool) t.join();
  into.wall_s += std::chrono::duration<double>(Clock::now() - t0).count();
  into.calls += static_cast<std::size_t>(per * threads);
  for (auto& l : lat) into.latencies_us.insert(into.latencies_us.end(), l.begin(), l.end());
  into.ok = into.ok && ok;
}

/// The `p`th percentile (0..100, nearest rank) of `v`, which must not be empty.
inline double percentile(std::vector<double> v, int p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, v.size() * static_cast<std::size_t>(p) / 100)];
}

}  // namespace sqlguard::bench
