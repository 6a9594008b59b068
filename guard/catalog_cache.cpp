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

std::optional<std::vector<std::string>> CatalogCache::columns(Connection& connection,
                                                              const std::string& schema,
                                                              const std::string& table) {
  const auto key = std::make_pair(schema, table);
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && std::chrono::steady_clock::now() - it->second.at < ttl_) {
      return it->second.columns;
    }
  }
  auto rs = connection.query(
      "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " + sql_quote(schema) +
      " AND TABLE_NAME = " + sql_quote(table) + " ORDER BY ORDINAL_POSITION");
  if (!rs || rs->rows.empty()) return std::nullopt;
  std::vector<std::string> cols;
  for (const auto& row : rs->rows) {
    if (!row.empty() && row[0]) cols.push_back(*row[0]);
  }
  std::lock_guard lock(mu_);
  entries_[key] = Entry{cols, std::chrono::steady_clock::now()};
  return cols;
}

}  // namespace sqlguard::guard
