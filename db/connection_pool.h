// A bounded pool of MariaDB connections opened with the vaulted credential: the production
// db::ConnectionSource.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "common/error.h"
#include "db/connection.h"
#include "db/credential_vault.h"
#include "db/endpoint.h"

namespace sqlguard::db {

/// Thread-safe. Connections are opened lazily, handed out exclusively (Lease), reset after each
/// use and discarded when broken, so a database restart costs one failed call at most.
class ConnectionPool final : public ConnectionSource {
 public:
  /// `endpoint.password` is ignored; the vault supplies it on every open.
  ConnectionPool(DatabaseEndpoint endpoint, const CredentialVault& vault, uint32_t max_connections,
                 std::chrono::milliseconds acquire_timeout);
  ~ConnectionPool() override;

  /// Waits up to the acquire timeout for a free connection; an idle one unused for over 1 s is
  /// pinged first. Errors: kUnavailable (cannot connect, or the pool stayed exhausted).
  common::Result<Lease> acquire() override;

  /// KILL QUERY `thread_id` over a separate short-lived connection.
  void kill_query(uint64_t thread_id) override;

  common::Result<void> check() override;
  SourceStats stats() const override;
  std::string_view default_schema() const override { return endpoint_.database; }
  const DatabaseEndpoint& endpoint() const { return endpoint_; }

 protected:
  void release(std::unique_ptr<Connection> c) override;

 private:
  common::Result<std::unique_ptr<Connection>> open_connection();

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

}  // namespace sqlguard::db
