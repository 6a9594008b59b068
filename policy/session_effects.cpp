#include "policy/session_effects.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "policy/sql_builtins.h"

namespace sqlguard::policy {
namespace {

// Built-ins that change session state (beyond the advisory-lock family in sql_builtins).
constexpr std::array<std::string_view, 4> kSessionWriters{{"last_insert_id", "nextval", "setval", "lastval"}};
// Built-ins that read what an earlier statement of the session left behind.
constexpr std::array<std::string_view, 3> kResidueReaders{{"found_rows", "row_count", "last_insert_id"}};

bool contains(std::string_view name, const auto& table) {
  return std::find(table.begin(), table.end(), name) != table.end();
}

// Views are known only after resolve_with_catalog: before it, any table might be a view over a
// stored function.
bool resolved(const StatementAnalysis& a) {
  return a.catalog_resolved || std::all_of(a.tables.begin(), a.tables.end(), [](const TableRef& t) {
           return t.is_cte || t.is_derived || t.is_system_schema;
         });
}

bool unchanged(const StatementAnalysis& a, int depth) {
  if (depth > 16 || !a.understood || a.opaque_body || !resolved(a)) return false;
  switch (a.kind) {
    case StatementKind::kSelect:
    case StatementKind::kTable:
    case StatementKind::kValues:
    case StatementKind::kDescribe: break;
    default: return false;
  }
  if (a.writes_data || a.into_outfile || a.into_variable || a.user_variable_writes || a.locking_read ||
      a.executable_comment || !a.sequences.empty() || !a.default_calls.empty() ||
      !a.stored_functions.empty()) {
    return false;
  }
  for (const auto& f : a.functions) {
    if (is_sleep_or_lock_function(f) || contains(f, kSessionWriters) || !is_builtin_function(f)) return false;
  }
  for (const auto& t : a.tables) {
    if (t.written || t.is_sequence) return false;
    if (t.is_view) {
      const auto it = std::find_if(a.views.begin(), a.views.end(),
                                   [&](const ViewExpansion& v) { return &a.tables[v.table] == &t; });
      if (it == a.views.end() || it->definition == nullptr || !unchanged(*it->definition, depth + 1))
        return false;
    }
  }
  return true;
}

bool residue_free(const StatementAnalysis& a, int depth) {
  if (depth > 16 || !a.understood || a.opaque_body || !resolved(a)) return false;
  if (a.kind == StatementKind::kShow || a.system_variables || a.executable_comment) return false;
  for (const auto& f : a.functions) {
    if (contains(f, kResidueReaders)) return false;
  }
  for (const auto& t : a.tables) {
    if (t.is_system_schema) return false;
    if (t.is_view) {
      const auto it = std::find_if(a.views.begin(), a.views.end(),
                                   [&](const ViewExpansion& v) { return &a.tables[v.table] == &t; });
      if (it == a.views.end() || it->definition == nullptr || !residue_free(*it->definition, depth + 1))
        return false;
    }
  }
  return true;
}

}  // namespace

SessionEffects session_effects(const StatementAnalysis& analysis) {
  return SessionEffects{unchanged(analysis, 0), residue_free(analysis, 0)};
}

}  // namespace sqlguard::policy
