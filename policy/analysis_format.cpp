#include "policy/analysis_format.h"

#include <array>
#include <string_view>
#include <utility>

namespace sqlguard::policy {

std::string context_names(uint32_t contexts) {
  static constexpr std::array<std::pair<uint32_t, std::string_view>, 17> kBits{{
      {kCtxSelectList, "select_list"},
      {kCtxExpression, "expression"},
      {kCtxWhere, "where"},
      {kCtxJoin, "join"},
      {kCtxGroupBy, "group_by"},
      {kCtxHaving, "having"},
      {kCtxOrderBy, "order_by"},
      {kCtxWindow, "window"},
      {kCtxSubquery, "subquery"},
      {kCtxUnion, "union"},
      {kCtxCte, "cte"},
      {kCtxDerivedTable, "derived"},
      {kCtxInto, "into"},
      {kCtxVariable, "variable"},
      {kCtxAssignment, "assignment"},
      {kCtxLimit, "limit"},
      {kCtxOther, "other"},
  }};
  std::string s;
  for (const auto& [bit, name] : kBits) {
    if ((contexts & bit) == 0) continue;
    if (!s.empty()) s += '|';
    s += name;
  }
  return s;
}

std::string describe(const StatementAnalysis& a) {
  std::string s;
  s += "kind: ";
  s += to_string(a.kind);
  s += a.understood ? "\nunderstood: yes\n" : "\nunderstood: no (" + a.reason + ")\n";
  for (std::size_t i = 0; i < a.tables.size(); ++i) {
    const TableRef& t = a.tables[i];
    s += "table[" + std::to_string(i) + "]: ";
    s += t.schema.empty() ? t.table : t.schema + "." + t.table;
    if (!t.alias.empty()) s += " AS " + t.alias;
    if (t.is_cte) s += " (cte)";
    if (t.is_derived) s += " (derived)";
    if (t.is_system_schema) s += " (system)";
    if (t.is_sequence) s += " (sequence)";
    if (t.written) s += " (written)";
    if (!t.partitions.empty()) {
      s += " partition (";
      for (std::size_t k = 0; k < t.partitions.size(); ++k) {
        if (k) s += ',';
        s += t.partitions[k];
      }
      s += ')';
    }
    if (t.system_time) s += " (for system_time)";
    for (const auto& h : t.index_hints) {
      switch (h.kind) {
        case TableRef::IndexHint::Kind::kUse: s += " use index ("; break;
        case TableRef::IndexHint::Kind::kForce: s += " force index ("; break;
        case TableRef::IndexHint::Kind::kIgnore: s += " ignore index ("; break;
      }
      for (std::size_t k = 0; k < h.indexes.size(); ++k) {
        if (k) s += ',';
        s += h.indexes[k];
      }
      s += ')';
    }
    s += '\n';
  }
  for (const auto& q : a.sequences) {
    s += "sequence: " + q.form + " -> table[" + std::to_string(q.table) + "]";
    s += q.changes ? " (changes)\n" : " (reads)\n";
  }
  for (std::size_t i = 0; i < a.columns.size(); ++i) {
    const ColumnRef& c = a.columns[i];
    s += "column[" + std::to_string(i) + "]: ";
    if (!c.qualifier.empty()) s += c.qualifier + ".";
    s += c.column + " in " + context_names(c.contexts) + " from {";
    for (std::size_t k = 0; k < c.candidates.size(); ++k) {
      if (k) s += ',';
      s += std::to_string(c.candidates[k]);
    }
    s += "}\n";
  }
  for (uint32_t ci : a.default_calls) s += "default_call: column[" + std::to_string(ci) + "]\n";
  for (const auto& o : a.outputs) {
    s += "output: ";
    switch (o.shape) {
      case OutputColumn::Shape::kColumn: s += "column " + std::to_string(*o.column); break;
      case OutputColumn::Shape::kStar: s += "star"; break;
      case OutputColumn::Shape::kExpression: s += "expression"; break;
    }
    if (!o.alias.empty()) s += " AS " + o.alias;
    s += '\n';
  }
  if (!a.functions.empty()) {
    s += "functions:";
    for (const auto& f : a.functions) s += " " + f;
    s += '\n';
  }
  auto flag = [&](bool v, const char* name) {
    if (v) {
      s += "flag: ";
      s += name;
      s += '\n';
    }
  };
  flag(a.executable_comment, "executable_comment");
  flag(a.optimizer_hint, "optimizer_hint");
  flag(a.into_outfile, "into_outfile");
  flag(a.into_variable, "into_variable");
  flag(a.user_variables, "user_variables");
  flag(a.user_variable_writes, "user_variable_writes");
  flag(a.system_variables, "system_variables");
  flag(a.locking_read, "locking_read");
  flag(a.writes_data, "writes_data");
  flag(a.opaque_body, "opaque_body");
  flag(a.distinct, "distinct");
  flag(a.has_limit, "has_limit");
  if (!a.show_form.empty()) s += "show_form: " + a.show_form + '\n';
  s += "digest: " + a.digest_text + '\n';
  return s;
}

}  // namespace sqlguard::policy
