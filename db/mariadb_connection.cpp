#include "db/mariadb_connection.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <cstdio>

#include "db/session_settings.h"

namespace sqlguard::db {
namespace {

std::string type_name(enum_field_types t, unsigned flags, unsigned charset) {
  switch (t) {
    case MYSQL_TYPE_TINY: return "TINYINT";
    case MYSQL_TYPE_SHORT: return "SMALLINT";
    case MYSQL_TYPE_INT24: return "MEDIUMINT";
    case MYSQL_TYPE_LONG: return "INT";
    case MYSQL_TYPE_LONGLONG: return "BIGINT";
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL: return "DECIMAL";
    case MYSQL_TYPE_FLOAT: return "FLOAT";
    case MYSQL_TYPE_DOUBLE: return "DOUBLE";
    case MYSQL_TYPE_BIT: return "BIT";
    case MYSQL_TYPE_YEAR: return "YEAR";
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE: return "DATE";
    case MYSQL_TYPE_TIME: return "TIME";
    case MYSQL_TYPE_DATETIME: return "DATETIME";
    case MYSQL_TYPE_TIMESTAMP: return "TIMESTAMP";
    case MYSQL_TYPE_JSON: return "JSON";
    case MYSQL_TYPE_ENUM: return "ENUM";
    case MYSQL_TYPE_SET: return "SET";
    case MYSQL_TYPE_GEOMETRY: return "GEOMETRY";
    case MYSQL_TYPE_NULL: return "NULL";
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB: return charset == 63 ? "BLOB" : "TEXT";
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
      if (flags & ENUM_FLAG) return "ENUM";
      if (flags & SET_FLAG) return "SET";
      return charset == 63 ? "VARBINARY" : "VARCHAR";
    case MYSQL_TYPE_STRING:
      if (flags & ENUM_FLAG) return "ENUM";
      if (flags & SET_FLAG) return "SET";
      return charset == 63 ? "BINARY" : "CHAR";
    default: return "UNKNOWN";
  }
}

bool connection_lost(unsigned err) {
  return err == CR_SERVER_GONE_ERROR || err == CR_SERVER_LOST || err == CR_CONNECTION_ERROR ||
         err == CR_CONN_HOST_ERROR || err == CR_SERVER_LOST_EXTENDED ||
         err == 1927 /* ER_CONNECTION_KILLED */ || err == ER_SERVER_SHUTDOWN ||
         err == CR_COMMANDS_OUT_OF_SYNC;
}

common::Error error_from(st_mysql* m, std::string_view what) {
  common::Error e;
  e.db_errno = mysql_errno(m);
  e.sqlstate = mysql_sqlstate(m);
  const std::string msg = mysql_error(m);
  if (e.db_errno == 1969 /* ER_STATEMENT_TIMEOUT (MariaDB) */ || e.db_errno == 3024 /* MySQL */) {
    e.code = common::ErrorCode::kTimeout;
    e.message = "the statement exceeded its time limit and was stopped by the server";
  } else if (connection_lost(e.db_errno) || e.db_errno >= 2000) {
    e.code = common::ErrorCode::kUnavailable;
    e.message = "the database is unavailable (" + std::string(what) + ": error " +
                std::to_string(e.db_errno) + "); try again shortly";
  } else {
    e.code = common::ErrorCode::kDatabase;
    e.message = "database error " + std::to_string(e.db_errno) + " (" + e.sqlstate + "): " + msg;
  }
  return e;
}

}  // namespace

std::string DatabaseEndpoint::describe() const {
  std::string out = user + "@";
  if (!socket.empty())
    out += "unix:" + socket;
  else
    out += host + ":" + std::to_string(port);
  if (!database.empty()) out += "/" + database;
  return out;
}

common::Result<std::unique_ptr<MariaDbConnection>> MariaDbConnection::open(const DatabaseEndpoint& ep) {
  st_mysql* m = mysql_init(nullptr);
  if (m == nullptr) {
    return std::unexpected(
        common::Error{common::ErrorCode::kInternal, "out of memory creating a connection"});
  }
  unsigned connect_timeout = std::max(1u, (ep.connect_timeout_ms + 999) / 1000);
  unsigned read_timeout = ep.read_timeout_ms ? std::max(1u, ep.read_timeout_ms / 1000) : 3600;
  unsigned zero = 0;
  my_bool no = 0;
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
  mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &zero);  // LOAD DATA LOCAL can read client files
  mysql_optionsv(m, MYSQL_OPT_RECONNECT, &no);       // the pool reconnects, with a clean session
  mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, std::string(kPinnedCharset).c_str());
  mysql_optionsv(m, MYSQL_READ_DEFAULT_FILE, "/dev/null");  // no option files from the host
  if (ep.tls.enabled) {
    my_bool yes = 1;
    mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &yes);
    my_bool verify = ep.tls.verify_server_cert ? 1 : 0;
    mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
    if (!ep.tls.ca_file.empty()) mysql_optionsv(m, MYSQL_OPT_SSL_CA, ep.tls.ca_file.c_str());
    if (!ep.tls.cert_file.empty()) mysql_optionsv(m, MYSQL_OPT_SSL_CERT, ep.tls.cert_file.c_str());
    if (!ep.tls.key_file.empty()) mysql_optionsv(m, MYSQL_OPT_SSL_KEY, ep.tls.key_file.c_str());
  }
  // No CLIENT_MULTI_STATEMENTS, no CLIENT_LOCAL_FILES: one statement per call, no client files.
  const unsigned long flags = CLIENT_FOUND_ROWS;
  const char* host = ep.socket.empty() ? ep.host.c_str() : "localhost";
  const char* sock = ep.socket.empty() ? nullptr : ep.socket.c_str();
  if (mysql_real_connect(m, host, ep.user.c_str(), ep.password.c_str(),
                         ep.database.empty() ? nullptr : ep.database.c_str(), ep.port, sock,
                         flags) == nullptr) {
    common::Error e = error_from(m, "connect");
    // Connect errors from the server ("Access denied for user ...") carry no password, but are
    // reduced to the error number anyway: the agent needs no account details.
    e.code = common::ErrorCode::kUnavailable;
    e.message = "the database is unavailable (connect to " + ep.describe() + " failed: error " +
                std::to_string(e.db_errno) + "); try again shortly";
    mysql_close(m);
    return std::unexpected(std::move(e));
  }
  std::unique_ptr<MariaDbConnection> c(new MariaDbConnection(m, ep.database));
  c->mariadb_ = std::string_view(mysql_get_server_info(m)).find("MariaDB") != std::string_view::npos;
  // MariaDB renamed tx_read_only to transaction_read_only in 11.1.
  c->read_only_variable_ =
      c->mariadb_ && mysql_get_server_version(m) < 110100 ? "tx_read_only" : "transaction_read_only";
  if (!c->pin_session(0, true)) {
    return std::unexpected(error_from(m, "session setup"));
  }
  return c;
}

