#include "approvals/mariadb_approval_store.h"

#include "db/sql_literal.h"

#include <cstdlib>

namespace sqlguard::approvals {
using db::sql_quote;
namespace {

std::string dump(const ApprovalRequest& r) {
  return r.to_doc().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

common::Result<ApprovalRequest> row_to_request(const std::vector<common::Cell>& row) {
  if (row.size() < 4 || !row[0] || !row[1] || !row[2])
    return common::fail(common::ErrorCode::kInvalidInput, "approval store: malformed row");
  auto r = ApprovalRequest::from_doc(nlohmann::json::parse(*row[2], nullptr, false));
  if (!r) return r;
  auto state = approval_state_from_string(*row[0]);
  if (!state)
    return common::fail(common::ErrorCode::kInvalidInput, "approval store: unknown state '" + *row[0] + "'");
  r->state = *state;
  r->version = std::strtoull(row[1]->c_str(), nullptr, 10);
  if (row[3]) {
    const int64_t used = std::strtoll(row[3]->c_str(), nullptr, 10);
    if (used != 0) r->used_ms = used;
  }
  return r;
}

}  // namespace

common::Result<std::unique_ptr<MariaDbApprovalStore>> MariaDbApprovalStore::open(
    db::DatabaseEndpoint endpoint) {
  if (endpoint.database.empty())
    return common::fail(common::ErrorCode::kInvalidInput, "approval store: no database (schema) configured");
  std::unique_ptr<MariaDbApprovalStore> store(new MariaDbApprovalStore(std::move(endpoint)));
  std::lock_guard lock(store->mu_);
  auto created = store->run(
      "CREATE TABLE IF NOT EXISTS sqlguard_approvals ("
      " id VARCHAR(64) NOT NULL PRIMARY KEY,"
      " state VARCHAR(16) NOT NULL,"
      " used TINYINT NOT NULL DEFAULT 0,"
      " used_ms BIGINT NOT NULL DEFAULT 0,"
      " version BIGINT UNSIGNED NOT NULL,"
      " created_ms BIGINT NOT NULL,"
      " expires_ms BIGINT NOT NULL,"
      " doc LONGTEXT NOT NULL,"
      " KEY sqlguard_approvals_created (created_ms)"
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
  if (!created) return std::unexpected(created.error());
  return store;
}

common::Result<common::ResultSet> MariaDbApprovalStore::run(const std::string& sql) {
  db::ExecuteOptions options;
  options.max_rows = UINT64_MAX - 1;
  options.max_result_bytes = UINT64_MAX - 1;
  options.timeout_ms = 10000;
  options.read_only = false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!connection_ || connection_->broken()) {
      auto c = db::MariaDbConnection::open(endpoint_);
      if (!c)
        return common::fail(common::ErrorCode::kUnavailable,
                            "approval store " + endpoint_.describe() + ": " + c.error().message);
      connection_ = std::move(*c);
    }
    auto rs = connection_->execute(sql, options);
    if (rs) return std::move(*rs);
    // Safe to retry only when nothing was sent (a lost reply to an UPDATE must not be re-run:
    // the caller would see "someone else won" for its own win).
    if (rs.error().before_statement && attempt == 0) {
      connection_.reset();
      continue;
    }
    if (connection_->broken()) connection_.reset();
    return common::fail(common::ErrorCode::kUnavailable,
                        "approval store " + endpoint_.describe() + ": " + rs.error().message);
  }
  return common::fail(common::ErrorCode::kUnavailable,
                      "approval store " + endpoint_.describe() + ": unavailable");
}

common::Result<void> MariaDbApprovalStore::insert(const ApprovalRequest& r) {
  std::lock_guard lock(mu_);
  auto rs = run(
      "INSERT INTO sqlguard_approvals (id, state, used, used_ms, version, created_ms, expires_ms, doc) "
      "VALUES (" +
      sql_quote(r.id) + ", " + sql_quote(to_string(r.state)) + ", 0, 0, 0, " + std::to_string(r.created_ms) +
      ", " + std::to_string(r.expires_ms) + ", " + sql_quote(dump(r)) + ")");
  if (!rs) return std::unexpected(rs.error());
  return {};
}

common::Result<std::optional<ApprovalRequest>> MariaDbApprovalStore::get(std::string_view id) {
  std::lock_guard lock(mu_);
  auto rs = run(std::string(kSelectApprovalRows) + " WHERE id = " + sql_quote(id));
  if (!rs) return std::unexpected(rs.error());
  if (rs->rows.empty()) return std::optional<ApprovalRequest>{};
  auto r = row_to_request(rs->rows[0]);
  if (!r) return std::unexpected(r.error());
  return std::optional<ApprovalRequest>(std::move(*r));
}

common::Result<uint64_t> MariaDbApprovalStore::count_pending(int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto rs = run("SELECT COUNT(*) FROM sqlguard_approvals WHERE state = 'pending' AND expires_ms > " +
                std::to_string(now_ms));
  if (!rs) return std::unexpected(rs.error());
  if (rs->rows.empty() || rs->rows[0].empty() || !rs->rows[0][0])
    return common::fail(common::ErrorCode::kUnavailable, "count: no result");
  return std::strtoull(rs->rows[0][0]->c_str(), nullptr, 10);
}

common::Result<std::vector<ApprovalRequest>> MariaDbApprovalStore::list(size_t limit) {
  std::lock_guard lock(mu_);
  auto rs = run(std::string(kSelectApprovalRows) + " ORDER BY created_ms DESC, id DESC LIMIT " +
                std::to_string(limit));
  if (!rs) return std::unexpected(rs.error());
  std::vector<ApprovalRequest> out;
  for (const auto& row : rs->rows) {
    auto r = row_to_request(row);
    if (!r) return std::unexpected(r.error());
    out.push_back(std::move(*r));
  }
  return out;
}

common::Result<bool> MariaDbApprovalStore::update(const ApprovalRequest& next, uint64_t expected_version,
                                                  ApprovalState expected_state) {
  std::lock_guard lock(mu_);
  auto rs = run("UPDATE sqlguard_approvals SET state = " + sql_quote(to_string(next.state)) + ", doc = " +
                sql_quote(dump(next)) + ", version = version + 1 WHERE id = " + sql_quote(next.id) +
                " AND version = " + std::to_string(expected_version) +
                " AND state = " + sql_quote(to_string(expected_state)));
  if (!rs) return std::unexpected(rs.error());
  return rs->affected_rows == 1;
}

common::Result<bool> MariaDbApprovalStore::consume(std::string_view id, int64_t now_ms) {
  std::lock_guard lock(mu_);
  const std::string now = std::to_string(now_ms);
  auto rs = run("UPDATE sqlguard_approvals SET state = 'used', used = 1, used_ms = " + now +
                ", version = version + 1 WHERE id = " + sql_quote(id) +
                " AND state = 'approved' AND used = 0 AND expires_ms > " + now);
  if (!rs) return std::unexpected(rs.error());
  return rs->affected_rows == 1;
}

}  // namespace sqlguard::approvals
