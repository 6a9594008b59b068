#include "policy/catalog_resolution.h"

#include <memory>
#include <utility>

#include "policy/sql_lexer.h"

namespace sqlguard::policy {

std::vector<std::string> CatalogTable::star_columns() const {
  std::vector<std::string> out;
  out.reserve(columns.size());
  for (const auto& c : columns) {
    if (!c.invisible) out.push_back(c.name);
  }
  return out;
}

const CatalogColumn* CatalogTable::column(std::string_view name) const {
  for (const auto& c : columns) {
    if (iequals(c.name, name)) return &c;
  }
  return nullptr;
}

namespace {

std::string qualified(const TableRef& t) { return t.schema.empty() ? t.table : t.schema + "." + t.table; }

class Resolver {
 public:
  Resolver(const Catalog& catalog, const StatementAnalyzer& analyzer)
      : catalog_(catalog), analyzer_(analyzer) {}

  common::Result<void> resolve(StatementAnalysis& a, std::size_t depth) {
    if (!a.understood || a.catalog_resolved) return {};
    a.catalog_resolved = true;
    for (uint32_t ti = 0; ti < a.tables.size(); ++ti) {
      TableRef& t = a.tables[ti];
      if (t.is_cte || t.is_derived || t.is_system_schema || t.schema.empty() || t.table == "*") continue;
      auto info = catalog_.table(t.schema, t.table);
      if (!info) {
        return common::fail(info.error().code, "the catalog entry of " + qualified(t) +
                                                   " could not be looked up (" + info.error().message + ")");
      }
      if (*info == nullptr) continue;  // unknown: the database refuses the statement
      const CatalogTable& entry = **info;
      if (entry.type == CatalogTable::Type::kSequence) t.is_sequence = true;
      if (entry.type != CatalogTable::Type::kView) continue;
      t.is_view = true;
      if (auto r = expand_view(a, ti, entry, depth); !r) return r;
    }
    for (uint32_t ci : a.default_calls) {
      if (ci >= a.columns.size()) continue;
      if (auto r = resolve_default(a, a.columns[ci]); !r) return r;
    }
    return {};
  }

 private:
  common::Result<void> expand_view(StatementAnalysis& a, uint32_t ti, const CatalogTable& entry,
                                   std::size_t depth) {
    const std::string name = qualified(a.tables[ti]);
    if (depth + 1 > kMaxViewDepth) {
      return common::fail(common::ErrorCode::kRefused, "view " + name + " is nested more than " +
                                                           std::to_string(kMaxViewDepth) +
                                                           " views deep, so what it reads cannot be checked");
    }
    if (++expanded_ > kMaxExpandedViews) {
      return common::fail(common::ErrorCode::kRefused, "the statement reads more than " +
                                                           std::to_string(kMaxExpandedViews) +
                                                           " views, so what they read cannot be checked");
    }
    if (entry.view_definition.empty()) {
      return common::fail(common::ErrorCode::kRefused,
                          "the definition of view " + name +
                              " is not visible to sqlguard's database account, so what the view reads cannot "
                              "be checked (grant it SHOW VIEW on " +
                              a.tables[ti].schema + ".*)");
    }
    auto def =
        std::make_shared<StatementAnalysis>(analyzer_.analyze(entry.view_definition, a.tables[ti].schema));
    if (!def->understood) {
      return common::fail(common::ErrorCode::kRefused, "the definition of view " + name +
                                                           " could not be analysed (" + def->reason +
                                                           "), so what the view reads cannot be checked");
    }
    if (auto r = resolve(*def, depth + 1); !r) return r;
    ViewExpansion v;
    v.table = ti;
    for (const auto& c : entry.columns) v.columns.push_back(c.name);
    v.definition = std::move(def);
    a.views.push_back(std::move(v));
    return {};
  }

  // DEFAULT(col): the column's default expression, if it advances a sequence, changes state.
  common::Result<void> resolve_default(StatementAnalysis& a, const ColumnRef& ref) {
    for (uint32_t ti : ref.candidates) {
      if (ti >= a.tables.size()) continue;
      const TableRef t = a.tables[ti];
      if (t.is_cte || t.is_derived || t.is_system_schema || t.schema.empty()) continue;
      auto info = catalog_.table(t.schema, t.table);
      if (!info) {
        return common::fail(info.error().code, "the default of " + qualified(t) + "." + ref.column +
                                                   " could not be looked up (" + info.error().message + ")");
      }
      if (*info == nullptr) continue;
      const CatalogColumn* col = (*info)->column(ref.column);
      if (col == nullptr || !col->default_expression) continue;
      // The server prints the default as an expression ("nextval(`shop`.`s`)"): read it as one.
      const StatementAnalysis d = analyzer_.analyze("SELECT " + *col->default_expression, t.schema);
      if (!d.understood) {
        return common::fail(common::ErrorCode::kRefused, "the default of " + qualified(t) + "." + ref.column +
                                                             " could not be analysed (" + d.reason + ")");
      }
      for (const auto& s : d.sequences) {
        if (!s.changes || s.table >= d.tables.size()) continue;
        TableRef seq = d.tables[s.table];
        seq.written = true;
        seq.is_sequence = true;
        a.tables.push_back(std::move(seq));
        SequenceUse use;
        use.table = static_cast<uint32_t>(a.tables.size() - 1);
        use.changes = true;
        use.form = "DEFAULT(" + qualified(t) + "." + ref.column + ") (its default is " + s.form + ")";
        a.sequences.push_back(std::move(use));
        a.writes_data = true;
      }
    }
    return {};
  }

  const Catalog& catalog_;
  const StatementAnalyzer& analyzer_;
  std::size_t expanded_ = 0;
};

}  // namespace

common::Result<void> resolve_with_catalog(StatementAnalysis& analysis, const Catalog& catalog,
                                          const StatementAnalyzer& analyzer) {
  Resolver r(catalog, analyzer);
  return r.resolve(analysis, 0);
}

}  // namespace sqlguard::policy
