// The private MariaDB a benchmark runs against (scripts/provision-db: demo schema, agent account,
// masking key) and the sqlguard configuration both guard benchmarks use. Needs MariaDB installed
// (scripts/setup). SQLGUARD_BENCH_SOURCE_DIR is the source tree (bench/CMakeLists.txt).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"
#include "db/mariadb_connection.h"
#include "server/config/config.h"

namespace sqlguard::bench {

class BenchDatabase {
 public:
  /// Provisions MariaDB under /tmp/sg-bench-<name>-<pid>. nullptr (reason on stderr) when it
  /// cannot start.
  static std::unique_ptr<BenchDatabase> start(std::string_view name) {
    const std::filesystem::path source = SQLGUARD_BENCH_SOURCE_DIR;
    auto db = std::unique_ptr<BenchDatabase>(
        new BenchDatabase(source, std::filesystem::path("/tmp") /
                                      ("sg-bench-" + std::string(name) + "-" + std::to_string(::getpid()))));
    const std::string provision =
        (source / "scripts" / "provision-db").string() + " " + db->dir_.string() + " >/dev/null";
    if (std::system(provision.c_str()) != 0) {
      std::fprintf(stderr, "bench: cannot start MariaDB (run scripts/setup)\n");
      db->provisioned_ = false;
      return nullptr;
    }
    return db;
  }

  /// Stops MariaDB and removes the directory.
  ~BenchDatabase() {
    if (provisioned_) {
      const std::string stop =
          (source_ / "scripts" / "mariadb-sandbox").string() + " stop " + (dir_ / "db").string();
      (void)std::system(stop.c_str());
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  /// The benchmark configuration: principal `bench` (analysts) may SELECT shop.*, e-mail
  /// masking on customers.email, audit log in <dir>/audit without checkpoints during the run.
  /// `database_extra` is appended inside the database mapping (e.g. ", pool: {...}").
  common::Result<server::Config> config(std::string_view database_extra = "") const {
    std::ofstream(dir_ / "bench.yaml")
        << "database: {socket: " << (dir_ / "db" / "mysqld.sock").string()
        << ", user: sqlguard_agent, password_file: " << (dir_ / "db-password").string() << ", database: shop"
        << database_extra << "}\n"
        << "stdio: {principal: {subject: bench, groups: [analysts]}}\n"
        << "policy:\n  rules:\n    - {id: read, action: allow, kinds: [select], tables: ['shop.*']}\n"
        << "masking:\n  hash_key_file: " << (dir_ / "masking.key").string() << "\n"
        << "  rules:\n    - {id: pii-email, columns: [shop.customers.email], method: email}\n"
        << "audit: {dir: " << (dir_ / "audit").string()
        << ", checkpoint_every_records: 0, checkpoint_every_ms: 0}\n";
    return server::load_config(dir_ / "bench.yaml");
  }

  /// `config.database` with the agent's password, for direct Connector/C connections.
  db::DatabaseEndpoint direct_endpoint(const server::Config& config) const {
    db::DatabaseEndpoint ep = config.database;
    std::ifstream(dir_ / "db-password") >> ep.password;
    return ep;
  }

 private:
  BenchDatabase(std::filesystem::path source, std::filesystem::path dir)
      : source_(std::move(source)), dir_(std::move(dir)) {}

  std::filesystem::path source_;
  std::filesystem::path dir_;
  bool provisioned_ = true;
};

}  // namespace sqlguard::bench
