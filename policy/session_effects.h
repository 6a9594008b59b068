// What one statement can do to, and read from, the database session it runs on. The pool uses
// it to skip round trips (docs/performance.md): a connection is reset (COM_RESET_CONNECTION)
// after a statement that may have changed session state, and before a statement that may read
// what an earlier statement left behind, and not otherwise. Fail closed: each property is
// claimed only when the analysis proves it; anything else keeps today's reset.
#pragma once

#include "policy/statement_analysis.h"

namespace sqlguard::policy {

/// The two properties, each true only when proven from the analysis.
struct SessionEffects {
  /// The statement cannot change session state: no session or user variable, no named lock,
  /// no transaction, no temporary table, no prepared statement, no sequence position, no
  /// LAST_INSERT_ID(expr), no stored function (whose body could do any of these). Proven only
  /// for understood SELECT / TABLE / VALUES / DESCRIBE statements without INTO, locking reads,
  /// user-variable writes, sequence uses, stored functions, session-changing built-ins
  /// (GET_LOCK family, LAST_INSERT_ID) or executable comments, over base tables (a view's
  /// definition is checked the same way, recursively).
  bool leaves_session_unchanged = false;
  /// The statement reads nothing an earlier statement on the same session left behind:
  /// FOUND_ROWS(), ROW_COUNT(), LAST_INSERT_ID(), @@system variables (warning_count,
  /// last_insert_id, ...), SHOW (WARNINGS, ERRORS, SESSION STATUS, ...), system schemas
  /// (information_schema, performance_schema, ...). Proven only when none of these appears.
  bool ignores_session_residue = false;
};

/// The session effects of `analysis` (after resolve_with_catalog when views are involved; an
/// unresolved view proves nothing). Pure; thread-safe.
SessionEffects session_effects(const StatementAnalysis& analysis);

}  // namespace sqlguard::policy
