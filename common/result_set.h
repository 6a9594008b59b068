// A result set as read from the database, before and after masking, in terms of the MySQL
// client/server protocol (column types and flags are the protocol's values, named here so that
// nothing outside db/ needs <mysql.h>).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sqlguard::common {

/// Column types as the server sends them in Protocol::ColumnDefinition41 (the values of
/// enum_field_types / MYSQL_TYPE_*; MariaDB and MySQL client/server protocol).
enum class ColumnType : uint8_t {
  kDecimal = 0,
  kTiny = 1,
  kShort = 2,
  kLong = 3,
  kFloat = 4,
  kDouble = 5,
  kNull = 6,
  kTimestamp = 7,
  kLongLong = 8,
  kInt24 = 9,
  kDate = 10,
  kTime = 11,
  kDateTime = 12,
  kYear = 13,
  kNewDate = 14,
  kVarchar = 15,
  kBit = 16,
  kJson = 245,
  kNewDecimal = 246,
  kEnum = 247,
  kSet = 248,
  kTinyBlob = 249,
  kMediumBlob = 250,
  kLongBlob = 251,
  kBlob = 252,
  kVarString = 253,
  kString = 254,
  kGeometry = 255,
};

/// Column definition flags (Protocol::ColumnDefinition41 `flags`; *_FLAG in mysql_com.h).
namespace column_flag {
inline constexpr uint32_t kNotNull = 1;
inline constexpr uint32_t kPrimaryKey = 2;
inline constexpr uint32_t kUniqueKey = 4;
inline constexpr uint32_t kMultipleKey = 8;
inline constexpr uint32_t kBlob = 16;
inline constexpr uint32_t kUnsigned = 32;
inline constexpr uint32_t kZerofill = 64;
inline constexpr uint32_t kBinary = 128;
inline constexpr uint32_t kEnum = 256;
inline constexpr uint32_t kAutoIncrement = 512;
inline constexpr uint32_t kTimestamp = 1024;
inline constexpr uint32_t kSet = 2048;
inline constexpr uint32_t kNum = 32768;
}  // namespace column_flag

/// Character set numbers (collation ids) the guard relies on.
inline constexpr uint32_t kCharsetBinary = 63;   ///< binary: bytes, not text
inline constexpr uint32_t kCharsetUtf8mb4 = 45;  ///< utf8mb4_general_ci, the pinned connection charset

/// One result column with the origin metadata the server sent in its column-definition packet
/// (Protocol::ColumnDefinition41). The origin fields are empty when the column is an
/// expression, and name a derived table or CTE when it comes from one.
struct ResultColumn {
  std::string name;       ///< label as the client sees it (alias if any)
  std::string org_name;   ///< origin column name; "" for expressions
  std::string table;      ///< table alias; "" for expressions
  std::string org_table;  ///< origin table; "" for expressions, derived-table name for derived tables
  std::string schema;     ///< origin schema (`db` field); "" for expressions
  ColumnType type = ColumnType::kDecimal;
  std::string type_name;     ///< SQL type name for clients: "VARCHAR", "INT", "DATE", ...
  uint32_t flags = 0;        ///< column_flag bits
  uint32_t charset = 0;      ///< charset number; kCharsetBinary means binary
  bool masked = false;       ///< set by masking: values in this column were masked
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

}  // namespace sqlguard::common
