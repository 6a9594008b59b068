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
  static std::expected<std::unique_ptr<SqliteApprovalStore>, std::string> open(
      const std::filesystem::path& file);
  ~SqliteApprovalStore() override;
  SqliteApprovalStore(const SqliteApprovalStore&) = delete;
  SqliteApprovalStore& operator=(const SqliteApprovalStore&) = delete;

  std::expected<void, std::string> insert(const ApprovalRequest& request) override;
  std::expected<std::optional<ApprovalRequest>, std::string> get(std::string_view id) override;
  std::expected<std::vector<ApprovalRequest>, std::string> list(size_t limit) override;
  std::expected<uint64_t, std::string> count_pending(int64_t now_ms) override;
  std::expected<bool, std::string> update(const ApprovalRequest& next, uint64_t expected_version,
                                          ApprovalState expected_state) override;
  std::expected<bool, std::string> consume(std::string_view id, int64_t now_ms) override;

 private:
  explicit SqliteApprovalStore(sqlite3* db) : db_(db) {}
  std::string error(const std::string& what) const;

  std::mutex mu_;
  sqlite3* db_;
};

}  // namespace sqlguard::approvals
