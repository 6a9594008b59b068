// Human-readable summary of a StatementAnalysis (for `sqlguard check` and test failures).
#pragma once

#include <string>

#include "policy/statement_analysis.h"

namespace sqlguard::policy {

/// Multi-line text: kind, understood/reason, tables (with flags), columns (with contexts and
/// candidate tables), outputs, functions and notable flags. Stable enough for humans, not a
/// machine format. Never throws except std::bad_alloc.
std::string describe(const StatementAnalysis& analysis);

/// Names of the bits set in a ColumnContext mask, e.g. "where|expression|subquery".
std::string context_names(uint32_t contexts);

}  // namespace sqlguard::policy
