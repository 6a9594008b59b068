// A result set as read from the database, before and after masking.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sqlguard::policy {

/// One result column with the origin metadata the server sent in its column-definition packet
/// (MySQL client/server protocol, Protocol::ColumnDefinition41). The origin fields are empty when
/// the column is an expression, and name a derived table or CTE when it comes from one.
struct ResultColumn {
  std::string name;       ///< label as the client sees it (alias if any)
  std::string org_name;   ///< origin column name; "" for expressions
  std::string table;      ///< table alias; "" for expressions
  std::string org_table;  ///< origin table; "" for expressions, derived-table name for derived tables
  std::string schema;     ///< origin schema (`db` field); "" for expressions
  int type = 0;           ///< enum_field_types value (MYSQL_TYPE_*)
  std::string type_name;  ///< SQL type name for clients: "VARCHAR", "INT", "DATE", ...
  uint32_t flags = 0;     ///< column flags (NOT_NULL_FLAG, BINARY_FLAG, ...)
  uint32_t charset = 0;   ///< charset number; 63 means binary
  bool masked = false;    ///< set by masking: values in this column were masked
  std::string masking_rule;  ///< id of the masking rule applied, when masked
};

/// One cell in text form (the text protocol's representation); std::nullopt is SQL NULL.
using Cell = std::optional<std::string>;
using Row = std::vector<Cell>;

/// The outcome of one statement. For statements without a result set, `columns` and `rows` are
/// empty and `affected_rows` / `last_insert_id` describe the effect.
struct ResultSet {
  std::vector<ResultColumn> columns;
  std::vector<Row> rows;
  bool has_result_set = false;  ///< false for INSERT/UPDATE/DDL and similar
  bool truncated = false;       ///< true when rows were cut at the row or byte limit
  uint64_t affected_rows = 0;
  uint64_t last_insert_id = 0;
  uint32_t warning_count = 0;
};

}  // namespace sqlguard::policy
