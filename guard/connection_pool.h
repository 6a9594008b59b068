// A bounded pool of database connections opened with the vaulted credential.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <vector>

#include "guard/connection.h"
#include "guard/credential_vault.h"
#include "guard/database_endpoint.h"

namespace sqlguard::guard {

struct PoolStats {
  uint32_t open = 0;    ///< connections open (idle + leased)
  uint32_t leased = 0;
  uint64_t opened_total = 0;
  uint64_t discarded_total = 0;  ///< broken or failed reset
};

/// Thread-safe. Connections are opened lazily, handed out exclusively (Lease), reset after each
/// use and discarded when broken, so a database restart costs one failed call at most.
class ConnectionPool {
 public:
  /// `endpoint.password` is ignored; the vault supplies it on every open.
  ConnectionPool(DatabaseEndpoint endpoint, const CredentialVault& vault, uint32_t max_connections,
                 std::chrono::milliseconds acquire_timeout);
  ~ConnectionPool();

  /// Exclusive use of one connection; returns it to the pool (after reset()) on destruction.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> c) : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) noexcept = default;
    ~Lease();
    Connection& operator*() const { return *c_; }
    Connection* operator->() const { return c_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> c_;
  };

  /// A connection, waiting up to the acquire timeout for a free one. Errors: kUnavailable
  /// (cannot connect, or the pool stayed exhausted). Never contains the password.
  std::expected<Lease, GuardError> acquire();

  /// Asks the server to stop the statement running on connection `thread_id` (KILL QUERY), over
  /// a separate short-lived connection. Used when a call is cancelled.
  void kill_query(uint64_t thread_id);

  /// Opens a connection and pings: for health checks. Errors as acquire().
  std::expected<void, GuardError> check();

  PoolStats stats() const;
  const DatabaseEndpoint& endpoint() const { return endpoint_; }

 private:
  std::expected<std::unique_ptr<Connection>, GuardError> open_connection();
  void release(std::unique_ptr<Connection> c);

  struct Idle {
    std::unique_ptr<Connection> connection;
    std::chrono::steady_clock::time_point since;
  };

  DatabaseEndpoint endpoint_;
  const CredentialVault& vault_;
  const uint32_t max_connections_;
  const std::chrono::milliseconds acquire_timeout_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Idle> idle_;
  uint32_t open_ = 0;
  uint32_t leased_ = 0;
  uint64_t opened_total_ = 0;
  uint64_t discarded_total_ = 0;
};

}  // namespace sqlguard::guard
