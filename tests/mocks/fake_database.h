// A scripted database behind the db::ConnectionSource seam, for hermetic tests of the guard:
// every statement goes to `on_execute` (which may block, fail, or return rows), every lease and
// release is counted (a lease that is never given back is a pool-slot leak), KILL QUERY is
// recorded, and the catalog comes from a FixedCatalog instead of information_schema.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.h"
#include "db/connection.h"
#include "guard/catalog_cache.h"
#include "tests/mocks/fixed_catalog.h"

namespace sqlguard::test_support {

class FakeDatabase;

class FakeConnection final : public db::Connection {
 public:
  FakeConnection(FakeDatabase& db, uint64_t thread_id) : db_(db), thread_id_(thread_id) {}
  common::Result<common::ResultSet> execute(std::string_view sql, const db::ExecuteOptions& options) override;
  common::Result<common::ResultSet> query(std::string_view sql) override;
  bool reset() override { return !broken_; }
  bool ping() override { return !broken_; }
  std::string_view default_schema() const override { return "shop"; }
  uint64_t thread_id() const override { return thread_id_; }
  bool broken() const override { return broken_; }
  bool broken_ = false;

 private:
  FakeDatabase& db_;
  uint64_t thread_id_;
};

/// What a statement saw when it reached the database.
struct Executed {
  std::string sql;
  db::ExecuteOptions options;  ///< options.schema is cleared (it viewed the caller's string): see `schema`
  uint64_t thread_id = 0;
  std::string schema;  ///< options.schema, copied
};

class FakeDatabase final : public db::ConnectionSource {
 public:
  /// Answers each statement; the default returns one column `v` with one row "1". The connection
  /// is the one the statement runs on (set broken_ to make the guard discard it).
  std::function<common::Result<common::ResultSet>(std::string_view sql, FakeConnection& connection)>
      on_execute;
  /// acquire() fails with kUnavailable while set.
  std::atomic<bool> unavailable{false};

  common::Result<Lease> acquire() override {
    if (unavailable)
      return std::unexpected(
          common::Error{common::ErrorCode::kUnavailable, "the database is unavailable (fake)"});
    std::lock_guard lock(mu_);
    ++acquired_;
    ++leased_;
    return Lease(this, std::make_unique<FakeConnection>(*this, ++next_thread_id_));
  }
  void kill_query(uint64_t thread_id) override {
    std::lock_guard lock(mu_);
    killed_.push_back(thread_id);
    cv_.notify_all();
  }
  common::Result<void> check() override { return {}; }
  db::SourceStats stats() const override {
    std::lock_guard lock(mu_);
    return db::SourceStats{leased_, leased_, acquired_, 0};
  }
  std::string_view default_schema() const override { return "shop"; }

  /// Statements executed so far, in order.
  std::vector<Executed> executed() const {
    std::lock_guard lock(mu_);
    return executed_;
  }
  std::vector<uint64_t> killed() const {
    std::lock_guard lock(mu_);
    return killed_;
  }
  /// Leases handed out and not yet given back.
  uint32_t leased() const {
    std::lock_guard lock(mu_);
    return leased_;
  }
  /// Blocks until kill_query was called for `thread_id` (for statements that wait to be cancelled).
  void wait_for_kill(uint64_t thread_id) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return std::find(killed_.begin(), killed_.end(), thread_id) != killed_.end(); });
  }

  void record(std::string_view sql, const db::ExecuteOptions& options, uint64_t thread_id) {
    std::lock_guard lock(mu_);
    Executed e{std::string(sql), options, thread_id, std::string(options.schema)};
    e.options.schema = {};
    executed_.push_back(std::move(e));
  }

 protected:
  void release(std::unique_ptr<db::Connection> connection) override {
    std::lock_guard lock(mu_);
    --leased_;
    connection.reset();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint32_t leased_ = 0;
  uint64_t acquired_ = 0;
  uint64_t next_thread_id_ = 100;
  std::vector<Executed> executed_;
  std::vector<uint64_t> killed_;
};

inline common::Result<common::ResultSet> FakeConnection::execute(std::string_view sql,
                                                                 const db::ExecuteOptions& options) {
  db_.record(sql, options, thread_id_);
  if (db_.on_execute) return db_.on_execute(sql, *this);
  common::ResultSet rs;
  rs.has_result_set = true;
  rs.columns.push_back(
      common::ResultColumn{.name = "v", .type = common::ColumnType::kLongLong, .type_name = "BIGINT"});
  rs.rows.push_back({std::string("1")});
  return rs;
}

inline common::Result<common::ResultSet> FakeConnection::query(std::string_view) {
  return std::unexpected(
      common::Error{common::ErrorCode::kInternal, "the fake database answers no catalog queries"});
}

/// guard::CatalogSource over a FixedCatalog: no information_schema, no connection needed.
class FixedCatalogSource final : public guard::CatalogSource {
 public:
  explicit FixedCatalogSource(const FixedCatalog& catalog) : catalog_(catalog) {}
  common::Result<policy::CatalogEntry> table(const std::function<db::Connection*(std::string&)>&,
                                             const std::string& schema, const std::string& table) override {
    return catalog_.table(schema, table);
  }

 private:
  const FixedCatalog& catalog_;
};

}  // namespace sqlguard::test_support
