// What sqlguard understood of one SQL statement: its kind, what it touches and how.
//
// The analysis is produced by StatementAnalyzer (statement_analyzer.h) from the statement text
// alone, tokenised exactly as MariaDB 10.11+/MySQL 8 do under the sql_mode the guard pins on every
// connection (guard/session_settings.h). It never touches the network. Anything the analyzer does
// not fully understand sets `understood = false` with a reason, and the policy denies it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sqlguard::policy {

/// Statement families of MySQL 8 / MariaDB 10.11+. Config files name them by to_string():
/// lower-case with underscores ("select", "insert", "create_table", "set", "show", ...).
enum class StatementKind : uint8_t {
  kUnknown = 0,
  // Queries (read data)
  kSelect,        ///< SELECT, WITH ... SELECT, parenthesised selects, UNION/INTERSECT/EXCEPT
  kTable,         ///< TABLE t
  kValues,        ///< VALUES ROW(...)
  kShow,          ///< SHOW ...
  kDescribe,      ///< DESCRIBE / DESC / EXPLAIN t
  kExplain,       ///< EXPLAIN [ANALYZE|FORMAT=...] statement, ANALYZE statement (MariaDB)
  kHandler,       ///< HANDLER t OPEN/READ/CLOSE
  kDo,            ///< DO expr
  // Data changes
  kInsert, kReplace, kUpdate, kDelete, kLoadData, kLoadXml, kCall,
  // Schema changes
  kCreateTable, kCreateView, kCreateIndex, kCreateDatabase, kCreateRoutine, kCreateTrigger,
  kCreateEvent, kCreateOther, kAlterTable, kAlterOther, kDropTable, kDropView, kDropIndex,
  kDropDatabase, kDropOther, kRenameTable, kTruncate,
  // Privileges and accounts
  kGrant, kRevoke, kCreateUser, kAlterUser, kDropUser, kRenameUser, kSetPassword, kCreateRole,
  kDropRole, kSetRole,
  // Session and transaction control
  kSet, kSetStatement, kUse, kStartTransaction, kCommit, kRollback, kSavepoint,
  kReleaseSavepoint, kSetTransaction, kXa, kLockTables, kUnlockTables,
  // Dynamic SQL
  kPrepare, kExecute, kExecuteImmediate, kDeallocate,
  // Administration
  kAnalyzeTable, kCheckTable, kOptimizeTable, kRepairTable, kChecksumTable, kFlush, kKill,
  kReset, kPurge, kInstall, kUninstall, kShutdown, kBinlog, kReplication, kCache, kBackup,
  kSignal, kGetDiagnostics, kHelp,
};

/// Stable lower-case name, e.g. "select", "drop_table". Used in config files, audit records,
/// decisions and `sqlguard check` output.
std::string_view to_string(StatementKind kind);
/// Inverse of to_string(); std::nullopt for an unknown name.
std::optional<StatementKind> statement_kind_from_string(std::string_view name);
/// True for kinds that only read data (kSelect, kTable, kValues, kShow, kDescribe, kExplain,
/// kDo without side-effect functions is still NOT read-only for policy purposes: false).
bool is_read_kind(StatementKind kind);

/// Where a column is referenced. A bit set: one reference may carry several bits, e.g. a column
/// inside a function in the WHERE clause of a subquery is kWhere | kExpression | kSubquery.
enum ColumnContext : uint32_t {
  kCtxSelectList = 1u << 0,    ///< in a select list
  kCtxExpression = 1u << 1,    ///< inside a function call, operator, CAST, CASE, COLLATE, ...
  kCtxWhere = 1u << 2,
  kCtxJoin = 1u << 3,          ///< JOIN ... ON / USING / NATURAL JOIN
  kCtxGroupBy = 1u << 4,
  kCtxHaving = 1u << 5,
  kCtxOrderBy = 1u << 6,
  kCtxWindow = 1u << 7,        ///< OVER (PARTITION BY / ORDER BY ...) or WINDOW clause
  kCtxSubquery = 1u << 8,      ///< inside a nested query (scalar, IN, EXISTS, ANY/ALL, LATERAL)
  kCtxUnion = 1u << 9,         ///< inside any branch of UNION / INTERSECT / EXCEPT
  kCtxCte = 1u << 10,          ///< inside a WITH common table expression
  kCtxDerivedTable = 1u << 11, ///< inside a derived table (FROM (SELECT ...) x)
  kCtxInto = 1u << 12,         ///< selected INTO a variable or file
  kCtxVariable = 1u << 13,     ///< assigned to a user variable (@v := col, SET @v = ...)
  kCtxAssignment = 1u << 14,   ///< UPDATE ... SET col = ..., INSERT column list / ON DUPLICATE KEY
  kCtxLimit = 1u << 15,
  kCtxOther = 1u << 31,        ///< anywhere else the analyzer recognised
};

