#include "approvals/sqlite_approval_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

namespace sqlguard::approvals {
namespace {

/// One prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { ok_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) == SQLITE_OK; }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return ok_; }
  void bind(int i, std::string_view s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  int step() { return sqlite3_step(stmt_); }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  bool ok_ = false;
};

common::Result<ApprovalRequest> row_to_request(const Stmt& s) {
  const nlohmann::json doc = nlohmann::json::parse(s.text(2), nullptr, false);
  auto r = ApprovalRequest::from_doc(doc);
  if (!r) return r;
  auto state = approval_state_from_string(s.text(0));
  if (!state)
    return common::fail(common::ErrorCode::kInvalidInput, "unknown approval state '" + s.text(0) + "'");
  r->state = *state;
  r->version = static_cast<uint64_t>(s.integer(1));
  if (s.integer(3) != 0) r->used_ms = s.integer(3);
  return r;
}

}  // namespace

common::Result<std::unique_ptr<SqliteApprovalStore>> SqliteApprovalStore::open(
    const std::filesystem::path& file) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  const mode_t old = ::umask(077);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  ::umask(old);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return common::fail(common::ErrorCode::kUnavailable, "approval store " + file.string() + ": " + msg);
  }
  std::unique_ptr<SqliteApprovalStore> store(new SqliteApprovalStore(db));
  sqlite3_busy_timeout(db, 5000);
  const char* setup =
      "PRAGMA journal_mode=WAL;"
      "PRAGMA synchronous=FULL;"
      "CREATE TABLE IF NOT EXISTS sqlguard_approvals ("
      " id TEXT PRIMARY KEY,"
      " state TEXT NOT NULL,"
      " used INTEGER NOT NULL DEFAULT 0,"
      " used_ms INTEGER NOT NULL DEFAULT 0,"
      " version INTEGER NOT NULL,"
      " created_ms INTEGER NOT NULL,"
      " expires_ms INTEGER NOT NULL,"
      " doc TEXT NOT NULL);"
      "CREATE INDEX IF NOT EXISTS sqlguard_approvals_created ON sqlguard_approvals (created_ms);";
  char* err = nullptr;
  if (sqlite3_exec(db, setup, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return common::fail(common::ErrorCode::kUnavailable, "approval store " + file.string() + ": " + msg);
  }
  return store;
}

SqliteApprovalStore::~SqliteApprovalStore() { sqlite3_close(db_); }

common::Error SqliteApprovalStore::error(const std::string& what) const {
  return common::Error{common::ErrorCode::kUnavailable,
                       "approval store: " + what + ": " + std::string(sqlite3_errmsg(db_))};
}

common::Result<void> SqliteApprovalStore::insert(const ApprovalRequest& r) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "INSERT INTO sqlguard_approvals (id, state, used, used_ms, version, created_ms, expires_ms, doc) "
         "VALUES (?1, ?2, 0, 0, 0, ?3, ?4, ?5)");
  if (!s.ok()) return std::unexpected(error("insert"));
  s.bind(1, r.id);
  s.bind(2, to_string(r.state));
  s.bind(3, r.created_ms);
  s.bind(4, r.expires_ms);
  s.bind(5, r.to_doc().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (s.step() != SQLITE_DONE) return std::unexpected(error("insert"));
  return {};
}

common::Result<std::optional<ApprovalRequest>> SqliteApprovalStore::get(std::string_view id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, (std::string(kSelectApprovalRows) + " WHERE id = ?1").c_str());
  if (!s.ok()) return std::unexpected(error("get"));
  s.bind(1, id);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<ApprovalRequest>{};
  if (rc != SQLITE_ROW) return std::unexpected(error("get"));
  auto r = row_to_request(s);
  if (!r) return std::unexpected(r.error());
  return std::optional<ApprovalRequest>(std::move(*r));
}

common::Result<uint64_t> SqliteApprovalStore::count_pending(int64_t now_ms) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT COUNT(*) FROM sqlguard_approvals WHERE state = 'pending' AND expires_ms > ?1");
  if (!s.ok()) return std::unexpected(error("count"));
  s.bind(1, now_ms);
  if (s.step() != SQLITE_ROW) return std::unexpected(error("count"));
  return static_cast<uint64_t>(s.integer(0));
}

common::Result<std::vector<ApprovalRequest>> SqliteApprovalStore::list(size_t limit) {
  std::lock_guard lock(mu_);
  Stmt s(db_, (std::string(kSelectApprovalRows) + " ORDER BY created_ms DESC, rowid DESC LIMIT ?1").c_str());
  if (!s.ok()) return std::unexpected(error("list"));
  s.bind(1, static_cast<int64_t>(limit));
  std::vector<ApprovalRequest> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    auto r = row_to_request(s);
    if (!r) return std::unexpected(r.error());
    out.push_back(std::move(*r));
  }
  if (rc != SQLITE_DONE) return std::unexpected(error("list"));
  return out;
}

common::Result<bool> SqliteApprovalStore::update(const ApprovalRequest& next, uint64_t expected_version,
                                                 ApprovalState expected_state) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "UPDATE sqlguard_approvals SET state = ?1, doc = ?2, version = version + 1 "
         "WHERE id = ?3 AND version = ?4 AND state = ?5");
  if (!s.ok()) return std::unexpected(error("update"));
  s.bind(1, to_string(next.state));
  s.bind(2, next.to_doc().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  s.bind(3, next.id);
  s.bind(4, static_cast<int64_t>(expected_version));
  s.bind(5, to_string(expected_state));
  if (s.step() != SQLITE_DONE) return std::unexpected(error("update"));
  return sqlite3_changes(db_) == 1;
}

common::Result<bool> SqliteApprovalStore::consume(std::string_view id, int64_t now_ms) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "UPDATE sqlguard_approvals SET state = 'used', used = 1, used_ms = ?1, version = version + 1 "
         "WHERE id = ?2 AND state = 'approved' AND used = 0 AND expires_ms > ?1");
  if (!s.ok()) return std::unexpected(error("consume"));
  s.bind(1, now_ms);
  s.bind(2, id);
  if (s.step() != SQLITE_DONE) return std::unexpected(error("consume"));
  return sqlite3_changes(db_) == 1;
}

}  // namespace sqlguard::approvals
