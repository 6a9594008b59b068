// Statements analysed and decided per second on one core (StatementAnalyzer + PolicyEngine),
// over typical 50-300 byte agent statements. Plain timers; prints the median of several runs.
//
// Run: ./build/bench/bench_policy [seconds-per-run=1] [runs=7]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <time.h>

#include "policy/policy_engine.h"
#include "policy/statement_analyzer.h"

namespace {

using sqlguard::policy::Action;
using sqlguard::policy::PolicyConfig;
using sqlguard::policy::PolicyEngine;
using sqlguard::policy::PolicyRule;
using sqlguard::policy::Principal;
using sqlguard::policy::StatementAnalyzer;

// CPU time of this thread in seconds: the machine may be shared, and the figure we want is
// throughput per core, not per wall-clock second.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

const std::vector<std::string>& statements() {
  static const std::vector<std::string> s = {
      "SELECT id, name, email FROM customers WHERE id = 42",
      "SELECT c.name, SUM(o.total) AS spent FROM customers c JOIN orders o ON o.customer_id = "
      "c.id WHERE o.created_at >= NOW() - INTERVAL 30 DAY GROUP BY c.name ORDER BY spent DESC "
      "LIMIT 10",
      "SELECT status, COUNT(*) FROM orders GROUP BY status",
      "WITH recent AS (SELECT * FROM orders WHERE total > 10) SELECT customer_id, COUNT(*) FROM "
      "recent GROUP BY customer_id",
      "SELECT name, ROW_NUMBER() OVER (PARTITION BY city ORDER BY created_at) AS rn FROM "
      "customers WHERE city IN ('Berlin', 'Paris', 'Rome')",
      "UPDATE orders SET status = 'shipped' WHERE id = 7",
      "INSERT INTO orders (id, customer_id, total) VALUES (1, 2, 9.5)",
      "SELECT * FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = "
      "c.id AND o.total > 100) -- big spenders",
      "SELECT name FROM customers WHERE name LIKE 'O\\'Br%' /* note */ ORDER BY name",
      "SELECT 1; DROP TABLE customers",
  };
  return s;
}

PolicyConfig config() {
  PolicyConfig c;
  PolicyRule deny;
  deny.id = "secrets";
  deny.action = Action::kDeny;
  deny.tables = {"*.secrets"};
  c.rules.push_back(deny);
  PolicyRule read;
  read.id = "read";
  read.action = Action::kAllow;
  read.principals.groups = {"analysts"};
  read.kinds = {"select", "show", "describe"};
  read.tables = {"shop.*"};
  c.rules.push_back(read);
  PolicyRule write;
  write.id = "write";
  write.action = Action::kApprove;
  write.principals.groups = {"analysts"};
  write.kinds = {"insert", "update", "delete"};
  write.tables = {"shop.orders"};
  write.approver_groups = {"dba"};
  c.rules.push_back(write);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 7;
  const StatementAnalyzer analyzer;
  const PolicyEngine engine(config());
  Principal p;
  p.subject = "agent";
  p.groups = {"analysts"};
  const auto& stmts = statements();
  std::size_t bytes = 0;
  for (const auto& s : stmts) bytes += s.size();
  std::printf("bench_policy: %zu statements, mean %zu bytes\n", stmts.size(), bytes / stmts.size());
  std::vector<double> rates;
  std::size_t sink = 0;
  for (int r = 0; r < runs; ++r) {
    std::size_t n = 0;
    const double cpu_start = thread_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    auto now = start;
    do {
      for (int k = 0; k < 100; ++k) {
        for (const auto& s : stmts) {
          const auto a = analyzer.analyze(s, "shop");
          const auto d = engine.decide(p, a);
          sink += static_cast<std::size_t>(d.action) + a.columns.size();
          ++n;
        }
      }
      now = std::chrono::steady_clock::now();
    } while (std::chrono::duration<double>(now - start).count() < seconds);
    const double wall = std::chrono::duration<double>(now - start).count();
    const double cpu = thread_cpu_seconds() - cpu_start;
    rates.push_back(static_cast<double>(n) / cpu);
    std::printf("run %d: %.0f statements/s per CPU-second (%.2f us/statement; wall %.0f/s)\n", r + 1,
                rates.back(), 1e6 / rates.back(), static_cast<double>(n) / wall);
  }
  std::sort(rates.begin(), rates.end());
  const double median = rates[rates.size() / 2];
  std::printf("median: %.0f statements/s analysed+decided per core (%.2f us/statement) [sink %zu]\n", median,
              1e6 / median, sink % 10);
  return 0;
}
