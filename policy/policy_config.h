// Policy rules as configured in the `policy:` section of the config file
// (schemas/config.schema.json, docs/policy.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/decision.h"

namespace sqlguard::policy {

/// Which principals a rule applies to. Empty lists match everyone; non-empty lists must each
/// match (subject glob AND group AND client glob).
struct PrincipalMatch {
  std::vector<std::string> subjects;  ///< globs over Principal::subject ("*@example.com")
  std::vector<std::string> groups;    ///< the principal is in at least one of these groups
  std::vector<std::string> clients;   ///< globs over Principal::client_name
};

/// One policy rule. Every non-empty matcher must match for the rule to apply.
struct PolicyRule {
  std::string id;  ///< unique, named in decisions and audit records
  Action action = Action::kDeny;
  std::string description;  ///< shown in reasons
  std::string source;       ///< "config.yaml:14" where it was defined, for messages
  PrincipalMatch principals;
  std::vector<std::string> kinds;      ///< statement kind names (to_string(StatementKind)); "*" any
  std::vector<std::string> tables;     ///< globs "schema.table" (a bare "table" means any schema)
  std::vector<std::string> columns;    ///< globs "schema.table.column" or "column"
  std::vector<std::string> functions;  ///< function names, lower-case globs
  std::optional<uint64_t> max_rows;
  std::optional<uint64_t> max_result_bytes;
  std::optional<uint32_t> timeout_ms;
  std::vector<std::string> approver_groups;  ///< for action approve
  uint32_t approvals_required = 1;           ///< for action approve: distinct approvers
};

/// Built-in denials that no allow rule can lift unless the config says so in so many words
/// (`policy.unsafe_allow: [file_io, ...]`).
struct UnsafeAllowances {
  bool file_io = false;               ///< INTO OUTFILE/DUMPFILE, LOAD_FILE, LOAD DATA/XML
  bool privilege_statements = false;  ///< GRANT, REVOKE, CREATE/ALTER/DROP/RENAME USER, SET PASSWORD, roles
  bool session_control = false;       ///< SET, USE, START/COMMIT/ROLLBACK/SAVEPOINT, XA, LOCK TABLES
  bool dynamic_sql = false;           ///< PREPARE, EXECUTE, EXECUTE IMMEDIATE, DEALLOCATE
  bool sleep_and_lock_functions = false;  ///< SLEEP, BENCHMARK, GET_LOCK, RELEASE_LOCK, ...
  bool executable_comments = false;       ///< /*! */, /*!NNNNN */, /*M! */
  bool optimizer_hints = false;           ///< /*+ */
  bool administration = false;            ///< KILL, FLUSH, SHUTDOWN, INSTALL, replication, ...
  // Added by the policy helper (additions only):
  bool system_variables = false;  ///< reading @@system variables (@@datadir, @@hostname, ...)
  bool locking_reads = false;     ///< SELECT ... FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE
  /// A read (SELECT/TABLE/VALUES/SHOW/DESCRIBE/EXPLAIN) or DO that advances or sets a SEQUENCE:
  /// NEXTVAL(), SETVAL(), NEXT VALUE FOR, DEFAULT(col) of a column defaulting to one.
  bool sequence_changes = false;
};

/// The whole `policy:` section.
struct PolicyConfig {
  std::vector<PolicyRule> rules;
  Limits defaults;  ///< limits when no matching rule sets one
  UnsafeAllowances unsafe_allow;
};

}  // namespace sqlguard::policy
