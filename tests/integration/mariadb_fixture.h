// A private MariaDB for the integration tests: one server per test process, provisioned with the
// demo dataset (scripts/provision-db), started on first use and stopped by PID at exit.
#pragma once

#include <filesystem>
#include <string>

#include "db/mariadb_connection.h"

namespace sqlguard::testing {

class MariaDbFixture {
 public:
  /// The shared instance; starts the server on first call. Aborts the test binary with a clear
  /// message when the server cannot be started (MariaDB not installed: run scripts/setup).
  static MariaDbFixture& instance();

  const std::filesystem::path& dir() const { return dir_; }  ///< DIR of provision-db
  std::string socket() const { return (dir_ / "db" / "mysqld.sock").string(); }
  std::string agent_password() const;  ///< sqlguard_agent's password
  std::filesystem::path password_file() const { return dir_ / "db-password"; }
  std::filesystem::path masking_key_file() const { return dir_ / "masking.key"; }

  /// Endpoint for the agent account (SELECT on shop.*, UPDATE on shop.orders).
  db::DatabaseEndpoint agent_endpoint() const;
  /// Endpoint for root (no password, socket only): for test setup and effect checks.
  db::DatabaseEndpoint root_endpoint() const;

  /// Runs SQL as root (multi-statement scripts via the mariadb client). Returns the exit code.
  int root_script(const std::string& sql) const;
  /// One statement as root over Connector/C; aborts the test on error.
  common::ResultSet root_query(const std::string& sql) const;

  /// Reloads examples/demo/schema.sql (tests that change data call this first).
  void reset_data() const;

  /// Stops the server (also done at exit).
  void stop();

  /// Restarts the server (for reconnect tests): stop, then start on the same datadir/socket.
  void restart();

 private:
  MariaDbFixture();
  std::filesystem::path dir_;
  bool running_ = false;
};

/// Repository root (SQLGUARD_SOURCE_DIR).
std::filesystem::path source_dir();
/// A fresh empty temporary directory under the build tree.
std::filesystem::path temp_dir(const std::string& name);

}  // namespace sqlguard::testing