MariaDbConnection::MariaDbConnection(st_mysql* mysql, std::string database)
    : mysql_(mysql), database_(std::move(database)), current_schema_(database_) {}

MariaDbConnection::~MariaDbConnection() {
  if (mysql_ != nullptr) mysql_close(mysql_);
}

bool MariaDbConnection::pin_session(uint32_t timeout_ms, bool read_only) {
  // One round trip pins everything: sql_mode (the analyzer lexes under exactly this mode), the
  // statement timeout, and the session access mode. A read-only session refuses writes and DDL
  // alike (unlike START TRANSACTION READ ONLY, which DDL escapes through its implicit commit).
  std::string sql = "SET SESSION sql_mode='" + std::string(kPinnedSqlMode) + "'";
  char buf[96];
  if (mariadb_) {
    std::snprintf(buf, sizeof buf, ", max_statement_time=%.3f, %s=%d", timeout_ms / 1000.0,
                  read_only_variable_, read_only ? 1 : 0);
  } else {
    std::snprintf(buf, sizeof buf, ", max_execution_time=%u, transaction_read_only=%d", timeout_ms,
                  read_only ? 1 : 0);
  }
  sql += buf;
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    pinned_ = false;
    return false;
  }
  pinned_ = true;
  pinned_timeout_ms_ = timeout_ms;
  pinned_read_only_ = read_only;
  return true;
}

