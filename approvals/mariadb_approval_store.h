// The shared approval store: a table in a MySQL/MariaDB schema that several sqlguard instances
// (behind a load balancer) use together, so a request held on one can be decided through another.
#pragma once

#include <expected>
#include <memory>
#include <mutex>
#include <string>

#include "approvals/approval_store.h"
#include "db/endpoint.h"
#include "db/mariadb_connection.h"

namespace sqlguard::approvals {

/// ApprovalStore on table `sqlguard_approvals` (InnoDB, created if missing) in
/// `endpoint.database`, reached with its own account (not the agent's). Every state change is
/// a single conditional UPDATE, so exactly one instance wins it.
/// Thread-safety: thread-safe (one connection behind a mutex, reopened when it breaks).
class MariaDbApprovalStore final : public ApprovalStore {
 public:
  /// Connects and creates the table if missing. `endpoint.password` holds the store's
  /// credential. Errors: unreachable, access denied, no database named (messages never contain
  /// the password).
  static common::Result<std::unique_ptr<MariaDbApprovalStore>> open(db::DatabaseEndpoint endpoint);

  common::Result<void> insert(const ApprovalRequest& request) override;
  common::Result<std::optional<ApprovalRequest>> get(std::string_view id) override;
  common::Result<std::vector<ApprovalRequest>> list(size_t limit) override;
  common::Result<uint64_t> count_pending(int64_t now_ms) override;
  common::Result<bool> update(const ApprovalRequest& next, uint64_t expected_version,
                              ApprovalState expected_state) override;
  common::Result<bool> consume(std::string_view id, int64_t now_ms) override;

 private:
  explicit MariaDbApprovalStore(db::DatabaseEndpoint endpoint) : endpoint_(std::move(endpoint)) {}
  /// Runs one statement (writable session), reconnecting once when the connection was lost
  /// before the statement was sent. Caller holds mu_.
  common::Result<common::ResultSet> run(const std::string& sql);

  std::mutex mu_;
  db::DatabaseEndpoint endpoint_;
  std::unique_ptr<db::MariaDbConnection> connection_;
};

}  // namespace sqlguard::approvals
