// The MySQL front door's cost per statement: a point SELECT
// (`SELECT id, name, city FROM customers WHERE id = N`, ids 1-12) sent by MariaDB Connector/C
// (the same client code on both sides: mysql_real_query + mysql_store_result) directly to
// MariaDB over its unix socket, and through sqlguard's MySQL front door (in-process `App` +
// `MySqlServer` on 127.0.0.1, port 0, a gateway account) with the audit log on the real disk and
// on /dev/shm (tmpfs). The front door path includes loopback TCP, the protocol layer, the guard
// pipeline with its two audit records, and the pooled database connection. One client and 8
// clients (each its own connection), two interleaved rounds; calls/s = calls / wall time.
//   build/bench_mysql [--iterations N]      (default 3000 per configuration)
#include <mysql.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_database.h"
#include "bench/bench_timing.h"
#include "server/cli/app.h"
#include "server/mysql/mysql_server.h"
#include "server/mysql/protocol.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
constexpr int kMaxThreads = 8;
constexpr const char* kPassword = "bench-front-door";

std::string sql_for(int k) {
  return "SELECT id, name, city FROM customers WHERE id = " + std::to_string(k % 12 + 1);
}

/// One Connector/C connection, over the unix socket (direct) or TCP (the front door).
class Client {
 public:
  static std::unique_ptr<Client> connect(const char* socket, int port, const std::string& user,
                                         const std::string& password, const char* db) {
    auto c = std::make_unique<Client>();
    c->m_ = mysql_init(nullptr);
    const my_bool no = 0;
    mysql_optionsv(c->m_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &no);
    if (mysql_real_connect(c->m_, socket ? "localhost" : "127.0.0.1", user.c_str(), password.c_str(), db,
                           static_cast<unsigned>(port), socket, 0) == nullptr) {
      std::fprintf(stderr, "bench_mysql: connect: %s\n", mysql_error(c->m_));
      return nullptr;
    }
    return c;
  }
  ~Client() {
    if (m_ != nullptr) mysql_close(m_);
  }
  bool query(const std::string& sql) {
    if (mysql_real_query(m_, sql.data(), sql.size()) != 0) return false;
    MYSQL_RES* r = mysql_store_result(m_);
    if (r == nullptr) return false;
    const bool ok = mysql_num_rows(r) == 1;
    mysql_free_result(r);
    return ok;
  }

 private:
  MYSQL* m_ = nullptr;
};

using sqlguard::bench::percentile;
using sqlguard::bench::Run;
using sqlguard::bench::run;

struct Served {
  std::unique_ptr<sqlguard::server::App> app;
  std::unique_ptr<sqlguard::server::MySqlServer> mysql;
  int port = 0;
};

std::optional<Served> serve(sqlguard::server::Config config) {
  config.mysql.enabled = true;
  config.mysql.port = 0;
  config.mysql.max_connections = 64;
  sqlguard::server::MySqlAccountConfig account;
  account.user = "bench";
  account.password_verifier = sqlguard::server::mysql::native_verifier_text(kPassword);
  account.principal = config.stdio_principal;
  config.mysql.accounts = {account};
  auto app = sqlguard::server::App::create(config);
  if (!app) {
    std::fprintf(stderr, "bench_mysql: %s\n", app.error().message.c_str());
    return std::nullopt;
  }
  Served s;
  s.app = std::move(*app);
  sqlguard::server::MySqlServerOptions options;
  options.config = config.mysql;
  options.server_version = "5.5.5-10.11.0-sqlguard-bench";
  s.mysql = std::make_unique<sqlguard::server::MySqlServer>(s.app->guard(), nullptr, options);
  auto port = s.mysql->start();
  if (!port) {
    std::fprintf(stderr, "bench_mysql: %s\n", port.error().message.c_str());
    return std::nullopt;
  }
  s.port = *port;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 3000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--iterations")
      iterations = std::max(kMaxThreads * 2, std::atoi(argv[i + 1]));
  }
  auto db = sqlguard::bench::BenchDatabase::start("mysql");
  if (!db) return 1;
  auto config = db->config();
  if (!config) {
    std::fprintf(stderr, "bench_mysql: %s\n", config.error().message.c_str());
    return 1;
  }
  const fs::path shm_dir = fs::path("/dev/shm") / ("sg-bench-mysql-audit-" + std::to_string(::getpid()));
  int rc = 0;
  {
    auto shm_config = *config;
    shm_config.audit.log.dir = shm_dir;
    auto disk = serve(*config);
    auto shm = serve(shm_config);
    if (!disk || !shm) return 1;
    const auto ep = db->direct_endpoint(*config);
    std::vector<std::unique_ptr<Client>> direct, via_disk, via_shm;
    for (int i = 0; i < kMaxThreads; ++i) {
      direct.push_back(Client::connect(ep.socket.c_str(), 0, ep.user, ep.password, "shop"));
      via_disk.push_back(Client::connect(nullptr, disk->port, "bench", kPassword, "shop"));
      via_shm.push_back(Client::connect(nullptr, shm->port, "bench", kPassword, "shop"));
      if (!direct.back() || !via_disk.back() || !via_shm.back()) return 1;
    }
    struct Case {
      std::string name;
      int threads;
      std::vector<std::unique_ptr<Client>>* clients;
      Run result;
    };
    std::vector<Case> cases;
    for (int threads : {1, kMaxThreads}) {
      cases.push_back({"direct Connector/C (unix socket)", threads, &direct, {}});
      cases.push_back({"front door, audit on disk", threads, &via_disk, {}});
      cases.push_back({"front door, audit on tmpfs", threads, &via_shm, {}});
    }
    for (auto& c : cases)
      run(c.result, c.threads, 100, [&](int w, int k) { return (*c.clients)[w]->query(sql_for(k)); });
    for (auto& c : cases) c.result = Run{};  // the warm-up above is not measured
    for (int round = 0; round < 2; ++round) {
      for (auto& c : cases) {
        run(c.result, c.threads, iterations / 2,
            [&](int w, int k) { return (*c.clients)[static_cast<std::size_t>(w)]->query(sql_for(k)); });
      }
    }
    std::printf("bench_mysql: %d statements per configuration, point SELECT over Connector/C (%s)\n",
                iterations, mysql_get_client_info());
    std::printf("%-34s %8s %10s %10s %10s\n", "path", "clients", "calls/s", "p50 µs", "p99 µs");
    std::map<std::pair<std::string, int>, double> p50;
    for (auto& c : cases) {
      if (!c.result.ok) rc = 1;
      const double v = percentile(c.result.latencies_us, 50);
      p50[{c.name, c.threads}] = v;
      std::printf("%-34s %8d %10.0f %10.1f %10.1f\n", c.name.c_str(), c.threads,
                  static_cast<double>(c.result.calls) / c.result.wall_s, v,
                  percentile(c.result.latencies_us, 99));
    }
    for (int threads : {1, kMaxThreads}) {
      const double d = p50[{"direct Connector/C (unix socket)", threads}];
      std::printf("p50 ratio over direct, %d client(s): %.1fx audit on disk, %.1fx audit on tmpfs\n", threads,
                  p50[{"front door, audit on disk", threads}] / d,
                  p50[{"front door, audit on tmpfs", threads}] / d);
    }
    if (rc != 0) std::fprintf(stderr, "bench_mysql: some statements failed\n");
    direct.clear();
    via_disk.clear();
    via_shm.clear();
    disk->mysql->stop();
    shm->mysql->stop();
  }
  std::error_code ec;
  fs::remove_all(shm_dir, ec);
  return rc;
}
