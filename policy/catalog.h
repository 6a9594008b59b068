// What the database catalog says about one table, view or sequence: the facts policy and
// masking need beyond the statement text (view definitions, invisible columns, column defaults,
// indexes, partitioning expressions). Implemented by the guard over information_schema with a
// cache (guard/catalog_cache.h); tests use fixed catalogs.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace sqlguard::policy {

/// One column (information_schema.COLUMNS).
struct CatalogColumn {
  std::string name;
  /// INVISIBLE column (MariaDB 10.3+, MySQL 8.0.23+: EXTRA contains "INVISIBLE"): not part of
  /// `SELECT *`, but readable by name.
  bool invisible = false;
  /// COLUMN_DEFAULT as the server prints it (`'900-11-2233'`, `nextval(`shop`.`s`)`, `NULL`),
  /// std::nullopt when the column has no default.
  std::optional<std::string> default_expression;
  /// GENERATION_EXPRESSION of a generated (virtual or stored) column, as the server prints it
  /// ("octet_length(`ssn`)"); std::nullopt for an ordinary column.
  std::optional<std::string> generation_expression = std::nullopt;
};

/// One index (information_schema.STATISTICS), its columns in index order.
struct CatalogIndex {
  std::string name;  ///< "PRIMARY" for the primary key
  std::vector<std::string> columns;
};

/// A table, view or sequence as the catalog describes it.
struct CatalogTable {
  enum class Type : uint8_t {
    kBaseTable,   ///< TABLE_TYPE 'BASE TABLE' or 'SYSTEM VERSIONED'
    kView,        ///< 'VIEW'
    kSequence,    ///< 'SEQUENCE' (MariaDB)
    kSystemView,  ///< 'SYSTEM VIEW' (information_schema)
  };
  Type type = Type::kBaseTable;
  std::vector<CatalogColumn> columns;  ///< ordinal order, invisible columns included
  std::vector<CatalogIndex> indexes;
  /// PARTITION_EXPRESSION and SUBPARTITION_EXPRESSION (information_schema.PARTITIONS), distinct,
  /// as the server prints them ("`ssn`", "year(`born`)"); an empty string stands for
  /// `PARTITION BY KEY()` (the primary key). Empty vector: the table is not partitioned.
  std::vector<std::string> partition_expressions;
  /// For a view: information_schema.VIEWS.VIEW_DEFINITION (the server's normalised SELECT, with
  /// qualified names). Empty when the server does not show it to sqlguard's account (it needs
  /// the SHOW VIEW privilege).
  std::string view_definition;

  /// Names of the columns `SELECT *` returns, in order (invisible columns left out).
  std::vector<std::string> star_columns() const;
  /// The column named `name` (compared without case), or nullptr.
  const CatalogColumn* column(std::string_view name) const;
};

/// A catalog entry, shared and immutable (the guard's cache hands out the same entry to every
/// call); nullptr stands for "no such object".
using CatalogEntry = std::shared_ptr<const CatalogTable>;

/// Read access to the catalog. Implementations must be safe to call from one thread at a time
/// per instance; the guard's implementation is shared between calls and thread-safe.
class Catalog {
 public:
  virtual ~Catalog() = default;
  /// The table, view or sequence schema.table. nullptr: no such object (or not visible to
  /// sqlguard's account; the statement then fails in the database). Errors: the lookup
  /// failed, with the code of the failure (kUnavailable when the database is unreachable,
  /// kDatabase when a catalog query failed, ...); callers fail closed with the message.
  virtual common::Result<CatalogEntry> table(std::string_view schema, std::string_view table) const = 0;
};

}  // namespace sqlguard::policy
