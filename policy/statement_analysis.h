// What sqlguard understood of one SQL statement: its kind, what it touches and how.
//
// The analysis is produced by StatementAnalyzer (statement_analyzer.h) from the statement text
// alone, tokenised exactly as MariaDB 10.11+/MySQL 8 do under the sql_mode the guard pins on every
// connection (db/session_settings.h). It never touches the network. Anything the analyzer does
// not fully understand sets `understood = false` with a reason, and the policy denies it.
#pragma once

#include <cstdint>
#include <memory>
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
  kSelect,    ///< SELECT, WITH ... SELECT, parenthesised selects, UNION/INTERSECT/EXCEPT
  kTable,     ///< TABLE t
  kValues,    ///< VALUES ROW(...)
  kShow,      ///< SHOW ...
  kDescribe,  ///< DESCRIBE / DESC / EXPLAIN t
  kExplain,   ///< EXPLAIN [ANALYZE|FORMAT=...] statement, ANALYZE statement (MariaDB)
  kHandler,   ///< HANDLER t OPEN/READ/CLOSE
  kDo,        ///< DO expr
  // Data changes
  kInsert,
  kReplace,
  kUpdate,
  kDelete,
  kLoadData,
  kLoadXml,
  kCall,
  // Schema changes
  kCreateTable,
  kCreateView,
  kCreateIndex,
  kCreateDatabase,
  kCreateRoutine,
  kCreateTrigger,
  kCreateEvent,
  kCreateOther,
  kAlterTable,
  kAlterOther,
  kDropTable,
  kDropView,
  kDropIndex,
  kDropDatabase,
  kDropOther,
  kRenameTable,
  kTruncate,
  // Privileges and accounts
  kGrant,
  kRevoke,
  kCreateUser,
  kAlterUser,
  kDropUser,
  kRenameUser,
  kSetPassword,
  kCreateRole,
  kDropRole,
  kSetRole,
  // Session and transaction control
  kSet,
  kSetStatement,
  kUse,
  kStartTransaction,
  kCommit,
  kRollback,
  kSavepoint,
  kReleaseSavepoint,
  kSetTransaction,
  kXa,
  kLockTables,
  kUnlockTables,
  // Dynamic SQL
  kPrepare,
  kExecute,
  kExecuteImmediate,
  kDeallocate,
  // Administration
  kAnalyzeTable,
  kCheckTable,
  kOptimizeTable,
  kRepairTable,
  kChecksumTable,
  kFlush,
  kKill,
  kReset,
  kPurge,
  kInstall,
  kUninstall,
  kShutdown,
  kBinlog,
  kReplication,
  kCache,
  kBackup,
  kSignal,
  kGetDiagnostics,
  kHelp,
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
  kCtxSelectList = 1u << 0,  ///< in a select list
  kCtxExpression = 1u << 1,  ///< inside a function call, operator, CAST, CASE, COLLATE, ...
  kCtxWhere = 1u << 2,
  kCtxJoin = 1u << 3,  ///< JOIN ... ON / USING / NATURAL JOIN
  kCtxGroupBy = 1u << 4,
  kCtxHaving = 1u << 5,
  kCtxOrderBy = 1u << 6,
  kCtxWindow = 1u << 7,         ///< OVER (PARTITION BY / ORDER BY ...) or WINDOW clause
  kCtxSubquery = 1u << 8,       ///< inside a nested query (scalar, IN, EXISTS, ANY/ALL, LATERAL)
  kCtxUnion = 1u << 9,          ///< inside any branch of UNION / INTERSECT / EXCEPT
  kCtxCte = 1u << 10,           ///< inside a WITH common table expression
  kCtxDerivedTable = 1u << 11,  ///< inside a derived table (FROM (SELECT ...) x)
  kCtxInto = 1u << 12,          ///< selected INTO a variable or file
  kCtxVariable = 1u << 13,      ///< assigned to a user variable (@v := col, SET @v = ...)
  kCtxAssignment = 1u << 14,    ///< UPDATE ... SET col = ..., INSERT column list / ON DUPLICATE KEY
  kCtxLimit = 1u << 15,
  kCtxOther = 1u << 31,  ///< anywhere else the analyzer recognised
};

