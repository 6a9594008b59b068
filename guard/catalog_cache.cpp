#include "guard/catalog_cache.h"

namespace sqlguard::guard {

std::string sql_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  for (char c : s) {
    switch (c) {
      case '\'': out += "\\'"; break;
      case '\\': out += "\\\\"; break;
      case '\0': out += "\\0"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\x1a': out += "\\Z"; break;
      default: out += c;
    }
  }
  out += '\'';
  return out;
}

std::optional<CatalogCache::Entry> CatalogCache::lookup(Connection& connection,
                                                       const std::string& schema,
                                                       const std::string& table) {
  const auto key = std::make_pair(schema, table);
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && std::chrono::steady_clock::now() - it->second.at < ttl_) {
      return it->second;
    }
  }
  const std::string where = " WHERE TABLE_SCHEMA = " + sql_quote(schema) + " AND TABLE_NAME = " + sql_quote(table);
  auto cols = connection.query("SELECT COLUMN_NAME FROM information_schema.COLUMNS" + where +
                               " ORDER BY ORDINAL_POSITION");
  if (!cols || cols->rows.empty()) return std::nullopt;
  auto type = connection.query("SELECT TABLE_TYPE FROM information_schema.TABLES" + where);
  if (!type || type->rows.empty() || !type->rows[0][0]) return std::nullopt;
  Entry e;
  for (const auto& row : cols->rows) {
    if (!row.empty() && row[0]) e.columns.push_back(*row[0]);
  }
  e.is_view = *type->rows[0][0] == "VIEW";
  e.at = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  entries_[key] = e;
  return e;
}

std::optional<std::vector<std::string>> CatalogCache::columns(Connection& connection,
                                                              const std::string& schema,
                                                              const std::string& table) {
  auto e = lookup(connection, schema, table);
  if (!e) return std::nullopt;
  return e->columns;
}

std::optional<bool> CatalogCache::is_view(Connection& connection, const std::string& schema,
                                          const std::string& table) {
  auto e = lookup(connection, schema, table);
  if (!e) return std::nullopt;
  return e->is_view;
}

}  // namespace sqlguard::guard
