#include "db/connection_pool.h"

#include "db/mariadb_connection.h"

namespace sqlguard::db {

ConnectionPool::ConnectionPool(DatabaseEndpoint endpoint, const CredentialVault& vault,
                               uint32_t max_connections, std::chrono::milliseconds acquire_timeout)
    : endpoint_(std::move(endpoint)),
      vault_(vault),
      max_connections_(std::max(1u, max_connections)),
      acquire_timeout_(acquire_timeout) {
  endpoint_.password.clear();
}

ConnectionPool::~ConnectionPool() = default;

common::Result<std::unique_ptr<Connection>> ConnectionPool::open_connection() {
  DatabaseEndpoint ep = endpoint_;
  ep.password = vault_.password();
  auto c = MariaDbConnection::open(ep);
  if (!c) {
    common::Error e = c.error();
    e.message = vault_.scrub(std::move(e.message));
    return std::unexpected(std::move(e));
  }
  return std::unique_ptr<Connection>(std::move(*c));
}

common::Result<ConnectionSource::Lease> ConnectionPool::acquire() {
  const auto deadline = std::chrono::steady_clock::now() + acquire_timeout_;
  std::unique_lock lock(mu_);
  for (;;) {
    while (!idle_.empty()) {
      Idle idle = std::move(idle_.back());
      idle_.pop_back();
      // A connection idle for a while may have been closed by a server restart or wait_timeout:
      // ping it (one round trip) rather than fail the caller's statement.
      if (std::chrono::steady_clock::now() - idle.since > std::chrono::seconds(1)) {
        lock.unlock();
        const bool alive = idle.connection->ping();
        lock.lock();
        if (!alive) {
          --open_;
          ++discarded_total_;
          continue;
        }
      }
      ++leased_;
      return Lease(this, std::move(idle.connection));
    }
    if (open_ < max_connections_) {
      ++open_;
      lock.unlock();
      auto c = open_connection();
      lock.lock();
      if (!c) {
        --open_;
        cv_.notify_one();
        return std::unexpected(c.error());
      }
      ++opened_total_;
      ++leased_;
      return Lease(this, std::move(*c));
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= max_connections_) {
      return std::unexpected(common::Error{
          common::ErrorCode::kUnavailable,
          "all " + std::to_string(max_connections_) + " database connections are busy; try again shortly"});
    }
  }
}

void ConnectionPool::release(std::unique_ptr<Connection> c) {
  const bool reusable = c->reset();
  std::lock_guard lock(mu_);
  --leased_;
  if (reusable) {
    idle_.push_back(Idle{std::move(c), std::chrono::steady_clock::now()});
  } else {
    --open_;
    ++discarded_total_;
  }
  cv_.notify_one();
}

void ConnectionPool::kill_query(uint64_t thread_id) {
  if (thread_id == 0) return;
  auto c = open_connection();
  if (!c) return;
  (void)(*c)->query("KILL QUERY " + std::to_string(thread_id));
}

common::Result<void> ConnectionPool::check() {
  auto lease = acquire();
  if (!lease) return std::unexpected(lease.error());
  if (!(*lease)->ping()) {
    return std::unexpected(common::Error{common::ErrorCode::kUnavailable, "the database does not answer"});
  }
  return {};
}

SourceStats ConnectionPool::stats() const {
  std::lock_guard lock(mu_);
  return SourceStats{open_, leased_, opened_total_, discarded_total_};
}

}  // namespace sqlguard::db