/// A table the statement references, resolved against the connection's default schema.
struct TableRef {
  std::string schema;             ///< resolved schema (the default schema when unqualified); never empty
                                  ///< for a base table when a default schema is known
  std::string table;              ///< table or view name as written (case preserved)
  std::string alias;              ///< alias in this statement, "" if none
  bool is_cte = false;            ///< name of a WITH common table expression, not a base table
  bool is_derived = false;        ///< derived table (subquery in FROM); `table` holds its alias
  bool is_system_schema = false;  ///< information_schema, performance_schema, mysql or sys
  bool written = false;           ///< the statement writes to it (INSERT/UPDATE/DELETE/DDL target)
  /// Index hints as written after the table (`USE|FORCE|IGNORE INDEX|KEY [FOR ...] (names)`),
  /// in order. Masking refuses hints that can steer the server onto an index over a masked
  /// column (rows would come back in that column's order).
  struct IndexHint {
    enum class Kind : uint8_t { kUse, kForce, kIgnore };
    Kind kind = Kind::kUse;
    std::vector<std::string> indexes;  ///< index names as written ("PRIMARY" for the primary key);
                                       ///< empty for `USE INDEX ()`
  };
  std::vector<IndexHint> index_hints;
  /// Explicit partition selection `t PARTITION (p0, p1)`: the partition names, else empty.
  std::vector<std::string> partitions;
  /// `FOR SYSTEM_TIME ...` on a system-versioned table (reads history rows).
  bool system_time = false;
  /// The name is used as a SEQUENCE (NEXTVAL(s), NEXT VALUE FOR s, LASTVAL(s), SETVAL(s, ...),
  /// PREVIOUS VALUE FOR s), not read as a table. `written` is true when the use advances or
  /// sets the sequence.
  bool is_sequence = false;
  // Filled from the catalog by resolve_with_catalog() (policy/catalog_resolution.h):
  bool is_view = false;  ///< the name is a view; its definition is in StatementAnalysis::views
};

/// One use of a SEQUENCE inside a statement (MariaDB 10.3+).
struct SequenceUse {
  uint32_t table = 0;    ///< index into StatementAnalysis::tables (is_sequence = true)
  bool changes = false;  ///< NEXTVAL / NEXT VALUE FOR / SETVAL (and DEFAULT(col) of a column
                         ///< whose default is a sequence's next value): changes the sequence
  std::string form;      ///< how it was written, for reasons: "NEXTVAL(shop.s)",
                         ///< "NEXT VALUE FOR shop.s", "DEFAULT(shop.t.id)", ...
};

struct StatementAnalysis;

/// A view the statement reads, expanded from the catalog (resolve_with_catalog()).
struct ViewExpansion {
  uint32_t table = 0;                ///< index into StatementAnalysis::tables (is_view = true)
  std::vector<std::string> columns;  ///< the view's columns in ordinal order (catalog)
  /// The view's definition (information_schema.VIEWS.VIEW_DEFINITION) analysed with the view's
  /// schema as default schema, itself resolved (views inside views are expanded there).
  std::shared_ptr<const StatementAnalysis> definition;
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
  std::string alias;                  ///< alias as written, "" if none
  std::optional<uint32_t> column;     ///< index into StatementAnalysis::columns for kColumn
  std::vector<uint32_t> star_tables;  ///< indices into tables for kStar
  std::vector<uint32_t> inputs;       ///< indices into columns feeding a kExpression
};

/// Everything the policy and masking engines need to decide on one statement.
/// A plain value; safe to share read-only between threads.
struct StatementAnalysis {
  bool understood = false;  ///< false: `reason` says what was not understood; policy denies
  std::string reason;       ///< human-readable, e.g. "multiple statements (a ';' at byte 9)"
  StatementKind kind = StatementKind::kUnknown;
  std::string default_schema;  ///< schema used to resolve unqualified table names

  std::vector<TableRef> tables;        ///< every table, view, CTE and derived table referenced
  std::vector<ColumnRef> columns;      ///< every column reference, including stars
  std::vector<OutputColumn> outputs;   ///< top-level select list (empty when not a query)
  bool outputs_known = false;          ///< outputs describes the result columns exactly
  std::vector<std::string> functions;  ///< functions called, lower-case, de-duplicated

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

  /// SELECT DISTINCT / DISTINCTROW in the outermost select block (of the first branch).
  bool distinct = false;
  /// SHOW statements: what is shown, upper case with single spaces, e.g. "COLUMNS", "INDEX",
  /// "CREATE TABLE", "CREATE VIEW", "TABLES", "TABLE STATUS", "DATABASES", "TRIGGERS",
  /// "CREATE TRIGGER", "CREATE PROCEDURE", "PROCESSLIST", "WARNINGS", ... ("" for other kinds).
  /// `FULL` and `EXTENDED` are not part of it.
  std::string show_form;
  /// SHOW COLUMNS / SHOW INDEX with a filter other than `LIKE 'pattern'` (a WHERE over the
  /// listing's own columns, e.g. WHERE `Default` LIKE '4%').
  bool show_filtered = false;
  /// Sequence uses (NEXTVAL, SETVAL, NEXT/PREVIOUS VALUE FOR, LASTVAL; DEFAULT(col) once the
  /// catalog says the column's default is a sequence's next value).
  std::vector<SequenceUse> sequences;
  /// `DEFAULT(col)` references (indices into `columns`): evaluating a column's default can
  /// advance a sequence; resolve_with_catalog() looks the default up.
  std::vector<uint32_t> default_calls;
  /// Views read, with their definitions (filled by resolve_with_catalog(); empty before).
  std::vector<ViewExpansion> views;
  /// resolve_with_catalog() ran on this analysis.
  bool catalog_resolved = false;

  /// Canonical form: literals replaced by '?', whitespace and comments normalised, keywords
  /// upper-case. Stable across literal values; used as an audit and approval key.
  std::string digest_text;
};

}  // namespace sqlguard::policy
