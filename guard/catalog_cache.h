// The database catalog for policy and masking (policy/catalog.h): tables, views and sequences
// from information_schema, cached.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "db/connection.h"
#include "policy/catalog.h"

namespace sqlguard::guard {

/// Where the guard reads the catalog (policy/catalog.h) from. CatalogCache is the production
/// source; tests give a fixed one (tests/mocks/fixed_catalog.h). Thread-safe.
class CatalogSource {
 public:
  virtual ~CatalogSource() = default;

  /// schema.table, or nullptr when there is no such object. `connection()` gives a database
  /// connection when the source needs one (it returns nullptr with `error` set when none can be
  /// had). Errors (a message naming why, never a credential): kUnavailable when no connection
  /// can be had; else the code of the failed lookup query (kDatabase, kUnavailable, ...).
  virtual common::Result<policy::CatalogEntry> table(
      const std::function<db::Connection*(std::string& error)>& connection, const std::string& schema,
      const std::string& table) = 0;
};

/// Thread-safe cache of catalog entries (information_schema.TABLES, COLUMNS, STATISTICS,
/// PARTITIONS, VIEWS), each valid for `ttl`. Unknown names are not cached.
class CatalogCache final : public CatalogSource {
 public:
  explicit CatalogCache(std::chrono::seconds ttl = std::chrono::seconds(60)) : ttl_(ttl) {}

  /// schema.table from the cache or, on a miss, looked up with five queries over the connection
  /// `connection()` returns (called only on a miss; it returns nullptr with `error` set when no
  /// connection can be had). nullptr: no such object. Errors: kUnavailable when no connection
  /// can be had (the message is the one `connection()` set); else as lookup(). Entries are
  /// shared, not copied, on a hit.
  common::Result<policy::CatalogEntry> table(
      const std::function<db::Connection*(std::string& error)>& connection, const std::string& schema,
      const std::string& table) override;

  /// Looks schema.table up over `connection`, uncached. Errors: the failed query's error as the
  /// connection reported it (kDatabase, kUnavailable, kTimeout, ...).
  static common::Result<policy::CatalogEntry> lookup(db::Connection& connection, const std::string& schema,
                                                     const std::string& table);

 private:
  struct Entry {
    policy::CatalogEntry table;
    std::chrono::steady_clock::time_point at;
  };
  std::chrono::seconds ttl_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Entry> entries_;
};

/// A policy::Catalog for one call. Cache hits need no connection; on a miss it uses the
/// connection it was given, or leases one from the pool and keeps it until release() (or its
/// destruction), so one call holds at most one extra connection, briefly.
class CallCatalog final : public policy::Catalog {
 public:
  CallCatalog(CatalogSource& cache, db::ConnectionSource& pool) : cache_(cache), pool_(&pool) {}
  CallCatalog(CatalogSource& cache, db::Connection& connection) : cache_(cache), connection_(&connection) {}

  common::Result<policy::CatalogEntry> table(std::string_view schema, std::string_view table) const override;

  /// Returns a connection leased for lookups to the pool.
  void release() { lease_.reset(); }
  /// Set when a lookup needed a connection and the pool could not give one (kUnavailable).
  const std::optional<common::Error>& unavailable() const { return unavailable_; }

 private:
  CatalogSource& cache_;
  db::ConnectionSource* pool_ = nullptr;
  db::Connection* connection_ = nullptr;
  mutable std::optional<db::ConnectionSource::Lease> lease_;
  mutable std::optional<common::Error> unavailable_;
};

}  // namespace sqlguard::guard
