// db::Connection over MariaDB Connector/C, opened with the vaulted credential and pinned session
// settings (db/session_settings.h). Its .cpp is the only code that includes <mysql.h>; another
// driver would replace these two files.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"
#include "db/connection.h"
#include "db/endpoint.h"

struct st_mysql;

namespace sqlguard::db {

class MariaDbConnection final : public Connection {
 public:
  /// Connects with CLIENT_MULTI_STATEMENTS off, LOCAL INFILE off, and pins sql_mode and
  /// charset. Errors (kUnavailable) name the endpoint (endpoint.describe()) and the error
  /// number, never the password or the server's message.
  static common::Result<std::unique_ptr<MariaDbConnection>> open(const DatabaseEndpoint& endpoint);

  ~MariaDbConnection() override;
  MariaDbConnection(const MariaDbConnection&) = delete;
  MariaDbConnection& operator=(const MariaDbConnection&) = delete;

  common::Result<common::ResultSet> execute(std::string_view sql, const ExecuteOptions& options) override;
  common::Result<common::ResultSet> query(std::string_view sql) override;
  bool reset() override;
  bool ping() override;
  std::string_view default_schema() const override { return database_; }
  uint64_t thread_id() const override;
  bool broken() const override { return broken_; }

 private:
  MariaDbConnection(st_mysql* mysql, std::string database);
  bool pin_session(uint32_t timeout_ms, bool read_only);
  bool reset_session();
  bool scrub_found_rows();
  /// Makes `schema` ("" = database_) the current schema; false: the database refused it.
  bool select_schema(std::string_view schema);
  common::Result<common::ResultSet> run(std::string_view sql, const ExecuteOptions& options);

  st_mysql* mysql_;
  std::string database_;
  std::string current_schema_;  ///< the session's current schema (database_ unless changed)
  bool mariadb_ = true;
  const char* read_only_variable_ = "tx_read_only";
  bool broken_ = false;
  // Session state, to skip round trips that would change nothing (docs/performance.md):
  bool pinned_ = false;  ///< the settings below are in force on the server
  uint32_t pinned_timeout_ms_ = 0;
  bool pinned_read_only_ = true;
  bool pristine_ = true;          ///< no statement since the connection was opened or reset
  bool found_rows_clean_ = true;  ///< no statement since opened or scrubbed (reset keeps FOUND_ROWS)
  bool dirty_ = false;            ///< a statement since the last reset may have changed session state
};

}  // namespace sqlguard::db
