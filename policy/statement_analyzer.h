// Analysis of one SQL statement for policy and masking (MariaDB 10.11+ / MySQL 8 dialect).
#pragma once

#include <string_view>

#include "policy/statement_analysis.h"

namespace sqlguard::policy {

/// Analyses statement text. Stateless and thread-safe; never throws on any input and never
/// touches the network. Input is treated as utf8mb4 bytes under the pinned sql_mode
/// (no ANSI_QUOTES, backslash escapes on; see db/session_settings.h).
class StatementAnalyzer {
 public:
  /// Analyses `sql` (one statement; a single trailing ';' and whitespace are tolerated).
  /// `default_schema` resolves unqualified table names (may be empty).
  /// Returns understood = false with a reason for anything not fully understood, including more
  /// than one statement, unterminated quotes or comments, and input over 1 MiB.
  StatementAnalysis analyze(std::string_view sql, std::string_view default_schema) const;
};

}  // namespace sqlguard::policy
