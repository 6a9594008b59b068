// The database seam: what the guard needs from a database connection and from a source of
// connections, as interfaces. db/mariadb_connection.h implements Connection over MariaDB
// Connector/C, db/connection_pool.h implements ConnectionSource; tests/mocks/ has fakes.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "common/error.h"
#include "common/result_set.h"

namespace sqlguard::db {

/// Limits and mode for one statement.
struct ExecuteOptions {
  uint64_t max_rows = 1000;             ///< rows kept; reading stops after max_rows + 1
  uint64_t max_result_bytes = 1 << 20;  ///< bytes of cell data kept
  uint32_t timeout_ms = 10000;          ///< server-side statement time limit, ms; 0 = none
  bool read_only = true;                ///< run in a read-only session (writes and DDL refused)
  /// The caller proved the statement cannot change session state (policy::session_effects):
  /// the connection is then given back without COM_RESET_CONNECTION. false (the default): reset.
  bool leaves_session_unchanged = false;
  /// The caller proved the statement reads nothing an earlier statement left behind
  /// (FOUND_ROWS(), warnings, session status): it may run on a connection not reset since such
  /// a statement. false (the default): the connection is reset first unless nothing ran on it.
  bool ignores_session_residue = false;
  /// The schema the statement runs in (its unqualified names resolve there, as the analysis
  /// assumed); "" = the connection's default schema. The connection selects it (COM_INIT_DB)
  /// when it differs from the current one.
  std::string_view schema;
};

/// One open database session. Not thread-safe: one caller at a time (a ConnectionSource hands
/// it out exclusively). Errors never contain the password.
class Connection {
 public:
  virtual ~Connection() = default;

  /// Runs one statement with `options` and reads its result, stopping at the row or byte limit
  /// (result.truncated). Errors: kTimeout (the server stopped it), kDatabase (db_errno,
  /// sqlstate), kUnavailable (the connection is gone; `before_statement` when nothing was sent).
  virtual common::Result<common::ResultSet> execute(std::string_view sql, const ExecuteOptions& options) = 0;

  /// Runs a catalog or housekeeping query without limits (guard use only), in the default
  /// schema.
  virtual common::Result<common::ResultSet> query(std::string_view sql) = 0;

  /// Called when the connection is given back: clears session state (variables, prepared
  /// statements, temporary tables, locks, transactions) with COM_RESET_CONNECTION unless every
  /// statement since the last reset declared `leaves_session_unchanged`; the next execute()
  /// re-pins the settings. false: the connection must be discarded.
  virtual bool reset() = 0;

  /// true when the server answers.
  virtual bool ping() = 0;

  /// The default schema the session was opened with.
  virtual std::string_view default_schema() const = 0;

  /// Server-side connection id (for kill_query when a call is cancelled); 0 when closed.
  virtual uint64_t thread_id() const = 0;

  /// true once the connection failed in a way that makes it unusable; its source discards it.
  virtual bool broken() const = 0;
};

/// Counters of a ConnectionSource.
struct SourceStats {
  uint32_t open = 0;  ///< connections open (idle + leased)
  uint32_t leased = 0;
  uint64_t opened_total = 0;
  uint64_t discarded_total = 0;  ///< broken or failed reset
};

/// Where the guard gets connections. Thread-safe.
class ConnectionSource {
 public:
  /// Exclusive use of one connection; gives it back to its source (which resets or discards it)
  /// on destruction, and on assignment of another lease.
  class Lease {
   public:
    Lease() = default;
    Lease(ConnectionSource* source, std::unique_ptr<Connection> connection)
        : source_(source), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&& other) noexcept {
      if (this != &other) {
        give_back();
        source_ = other.source_;
        connection_ = std::move(other.connection_);
      }
      return *this;
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { give_back(); }

    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }
    explicit operator bool() const { return connection_ != nullptr; }

   private:
    void give_back() {
      if (source_ != nullptr && connection_ != nullptr) source_->release(std::move(connection_));
      connection_.reset();
    }
    ConnectionSource* source_ = nullptr;
    std::unique_ptr<Connection> connection_;
  };

  virtual ~ConnectionSource() = default;

  /// A connection, waiting up to the source's acquire timeout. Errors: kUnavailable (cannot
  /// connect, or every connection stayed busy). Never contains the password.
  virtual common::Result<Lease> acquire() = 0;

  /// Asks the server to stop the statement running on connection `thread_id`, out of band.
  /// Used when a call is cancelled; best effort.
  virtual void kill_query(uint64_t thread_id) = 0;

  /// Opens (or leases) a connection and pings it: for health checks. Errors as acquire().
  virtual common::Result<void> check() = 0;

  virtual SourceStats stats() const = 0;

  /// The default schema statements are analysed against ("" when none).
  virtual std::string_view default_schema() const = 0;

 protected:
  /// Takes a connection back from a Lease: reset and keep it, or discard it.
  virtual void release(std::unique_ptr<Connection> connection) = 0;
};

}  // namespace sqlguard::db
