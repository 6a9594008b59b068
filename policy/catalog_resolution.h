// Completes a statement analysis with what only the database catalog knows, before policy and
// masking decide on it: which names are views (and what their definitions read), which are
// sequences, and whether a DEFAULT(col) evaluates a sequence's next value.
#pragma once

#include <cstddef>
#include <string>

#include "common/error.h"
#include "policy/catalog.h"
#include "policy/statement_analysis.h"
#include "policy/statement_analyzer.h"

namespace sqlguard::policy {

/// Limits of view expansion: views inside views up to this depth, and this many views in all.
inline constexpr std::size_t kMaxViewDepth = 8;
inline constexpr std::size_t kMaxExpandedViews = 64;

/// Resolves `analysis` (understood, not yet resolved) against `catalog`:
/// - every base table it names outside the system schemas is looked up; a view gets
///   TableRef::is_view and a ViewExpansion whose definition (VIEW_DEFINITION, analysed with the
///   view's schema as default schema) is resolved in turn; a SEQUENCE gets is_sequence;
/// - every DEFAULT(col) (StatementAnalysis::default_calls) whose column default advances a
///   sequence (NEXTVAL / NEXT VALUE FOR) adds a SequenceUse with changes = true, the sequence as
///   a written table, and sets writes_data.
/// Names the catalog does not know are left as they are (the database refuses them).
/// An analysis that is not understood is left unchanged.
/// Errors (the statement must be refused with the message; nothing was changed that matters):
/// a catalog lookup failed (with the lookup's code, e.g. kUnavailable or kDatabase); kRefused
/// when a view's definition is not visible to sqlguard's account (it needs SHOW VIEW) or could
/// not be analysed, or views nest deeper than kMaxViewDepth or more than kMaxExpandedViews are
/// read.
common::Result<void> resolve_with_catalog(StatementAnalysis& analysis, const Catalog& catalog,
                                          const StatementAnalyzer& analyzer);

}  // namespace sqlguard::policy
