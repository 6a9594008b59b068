// Tool calls over MCP Streamable HTTP versus the same point SELECT run directly on MariaDB
// Connector/C, in one run against a private MariaDB (scripts/provision-db) over its unix socket.
//
//   build/bench_http [--iterations N]
//
// sqlguard runs in-process: App + HttpTransport on 127.0.0.1 (port 0), twice — once with the
// audit log on the real disk, once on /dev/shm (tmpfs) — so the cost of the two durable audit
// records per call (write + fdatasync each) is visible. Each HTTP client is an httplib::Client
// with keep-alive that does initialize + notifications/initialized, then tools/call run_sql
// `SELECT id, name, city FROM customers WHERE id = <1..12>` (JSON responses). The direct path
// runs the same statement on one db::Connection per thread. 1 and 16 concurrent clients /
// threads; N calls per configuration in total (default 3000), in two interleaved rounds.
// Prints calls/s (total calls / wall time) and per-call p50/p99 latency in µs.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "bench/bench_database.h"
#include "bench/bench_timing.h"
#include "db/mariadb_connection.h"
#include "server/cli/app.h"
#include "server/config/config.h"
#include "server/mcp/http_transport.h"

#include <httplib.h>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

std::string sql_for(int i) {
  return "SELECT id, name, city FROM customers WHERE id = " + std::to_string(1 + i % 12);
}

// One MCP client over Streamable HTTP: its own keep-alive connection and session.
class McpHttpClient {
 public:
  explicit McpHttpClient(int port) : http_("127.0.0.1", port) {
    http_.set_keep_alive(true);
    http_.set_tcp_nodelay(true);
    http_.set_read_timeout(60, 0);
  }

  bool initialize() {
    const json init = {{"jsonrpc", "2.0"},
                       {"id", 0},
                       {"method", "initialize"},
                       {"params",
                        {{"protocolVersion", "2025-11-25"},
                         {"capabilities", json::object()},
                         {"clientInfo", {{"name", "bench_http"}, {"version", "1"}}}}}};
    auto res = http_.Post("/mcp", {{"Accept", "application/json, text/event-stream"}}, init.dump(),
                          "application/json");
    if (!res || res->status != 200) return false;
    session_ = res->get_header_value("Mcp-Session-Id");
    headers_ = {{"Accept", "application/json, text/event-stream"},
                {"Mcp-Session-Id", session_},
                {"MCP-Protocol-Version", "2025-11-25"}};
    auto note = http_.Post("/mcp", headers_, R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
                           "application/json");
    return note && note->status == 202;
  }

  // One tools/call run_sql; true when it returned rows.
  bool call(int i) {
    const json body = {{"jsonrpc", "2.0"},
                       {"id", ++id_},
                       {"method", "tools/call"},
                       {"params", {{"name", "run_sql"}, {"arguments", {{"sql", sql_for(i)}}}}}};
    auto res = http_.Post("/mcp", headers_, body.dump(), "application/json");
    return res && res->status == 200 && res->body.find("\"isError\":true") == std::string::npos &&
           res->body.find("\"result\"") != std::string::npos;
  }

 private:
  httplib::Client http_;
  httplib::Headers headers_;
  std::string session_;
  int id_ = 0;
};

using sqlguard::bench::percentile;
using sqlguard::bench::Run;
using sqlguard::bench::run;

struct Served {
  std::unique_ptr<sqlguard::server::App> app;
  std::unique_ptr<sqlguard::server::HttpTransport> transport;
  int port = 0;
};

