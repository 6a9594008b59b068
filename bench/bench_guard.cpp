// Guard overhead: a point SELECT run directly on MariaDB Connector/C versus the same statement
// through Guard::run_sql (analyse, decide, mask plan, durable intent record, execute in a
// read-only transaction, mask, durable outcome record, connection reset), in one run against a
// private MariaDB over its unix socket; the guard runs with its audit log on disk (appended
// segments, the default), on disk with preallocated segments, on disk with audit.durability:
// intent, and on tmpfs (no device flush), interleaved in rounds.
//
//   build/bench_guard [--iterations N] [--no-fsync-baseline]
// Prints medians and p99 in µs, and the ratio guard/direct. Needs MariaDB installed
// (scripts/setup); starts and stops its own server via scripts/provision-db.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/bench_database.h"
#include "db/mariadb_connection.h"
#include "server/cli/app.h"
#include "server/config/config.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Stats {
  double p50 = 0, p99 = 0, mean = 0;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  Stats s;
  s.p50 = v[v.size() / 2];
  s.p99 = v[std::min(v.size() - 1, v.size() * 99 / 100)];
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  return s;
}

template <class F>
std::vector<double> time_each(int n, F&& f) {
  std::vector<double> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    f(i);
    out.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 2000;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--iterations" && i + 1 < argc) iterations = std::atoi(argv[++i]);
  }
  auto db = sqlguard::bench::BenchDatabase::start("guard");
  if (!db) return 1;
  auto config = db->config();
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 1;
  }
  // One pipeline per audit configuration, each with its own log. Exits on a failed start.
  auto make_app = [&](const sqlguard::server::Config& c) {
    auto made = sqlguard::server::App::create(c);
    if (!made) {
      std::fprintf(stderr, "%s\n", made.error().message.c_str());
      std::exit(1);
    }
    return std::move(*made);
  };
  auto app = make_app(*config);

  // The same pipeline with its audit log on a RAM disk: separates the guard's own work from the
  // cost of fdatasync on this machine's disk.
  auto shm_config = *config;
  const fs::path shm_dir = fs::path("/dev/shm") / ("sg-bench-audit-" + std::to_string(::getpid()));
  shm_config.audit.log.dir = shm_dir;
  auto shm_app = make_app(shm_config);

  // The same on disk with preallocated segments (audit.preallocate_bytes 1 MiB): fdatasync then
  // flushes data without a file-size change.
  auto pre_config = *config;
  pre_config.audit.log.dir = config->audit.log.dir.parent_path() / "audit-preallocated";
  pre_config.audit.log.preallocate_bytes = 1 << 20;
  auto pre_app = make_app(pre_config);

  // And with audit.durability: intent (one durable record per call; the outcome is carried by
  // the next call's intent).
  auto int_config = *config;
  int_config.audit.log.dir = config->audit.log.dir.parent_path() / "audit-intent";
  int_config.audit.strict_durability = false;
  auto int_app = make_app(int_config);

  auto direct = sqlguard::db::MariaDbConnection::open(db->direct_endpoint(*config));
  if (!direct) {
    std::fprintf(stderr, "direct connect failed: %s\n", direct.error().message.c_str());
    return 1;
  }

  auto sql_for = [](int i) {
    return "SELECT id, name, email, city FROM customers WHERE id = " + std::to_string(1 + i % 12);
  };
  sqlguard::guard::CallInfo call;
  call.principal = config->stdio_principal;
  call.session_id = "bench";
  call.tool = "run_sql";
  bool ok = true;
  // Warm up both paths (connections, catalog cache, page cache).
  for (int i = 0; i < 200; ++i) {
    ok = ok && (*direct)->query(sql_for(i)).has_value();
    ok = ok && app->guard().run_sql(call, sql_for(i), std::nullopt).has_value();
    ok = ok && shm_app->guard().run_sql(call, sql_for(i), std::nullopt).has_value();
    ok = ok && pre_app->guard().run_sql(call, sql_for(i), std::nullopt).has_value();
    ok = ok && int_app->guard().run_sql(call, sql_for(i), std::nullopt).has_value();
  }
  if (!ok) {
    std::fprintf(stderr, "warm-up failed\n");
    return 1;
  }
  // Interleave rounds so both paths see the same machine state.
  std::vector<double> d_all, g_all, m_all, p_all, i_all;
  for (int round = 0; round < 4; ++round) {
    auto d = time_each(iterations / 4, [&](int i) { ok = (*direct)->query(sql_for(i)).has_value() && ok; });
    auto g = time_each(iterations / 4, [&](int i) {
      ok = app->guard().run_sql(call, sql_for(i), std::nullopt).has_value() && ok;
    });
    auto m = time_each(iterations / 4, [&](int i) {
      ok = shm_app->guard().run_sql(call, sql_for(i), std::nullopt).has_value() && ok;
    });
    auto p = time_each(iterations / 4, [&](int i) {
      ok = pre_app->guard().run_sql(call, sql_for(i), std::nullopt).has_value() && ok;
    });
    p_all.insert(p_all.end(), p.begin(), p.end());
    auto in = time_each(iterations / 4, [&](int i) {
      ok = int_app->guard().run_sql(call, sql_for(i), std::nullopt).has_value() && ok;
    });
    i_all.insert(i_all.end(), in.begin(), in.end());
    d_all.insert(d_all.end(), d.begin(), d.end());
    g_all.insert(g_all.end(), g.begin(), g.end());
    m_all.insert(m_all.end(), m.begin(), m.end());
  }
  // The guard's own CPU work without the durable audit append: the same pipeline, measured as
  // the difference of medians is dominated by fdatasync; report the audit append alone too.
  std::vector<double> a_all = time_each(iterations / 4, [&](int i) {
    ok = app->audit().append({{"type", "bench"}, {"i", i}}).has_value() && ok;
  });
  std::vector<double> a2_all = time_each(iterations / 4, [&](int i) {
    ok = app->audit().append({{"type", "bench"}, {"i", i}}).has_value() && ok;
    ok = app->audit().append({{"type", "bench"}, {"i", i}}).has_value() && ok;
  });
  std::vector<double> aqa_all = time_each(iterations / 4, [&](int i) {
    ok = app->audit().append({{"type", "bench"}, {"i", i}}).has_value() && ok;
    ok = (*direct)->query(sql_for(i)).has_value() && ok;
    ok = app->audit().append({{"type", "bench"}, {"i", i}}).has_value() && ok;
  });
  std::vector<double> pqp_all = time_each(iterations / 4, [&](int i) {
    ok = pre_app->audit().append({{"type", "bench"}, {"i", i}}).has_value() && ok;
    ok = (*direct)->query(sql_for(i)).has_value() && ok;
    ok = pre_app->audit().append({{"type", "bench"}, {"i", i}}).has_value() && ok;
  });
  const Stats d = stats(d_all), g = stats(g_all), a = stats(a_all), m = stats(m_all), p = stats(p_all),
              in = stats(i_all);
  std::printf("bench_guard: %d iterations each, point SELECT over a unix socket, MariaDB %s\n", iterations,
              "(private sandbox)");
  std::printf("%-34s %10s %10s %10s\n", "path", "p50 µs", "p99 µs", "mean µs");
  std::printf("%-34s %10.1f %10.1f %10.1f\n", "direct (Connector/C, no guard)", d.p50, d.p99, d.mean);
  std::printf("%-34s %10.1f %10.1f %10.1f\n", "guard run_sql (2 durable records)", g.p50, g.p99, g.mean);
  std::printf("%-34s %10.1f %10.1f %10.1f\n", "guard run_sql, preallocated audit", p.p50, p.p99, p.mean);
  std::printf("%-34s %10.1f %10.1f %10.1f\n", "guard run_sql, durability intent", in.p50, in.p99, in.mean);
  std::printf("%-34s %10.1f %10.1f %10.1f\n", "guard run_sql, audit on tmpfs", m.p50, m.p99, m.mean);
  std::printf("%-34s %10.1f %10.1f %10.1f\n", "one durable audit append alone", a.p50, a.p99, a.mean);
  std::printf("ratio guard/direct (p50): %.2fx on disk, %.2fx with the audit log on tmpfs\n", g.p50 / d.p50,
              m.p50 / d.p50);
  std::printf(
      "guard overhead p50: %.1f µs on disk (two fdatasync ≈ %.1f µs), %.1f µs with the audit log on tmpfs\n",
      g.p50 - d.p50, 2 * a.p50, m.p50 - d.p50);
  app.reset();
  shm_app.reset();
  pre_app.reset();
  int_app.reset();
  direct->reset();
  fs::remove_all(shm_dir);
  return ok ? 0 : 1;
}
