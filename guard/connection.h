// One database connection (MariaDB Connector/C), opened with the vaulted credential and pinned
// session settings. The only place that talks to libmariadb; another driver would replace this.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "guard/database_endpoint.h"
#include "guard/guard_error.h"
#include "policy/result_set.h"

struct st_mysql;

namespace sqlguard::guard {

/// Limits and mode for one statement.
struct ExecuteOptions {
  uint64_t max_rows = 1000;             ///< rows kept; reading stops after max_rows + 1
  uint64_t max_result_bytes = 1 << 20;  ///< bytes of cell data kept
  uint32_t timeout_ms = 10000;          ///< server-side max_statement_time; 0 = none
  bool read_only = true;                ///< run in a read-only session (writes and DDL refused)
};

/// Not thread-safe: one caller at a time (the pool hands it out exclusively).
class Connection {
 public:
  /// Connects with CLIENT_MULTI_STATEMENTS off, LOCAL INFILE off, and pins sql_mode and
  /// charset (session_settings.h). Errors (class kUnavailable) never contain the password.
  static std::expected<std::unique_ptr<Connection>, GuardError> open(const DatabaseEndpoint& endpoint);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs one statement with `options` and reads its result, stopping at the row or byte limit
  /// (result.truncated). A statement over its timeout is killed by the server (kTimeout).
  std::expected<policy::ResultSet, GuardError> execute(std::string_view sql,
                                                       const ExecuteOptions& options);

  /// Runs a catalog or housekeeping query without limits or transaction wrapping (guard use only).
  std::expected<policy::ResultSet, GuardError> query(std::string_view sql);

  /// Clears session state (variables, prepared statements, temporary tables, locks,
  /// transactions) and re-pins the settings. false: the connection must be discarded.
  bool reset();

  /// true when the server answers COM_PING.
  bool ping();

  std::string_view default_schema() const { return database_; }

  /// Server-side connection id (for KILL QUERY when a call is cancelled); 0 when closed.
  uint64_t thread_id() const;

  /// true once the connection failed in a way that makes it unusable; the pool discards it.
  bool broken() const { return broken_; }

 private:
  Connection(st_mysql* mysql, std::string database);
  bool pin_session(uint32_t timeout_ms, bool read_only);
  std::expected<policy::ResultSet, GuardError> run(std::string_view sql, const ExecuteOptions& options);

  st_mysql* mysql_;
  std::string database_;
  bool mariadb_ = true;
  const char* read_only_variable_ = "tx_read_only";
  bool broken_ = false;
};

}  // namespace sqlguard::guard