/// A table the statement references, resolved against the connection's default schema.
struct TableRef {
  std::string schema;  ///< resolved schema (the default schema when unqualified); never empty
                       ///< for a base table when a default schema is known
  std::string table;   ///< table or view name as written (case preserved)
  std::string alias;   ///< alias in this statement, "" if none
  bool is_cte = false;            ///< name of a WITH common table expression, not a base table
  bool is_derived = false;        ///< derived table (subquery in FROM); `table` holds its alias
  bool is_system_schema = false;  ///< information_schema, performance_schema, mysql or sys
  bool written = false;           ///< the statement writes to it (INSERT/UPDATE/DELETE/DDL target)
};

/// One reference to a column.
struct ColumnRef {
  std::string qualifier;  ///< qualifier as written ("t", "s.t" or ""), case preserved
  std::string column;     ///< column name as written, case preserved; "*" for a star
  /// Indices into StatementAnalysis::tables that this reference may resolve to: exactly one when
  /// qualified (or when one table is in scope), every table in scope when ambiguous. Masking
  /// treats an ambiguous reference as a reference to each candidate.
  std::vector<uint32_t> candidates;
  uint32_t contexts = 0;  ///< bit set of ColumnContext
};

/// One column of the outermost result (the top-level select list), in order.
struct OutputColumn {
  enum class Shape : uint8_t {
    kColumn,      ///< a bare column reference, possibly aliased: `ssn`, `c.ssn AS x`
    kStar,        ///< `*` or `t.*`; expands to every column of `star_tables`
    kExpression,  ///< anything else: function, operator, literal, subquery, ...
  };
  Shape shape = Shape::kExpression;
  std::string alias;                 ///< alias as written, "" if none
  std::optional<uint32_t> column;    ///< index into StatementAnalysis::columns for kColumn
  std::vector<uint32_t> star_tables; ///< indices into tables for kStar
  std::vector<uint32_t> inputs;      ///< indices into columns feeding a kExpression
};

/// Everything the policy and masking engines need to decide on one statement.
/// A plain value; safe to share read-only between threads.
struct StatementAnalysis {
  bool understood = false;  ///< false: `reason` says what was not understood; policy denies
  std::string reason;       ///< human-readable, e.g. "multiple statements (a ';' at byte 9)"
  StatementKind kind = StatementKind::kUnknown;
  std::string default_schema;  ///< schema used to resolve unqualified table names

  std::vector<TableRef> tables;         ///< every table, view, CTE and derived table referenced
  std::vector<ColumnRef> columns;       ///< every column reference, including stars
  std::vector<OutputColumn> outputs;    ///< top-level select list (empty when not a query)
  bool outputs_known = false;           ///< outputs describes the result columns exactly
  std::vector<std::string> functions;   ///< functions called, lower-case, de-duplicated

  // Dangerous or notable constructs (each may trigger a built-in denial).
  bool executable_comment = false;  ///< /*! ... */, /*!NNNNN ... */, /*M! ... */
  bool optimizer_hint = false;      ///< /*+ ... */
  bool into_outfile = false;        ///< SELECT ... INTO OUTFILE / DUMPFILE
  bool into_variable = false;       ///< SELECT ... INTO @v / local variable
  bool user_variables = false;      ///< reads or writes @user variables
  bool system_variables = false;    ///< reads @@system variables
  bool locking_read = false;        ///< FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE
  bool writes_data = false;         ///< the statement can change data, schema or server state
  bool has_where = false;           ///< UPDATE/DELETE with a WHERE clause
  bool has_limit = false;
  // Added by the policy helper (additions only):
  bool user_variable_writes = false;  ///< assigns a user variable (@v := ..., INTO @v, SET @v)
  /// Functions and procedures that are not MySQL/MariaDB built-ins: stored functions, UDFs,
  /// schema-qualified names and CALL targets; lower-case as written ("shop.purge_old").
  /// Also present in `functions`. An allow rule must name them in `functions` to permit them.
  std::vector<std::string> stored_functions;
  /// Part of the statement (a routine/trigger/event body, a DDL definition, a SHOW filter) was
  /// recognised but not analysed; `tables`/`columns` may be incomplete for that part. Allow
  /// rules that restrict tables or columns never cover such a statement.
  bool opaque_body = false;
  /// For kExplain: the kind of the explained statement (kUnknown for EXPLAIN FOR CONNECTION).
  /// EXPLAIN ANALYZE / ANALYZE of a non-read statement executes it, so its kind is the inner kind.
  StatementKind explained_kind = StatementKind::kUnknown;

  /// Canonical form: literals replaced by '?', whitespace and comments normalised, keywords
  /// upper-case. Stable across literal values; used as an audit and approval key.
  std::string digest_text;
};

}  // namespace sqlguard::policy
