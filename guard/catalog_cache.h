// Column lists of tables from information_schema, cached, for masking (`*` expansion).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "guard/connection.h"
#include "policy/masking_engine.h"

namespace sqlguard::guard {

/// Thread-safe cache of information_schema.COLUMNS, entries valid for `ttl`.
class CatalogCache {
 public:
  explicit CatalogCache(std::chrono::seconds ttl = std::chrono::seconds(60)) : ttl_(ttl) {}

  /// Columns of schema.table in ordinal order, looked up over `connection` on a miss;
  /// std::nullopt when the table is unknown or the lookup failed.
  std::optional<std::vector<std::string>> columns(Connection& connection, const std::string& schema,
                                                  const std::string& table);

  /// Whether schema.table is a view; std::nullopt when unknown or the lookup failed.
  std::optional<bool> is_view(Connection& connection, const std::string& schema,
                              const std::string& table);

 private:
  struct Entry {
    std::vector<std::string> columns;
    bool is_view = false;
    std::chrono::steady_clock::time_point at;
  };
  std::optional<Entry> lookup(Connection& connection, const std::string& schema,
                              const std::string& table);
  std::chrono::seconds ttl_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Entry> entries_;
};

/// A policy::Catalog bound to one leased connection for the duration of one call.
class LeasedCatalog final : public policy::Catalog {
 public:
  LeasedCatalog(CatalogCache& cache, Connection& connection) : cache_(cache), connection_(connection) {}
  std::optional<std::vector<std::string>> columns(std::string_view schema,
                                                  std::string_view table) const override {
    return cache_.columns(connection_, std::string(schema), std::string(table));
  }
  std::optional<bool> is_view(std::string_view schema, std::string_view table) const override {
    return cache_.is_view(connection_, std::string(schema), std::string(table));
  }

 private:
  CatalogCache& cache_;
  Connection& connection_;
};

/// SQL string literal for `s` ('...' with quotes and backslashes escaped) under the pinned
/// sql_mode (backslash escapes on).
std::string sql_quote(std::string_view s);

}  // namespace sqlguard::guard
