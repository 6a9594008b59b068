// Audit log write throughput and latency: durable records per second with group commit
// (AuditLog, appended and preallocated segments) under 1, 8 and 32 concurrent writers, p50/p99 append latency
// (µs, from append() call to return = record on disk), against a plain write()+fdatasync()-per-record
// baseline measured in the same run on the same file system.
//
// Usage: bench_audit [DIR] [SECONDS_PER_RUN] [CHECKPOINT_EVERY_RECORDS]
//        (defaults: $TMPDIR or /var/tmp, 2.5 s, 1000 — the AuditLogOptions default)
// Plain timers; no Google Benchmark needed. Total runtime ≈ 9 × SECONDS_PER_RUN + setup.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "recorder/audit_log.h"
#include "recorder/jcs.h"
#include "recorder/key_file.h"
#include "recorder/merkle.h"

namespace {

namespace fs = std::filesystem;
namespace rec = sqlguard::recorder;
using Clock = std::chrono::steady_clock;

nlohmann::json sample_event(int writer, uint64_t i) {
  return {
      {"type", "call.intent"},
      {"session", "7f1c2a9e-4b1d-4e5a-9c3e-2b6f0d8a1e77"},
      {"call", std::to_string(writer) + "-" + std::to_string(i)},
      {"tool", "run_sql"},
      {"principal",
       {{"subject", "alice@example.com"},
        {"issuer", "https://idp.example.com"},
        {"groups", {"analysts"}},
        {"auth", "oidc"},
        {"client", {{"name", "claude-code"}, {"version", "2.1.0"}}}}},
      {"transport", "http"},
      {"statement",
       {{"text", "SELECT id, total FROM shop.orders WHERE customer_id = 42"},
        {"sha256", "qcNbrSpmIQw5nZbakwbOgEpkLDKD7FlUegMh7hEE2gM="},
        {"kind", "select"},
        {"tables", {"shop.orders"}}}},
      {"decision", {{"action", "allow"}, {"rule", "read-orders"}, {"reason", "analysts may read orders"}}}};
}

struct Result {
  double records_per_s = 0;
  double p50_us = 0, p99_us = 0;
  uint64_t records = 0;
};

Result summarize(std::vector<std::vector<double>>& per_thread, double seconds) {
  std::vector<double> all;
  for (auto& v : per_thread) all.insert(all.end(), v.begin(), v.end());
  Result r;
  r.records = all.size();
  r.records_per_s = static_cast<double>(all.size()) / seconds;
  if (!all.empty()) {
    std::sort(all.begin(), all.end());
    r.p50_us = all[all.size() / 2];
    r.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return r;
}

template <class AppendFn>
Result run_writers(int writers, double seconds, AppendFn append) {
  std::vector<std::vector<double>> lat(static_cast<size_t>(writers));
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      auto& mine = lat[static_cast<size_t>(w)];
      mine.reserve(1 << 16);
      for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        auto t0 = Clock::now();
        if (!append(w, i)) {
          std::fprintf(stderr, "append failed\n");
          std::exit(1);
        }
        mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return summarize(lat, elapsed);
}

}  // namespace

int main(int argc, char** argv) {
  const char* tmp = std::getenv("TMPDIR");
  fs::path base = argc > 1 ? fs::path(argv[1]) : fs::path(tmp != nullptr ? tmp : "/var/tmp");
  double seconds = argc > 2 ? std::atof(argv[2]) : 2.5;
  uint64_t checkpoint_every = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1000;
  fs::path root = base / ("sqlguard-bench-audit-" + std::to_string(::getpid()));
  fs::create_directories(root);
  auto keys = rec::write_key_pair("bench.example/audit", root / "key");
  if (!keys) {
    std::fprintf(stderr, "%s\n", keys.error().message.c_str());
    return 1;
  }

  // CPU cost per record outside the fsync: JCS + SHA-256 leaf hash.
  {
    auto ev = sample_event(0, 0);
    const int n = 100000;
    auto t0 = Clock::now();
    size_t bytes = 0;
    for (int i = 0; i < n; ++i) {
      ev["call"] = std::to_string(i);
      auto line = rec::canonicalize(ev).value();
      bytes += line.size();
      (void)rec::leaf_hash(line);
    }
    double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n;
    std::printf("JCS + SHA-256 leaf hash: %.2f us per record (%zu-byte payload)\n\n", us, bytes / n);
  }

  std::printf(
      "Durable appends (fdatasync before return), %.1f s per run, signed checkpoint every %llu records, dir "
      "%s\n\n",
      seconds, static_cast<unsigned long long>(checkpoint_every), root.c_str());
  std::printf("| writers | mode | records/s | p50 us | p99 us | records |\n");
  std::printf("|---:|---|---:|---:|---:|---:|\n");
  for (int writers : {1, 8, 32}) {
    // Group commit through AuditLog (signed checkpoints every `checkpoint_every` records), with
    // appended segments (the default) and with 1 MiB preallocated ahead of the writer.
    for (uint64_t preallocate : {uint64_t{0}, uint64_t{1} << 20}) {
      rec::AuditLogOptions o;
      o.dir = root / ("group-" + std::to_string(writers) + "-" + std::to_string(preallocate));
      o.origin = "bench.example/audit";
      o.signing_key_file = keys->private_key;
      o.checkpoint_every_records = checkpoint_every;
      o.preallocate_bytes = preallocate;
      auto log = rec::AuditLog::open(o);
      if (!log) {
        std::fprintf(stderr, "%s\n", log.error().message.c_str());
        return 1;
      }
      if (preallocate > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));  // first step
      auto r = run_writers(writers, seconds,
                           [&](int w, uint64_t i) { return (*log)->append(sample_event(w, i)).has_value(); });
      std::printf("| %d | group commit (AuditLog)%s | %.0f | %.0f | %.0f | %llu |\n", writers,
                  preallocate > 0 ? ", preallocate_bytes 1 MiB" : "", r.records_per_s, r.p50_us, r.p99_us,
                  static_cast<unsigned long long>(r.records));
      std::fflush(stdout);
    }
    // Baseline: one write() + fdatasync() per record, serialized by a mutex (same record bytes).
    {
      fs::path file = root / ("baseline-" + std::to_string(writers) + ".jsonl");
      int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
      std::mutex mu;
      auto r = run_writers(writers, seconds, [&](int w, uint64_t i) {
        std::string line = rec::canonicalize(sample_event(w, i)).value() + "\n";
        std::lock_guard lock(mu);
        return ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
               ::fdatasync(fd) == 0;
      });
      ::close(fd);
      std::printf("| %d | fdatasync per record (baseline) | %.0f | %.0f | %.0f | %llu |\n", writers,
                  r.records_per_s, r.p50_us, r.p99_us, static_cast<unsigned long long>(r.records));
      std::fflush(stdout);
    }
  }
  std::error_code ec;
  fs::remove_all(root, ec);
  return 0;
}