bool MariaDbConnection::scrub_found_rows() {
  static constexpr std::string_view kZeroRows = "SELECT 1 FROM DUAL WHERE 0";
  if (mysql_real_query(mysql_, kZeroRows.data(), kZeroRows.size()) != 0) {
    broken_ = true;
    return false;
  }
  if (MYSQL_RES* res = mysql_store_result(mysql_)) mysql_free_result(res);
  found_rows_clean_ = true;
  return true;
}

bool MariaDbConnection::select_schema(std::string_view schema) {
  if (schema.empty()) schema = database_;
  if (schema == current_schema_) return true;
  // COM_INIT_DB (COM_RESET_CONNECTION keeps the current schema, so it is tracked here).
  const std::string name(schema);
  if (mysql_select_db(mysql_, name.c_str()) != 0) return false;
  current_schema_ = name;
  return true;
}

bool MariaDbConnection::reset_session() {
  // COM_RESET_CONNECTION: drops user variables, prepared statements, temporary tables, named
  // locks, open transactions and session variables (so the settings must be pinned again).
  pinned_ = false;
  if (mysql_reset_connection(mysql_) != 0) {
    broken_ = true;
    return false;
  }
  pristine_ = true;
  dirty_ = false;
  return true;
}

common::Result<common::ResultSet> MariaDbConnection::execute(std::string_view sql,
                                                             const ExecuteOptions& options) {
  if (broken_) {
    common::Error e{common::ErrorCode::kUnavailable, "the database connection was lost; try again"};
    e.before_statement = true;
    return std::unexpected(std::move(e));
  }
  // A statement that may read what an earlier one left behind (warnings, ROW_COUNT(),
  // LAST_INSERT_ID(), session status) starts on a reset session, as if the connection were new.
  // COM_RESET_CONNECTION keeps FOUND_ROWS(), so a zero-row read overwrites it too.
  const bool fresh = options.ignores_session_residue ||
                     ((pristine_ || reset_session()) && (found_rows_clean_ || scrub_found_rows()));
  // The settings are sent only when they differ from those in force (one round trip saved per
  // call in the common case: same limits, same access mode, no reset in between).
  const bool pinned =
      fresh &&
      ((pinned_ && pinned_timeout_ms_ == options.timeout_ms && pinned_read_only_ == options.read_only) ||
       pin_session(options.timeout_ms, options.read_only));
  if (!pinned) {
    broken_ = true;
    common::Error e = error_from(mysql_, "session setup");
    e.before_statement = true;
    return std::unexpected(std::move(e));
  }
  if (!select_schema(options.schema)) {
    common::Error e = error_from(mysql_, "select schema");
    if (e.code == common::ErrorCode::kUnavailable) {
      broken_ = true;
      e.before_statement = true;  // nothing ran: the guard may retry on a new connection
    }
    return std::unexpected(std::move(e));
  }
  pristine_ = false;
  found_rows_clean_ = false;
  if (!options.leaves_session_unchanged) dirty_ = true;
  return run(sql, options);
}

common::Result<common::ResultSet> MariaDbConnection::query(std::string_view sql) {
  // Catalog and housekeeping statements are not analysed here: reset after them (fail closed).
  if (!select_schema({})) {
    common::Error e = error_from(mysql_, "select schema");
    if (e.code == common::ErrorCode::kUnavailable) broken_ = true;
    return std::unexpected(std::move(e));
  }
  pristine_ = false;
  found_rows_clean_ = false;
  dirty_ = true;
  ExecuteOptions unlimited;
  unlimited.max_rows = UINT64_MAX - 1;
  unlimited.max_result_bytes = UINT64_MAX - 1;
  return run(sql, unlimited);
}

