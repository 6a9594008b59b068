#include "guard/catalog_cache.h"

#include <algorithm>

#include "db/sql_literal.h"

namespace sqlguard::guard {

using db::sql_quote;

common::Result<policy::CatalogEntry> CatalogCache::lookup(db::Connection& connection,
                                                          const std::string& schema,
                                                          const std::string& table) {
  using policy::CatalogTable;
  const std::string where =
      " WHERE TABLE_SCHEMA = " + sql_quote(schema) + " AND TABLE_NAME = " + sql_quote(table);
  auto type = connection.query("SELECT TABLE_TYPE FROM information_schema.TABLES" + where);
  if (!type) return std::unexpected(type.error());
  if (type->rows.empty() || type->rows[0].empty() || !type->rows[0][0]) return policy::CatalogEntry{};
  CatalogTable t;
  const std::string& kind = *type->rows[0][0];
  if (kind == "VIEW")
    t.type = CatalogTable::Type::kView;
  else if (kind == "SEQUENCE")
    t.type = CatalogTable::Type::kSequence;
  else if (kind == "SYSTEM VIEW")
    t.type = CatalogTable::Type::kSystemView;
  else
    t.type = CatalogTable::Type::kBaseTable;  // BASE TABLE, SYSTEM VERSIONED

  auto cols = connection.query(
      "SELECT COLUMN_NAME, EXTRA, COLUMN_DEFAULT, GENERATION_EXPRESSION FROM information_schema.COLUMNS" +
      where + " ORDER BY ORDINAL_POSITION");
  if (!cols) return std::unexpected(cols.error());
  for (const auto& row : cols->rows) {
    if (row.size() < 4 || !row[0]) continue;
    policy::CatalogColumn c;
    c.name = *row[0];
    std::string extra = row[1].value_or("");
    std::transform(extra.begin(), extra.end(), extra.begin(),
                   [](unsigned char ch) { return std::toupper(ch); });
    c.invisible = extra.find("INVISIBLE") != std::string::npos;
    c.default_expression = row[2];
    if (row[3] && !row[3]->empty()) c.generation_expression = row[3];
    t.columns.push_back(std::move(c));
  }
  if (t.type == CatalogTable::Type::kBaseTable) {
    auto idx = connection.query("SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS" + where +
                                " ORDER BY INDEX_NAME, SEQ_IN_INDEX");
    if (!idx) return std::unexpected(idx.error());
    for (const auto& row : idx->rows) {
      if (row.size() < 2 || !row[0]) continue;
      if (t.indexes.empty() || t.indexes.back().name != *row[0]) t.indexes.push_back({*row[0], {}});
      if (row[1]) t.indexes.back().columns.push_back(*row[1]);  // NULL for a functional key part
    }
    auto parts = connection.query(
        "SELECT DISTINCT PARTITION_EXPRESSION, SUBPARTITION_EXPRESSION FROM information_schema.PARTITIONS" +
        where + " AND PARTITION_NAME IS NOT NULL");
    if (!parts) return std::unexpected(parts.error());
    for (const auto& row : parts->rows) {
      for (std::size_t i = 0; i < row.size() && i < 2; ++i) {
        if (i == 1 && !row[i]) continue;  // no subpartitions
        const std::string e = row[i].value_or("");
        if (std::find(t.partition_expressions.begin(), t.partition_expressions.end(), e) ==
            t.partition_expressions.end()) {
          t.partition_expressions.push_back(e);
        }
      }
    }
  }
  if (t.type == CatalogTable::Type::kView) {
    auto def = connection.query("SELECT VIEW_DEFINITION FROM information_schema.VIEWS" + where);
    if (!def) return std::unexpected(def.error());
    if (!def->rows.empty() && !def->rows[0].empty() && def->rows[0][0]) t.view_definition = *def->rows[0][0];
  }
  return std::make_shared<const CatalogTable>(std::move(t));
}

common::Result<policy::CatalogEntry> CatalogCache::table(
    const std::function<db::Connection*(std::string& error)>& connection, const std::string& schema,
    const std::string& table) {
  const auto key = std::make_pair(schema, table);
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && std::chrono::steady_clock::now() - it->second.at < ttl_)
      return it->second.table;
  }
  std::string error;
  db::Connection* c = connection(error);
  if (c == nullptr) return common::fail(common::ErrorCode::kUnavailable, error);
  auto got = lookup(*c, schema, table);
  if (!got || *got == nullptr) return got;
  std::lock_guard lock(mu_);
  entries_[key] = Entry{*got, std::chrono::steady_clock::now()};
  return got;
}

common::Result<policy::CatalogEntry> CallCatalog::table(std::string_view schema,
                                                        std::string_view table) const {
  auto connection = [this](std::string& error) -> db::Connection* {
    if (connection_ != nullptr) return connection_;
    if (!lease_) {
      auto l = pool_->acquire();
      if (!l) {
        unavailable_ = l.error();
        error = l.error().message;
        return nullptr;
      }
      lease_.emplace(std::move(*l));
    }
    return &**lease_;
  };
  return cache_.table(connection, std::string(schema), std::string(table));
}

}  // namespace sqlguard::guard
