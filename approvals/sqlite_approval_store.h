// The embedded approval store: one SQLite file (the default; one sqlguard instance, plus the
// `sqlguard approvals` CLI on the same host, which SQLite's file locking keeps consistent).
#pragma once

#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "approvals/approval_store.h"

struct sqlite3;

namespace sqlguard::approvals {

/// ApprovalStore on a SQLite file (WAL journal, 5 s busy timeout, table `sqlguard_approvals`).
/// Thread-safety: thread-safe (one connection behind a mutex); several processes may open the
/// same file.
class SqliteApprovalStore final : public ApprovalStore {
 public:
  /// Opens or creates `file` (mode 0600; parent directory created) and the table. Errors: the
  /// file cannot be opened or is not a SQLite database.
  static common::Result<std::unique_ptr<SqliteApprovalStore>> open(const std::filesystem::path& file);
  ~SqliteApprovalStore() override;
  SqliteApprovalStore(const SqliteApprovalStore&) = delete;
  SqliteApprovalStore& operator=(const SqliteApprovalStore&) = delete;

  common::Result<void> insert(const ApprovalRequest& request) override;
  common::Result<std::optional<ApprovalRequest>> get(std::string_view id) override;
  common::Result<std::vector<ApprovalRequest>> list(size_t limit) override;
  common::Result<uint64_t> count_pending(int64_t now_ms) override;
  common::Result<bool> update(const ApprovalRequest& next, uint64_t expected_version,
                              ApprovalState expected_state) override;
  common::Result<bool> consume(std::string_view id, int64_t now_ms) override;

 private:
  explicit SqliteApprovalStore(sqlite3* db) : db_(db) {}
  common::Error error(const std::string& what) const;  ///< kUnavailable, naming the file and SQLite message

  std::mutex mu_;
  sqlite3* db_;
};

}  // namespace sqlguard::approvals