common::Result<common::ResultSet> MariaDbConnection::run(std::string_view sql,
                                                         const ExecuteOptions& options) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    common::Error e = error_from(mysql_, "query");
    if (e.code == common::ErrorCode::kUnavailable) broken_ = true;
    return std::unexpected(std::move(e));
  }
  common::ResultSet rs;
  MYSQL_RES* res = mysql_use_result(mysql_);
  if (res == nullptr) {
    if (mysql_field_count(mysql_) != 0) {
      common::Error e = error_from(mysql_, "read result");
      broken_ = true;
      return std::unexpected(std::move(e));
    }
    rs.affected_rows = mysql_affected_rows(mysql_);
    rs.last_insert_id = mysql_insert_id(mysql_);
    rs.warning_count = mysql_warning_count(mysql_);
    return rs;
  }
  rs.has_result_set = true;
  const unsigned n = mysql_num_fields(res);
  MYSQL_FIELD* fields = mysql_fetch_fields(res);
  rs.columns.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    const MYSQL_FIELD& f = fields[i];
    common::ResultColumn c;
    c.name.assign(f.name, f.name_length);
    c.org_name.assign(f.org_name, f.org_name_length);
    c.table.assign(f.table, f.table_length);
    c.org_table.assign(f.org_table, f.org_table_length);
    c.schema.assign(f.db, f.db_length);
    c.type = static_cast<common::ColumnType>(f.type);
    c.flags = f.flags;
    c.charset = f.charsetnr;
    c.type_name = type_name(f.type, f.flags, f.charsetnr);
    rs.columns.push_back(std::move(c));
  }
  uint64_t bytes = 0;
  uint64_t extra = 0;
  // After the limit, rows are drained without being kept, up to a bound; beyond it the
  // connection is dropped (the server aborts the query) rather than reading an unbounded result.
  static constexpr uint64_t kDrainLimit = 100000;
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    if (rs.truncated) {
      if (++extra > kDrainLimit) {
        broken_ = true;
        break;
      }
      continue;
    }
    unsigned long* lengths = mysql_fetch_lengths(res);
    uint64_t row_bytes = 0;
    for (unsigned i = 0; i < n; ++i) row_bytes += lengths[i];
    if (rs.rows.size() >= options.max_rows || bytes + row_bytes > options.max_result_bytes) {
      rs.truncated = true;
      continue;
    }
    bytes += row_bytes;
    common::Row out;
    out.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
      if (row[i] == nullptr)
        out.emplace_back(std::nullopt);
      else
        out.emplace_back(std::string(row[i], lengths[i]));
    }
    rs.rows.push_back(std::move(out));
  }
  if (!broken_ && mysql_errno(mysql_) != 0) {
    common::Error e = error_from(mysql_, "read rows");
    mysql_free_result(res);
    if (e.code == common::ErrorCode::kUnavailable) broken_ = true;
    return std::unexpected(std::move(e));
  }
  if (broken_) {
    // Do not drain: close the socket so the server stops sending.
    mysql_close(mysql_);
    mysql_ = nullptr;
    mysql_free_result(res);
    return rs;
  }
  mysql_free_result(res);
  rs.warning_count = mysql_warning_count(mysql_);
  return rs;
}

bool MariaDbConnection::reset() {
  if (broken_ || mysql_ == nullptr) return false;
  if (!dirty_) return true;  // every statement since the last reset proved it changed nothing
  return reset_session();
}

bool MariaDbConnection::ping() { return mysql_ != nullptr && !broken_ && mysql_ping(mysql_) == 0; }

uint64_t MariaDbConnection::thread_id() const { return mysql_ ? mysql_thread_id(mysql_) : 0; }

}  // namespace sqlguard::db