std::optional<Served> serve(const sqlguard::server::Config& config) {
  auto app = sqlguard::server::App::create(config);
  if (!app) {
    std::fprintf(stderr, "bench_http: %s\n", app.error().message.c_str());
    return std::nullopt;
  }
  Served s;
  s.app = std::move(*app);
  sqlguard::server::HttpOptions http;
  http.port = 0;
  sqlguard::policy::Principal anonymous = config.stdio_principal;
  anonymous.auth_method = "loopback";
  s.transport = std::make_unique<sqlguard::server::HttpTransport>(
      s.app->tools(), &s.app->session_observer(), nullptr, anonymous, sqlguard::server::ServerOptions{}, http,
      sqlguard::server::HealthCheck{});
  auto port = s.transport->start();
  if (!port) {
    std::fprintf(stderr, "bench_http: %s\n", port.error().message.c_str());
    return std::nullopt;
  }
  s.port = *port;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 3000;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--iterations" && i + 1 < argc) iterations = std::atoi(argv[++i]);
  }
  iterations = std::max(iterations, 64);
  spdlog::set_level(spdlog::level::warn);  // no per-session log lines in the timings
  auto db = sqlguard::bench::BenchDatabase::start("http");
  if (!db) return 1;
  const fs::path shm_dir = fs::path("/dev/shm") / ("sg-bench-http-audit-" + std::to_string(::getpid()));
  auto cleanup = [&] { fs::remove_all(shm_dir); };

  auto config = db->config(", pool: {max_connections: 20}");
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    cleanup();
    return 1;
  }
  auto shm_config = *config;
  shm_config.audit.log.dir = shm_dir;

  int rc = 0;
  {
    auto disk = serve(*config);
    auto shm = serve(shm_config);
    if (!disk || !shm) {
      cleanup();
      return 1;
    }

    const sqlguard::db::DatabaseEndpoint ep = db->direct_endpoint(*config);
    constexpr int kMaxThreads = 16;
    std::vector<std::unique_ptr<sqlguard::db::Connection>> direct;
    for (int i = 0; i < kMaxThreads; ++i) {
      auto c = sqlguard::db::MariaDbConnection::open(ep);
      if (!c) {
        std::fprintf(stderr, "direct connect failed: %s\n", c.error().message.c_str());
        cleanup();
        return 1;
      }
      direct.push_back(std::move(*c));
    }
    auto clients_for = [](int port) {
      std::vector<std::unique_ptr<McpHttpClient>> out;
      for (int i = 0; i < kMaxThreads; ++i) out.push_back(std::make_unique<McpHttpClient>(port));
      return out;
    };
    auto disk_clients = clients_for(disk->port);
    auto shm_clients = clients_for(shm->port);
    bool ok = true;
    for (auto* set : {&disk_clients, &shm_clients}) {
      for (auto& c : *set) ok = c->initialize() && ok;
    }
    // Warm-up: connections, catalog cache, page cache, every client's keep-alive connection.
    for (int i = 0; i < 100; ++i) {
      ok = direct[static_cast<std::size_t>(i % kMaxThreads)]->query(sql_for(i)).has_value() && ok;
      ok = disk_clients[static_cast<std::size_t>(i % kMaxThreads)]->call(i) && ok;
      ok = shm_clients[static_cast<std::size_t>(i % kMaxThreads)]->call(i) && ok;
    }
    if (!ok) {
      std::fprintf(stderr, "bench_http: warm-up failed\n");
      cleanup();
      return 1;
    }

    struct Case {
      std::string name;
      int threads;
      std::function<bool(int, int)> fn;
      Run result;
    };
    std::vector<Case> configs;
    for (int threads : {1, kMaxThreads}) {
      configs.push_back(
          {"direct Connector/C",
           threads,
           [&](int w, int k) { return direct[static_cast<std::size_t>(w)]->query(sql_for(k)).has_value(); },
           {}});
      configs.push_back({"HTTP tools/call, audit on disk",
                         threads,
                         [&](int w, int k) { return disk_clients[static_cast<std::size_t>(w)]->call(k); },
                         {}});
      configs.push_back({"HTTP tools/call, audit on tmpfs",
                         threads,
                         [&](int w, int k) { return shm_clients[static_cast<std::size_t>(w)]->call(k); },
                         {}});
    }
    // Two interleaved rounds so every configuration sees the same machine state.
    for (int round = 0; round < 2; ++round) {
      for (auto& c : configs) run(c.result, c.threads, iterations / 2, c.fn);
    }

    std::printf(
        "bench_http: %d calls per configuration, point SELECT (SELECT id, name, city FROM customers WHERE id "
        "= ?),\n"
        "MariaDB over a unix socket; sqlguard in-process on 127.0.0.1, JSON responses, keep-alive\n",
        iterations);
    std::printf("%-34s %8s %10s %10s %10s\n", "path", "clients", "calls/s", "p50 µs", "p99 µs");
    std::map<std::pair<std::string, int>, double> p50;
    for (auto& c : configs) {
      if (!c.result.ok) ok = false;
      const double cps = static_cast<double>(c.result.calls) / c.result.wall_s;
      const double p50v = percentile(c.result.latencies_us, 50);
      const double p99v = percentile(c.result.latencies_us, 99);
      p50[{c.name, c.threads}] = p50v;
      std::printf("%-34s %8d %10.0f %10.1f %10.1f\n", c.name.c_str(), c.threads, cps, p50v, p99v);
    }
    for (int threads : {1, kMaxThreads}) {
      const double d = p50[{"direct Connector/C", threads}];
      std::printf("p50 ratio over direct, %2d client(s): %.1fx audit on disk, %.1fx audit on tmpfs\n",
                  threads, p50[{"HTTP tools/call, audit on disk", threads}] / d,
                  p50[{"HTTP tools/call, audit on tmpfs", threads}] / d);
    }
    if (!ok) {
      std::fprintf(stderr, "bench_http: some calls failed\n");
      rc = 1;
    }
    disk_clients.clear();
    shm_clients.clear();
    disk->transport->stop();
    shm->transport->stop();
  }
  cleanup();
  return rc;
}
