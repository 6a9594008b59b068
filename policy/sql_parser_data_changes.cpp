// Data changes: INSERT/REPLACE, UPDATE, DELETE (see policy/sql_parser.h).
#include "policy/sql_parser.h"

namespace sqlguard::policy::sql_parser {

// ----------------------------------------------------------------------------------------------
// Data changes
// ----------------------------------------------------------------------------------------------

bool Parser::assignment_list(uint32_t ctx, int scope) {
  do {
    if (!is_any_word(cur())) return fail("expected a column");
    std::string parts[3];
    int n = 0;
    parts[n++] = identifier_text(sql_, cur());
    ++p_;
    while (accept_op(".")) {
      if (n == 3 || !is_any_word(cur())) return fail("bad column name");
      parts[n++] = identifier_text(sql_, cur());
      ++p_;
    }
    std::string q = n == 1 ? "" : (n == 2 ? parts[0] : parts[0] + "." + parts[1]);
    add_column(std::move(q), std::move(parts[n - 1]), kCtxAssignment, scope);
    if (!(accept_op("=") || accept_op(":="))) return fail("expected '='");
    if (!expr(ctx | kCtxAssignment, scope)) return false;
  } while (accept_op(","));
  return true;
}

bool Parser::insert_stmt(bool replace) {
  a_.kind = replace ? StatementKind::kReplace : StatementKind::kInsert;
  a_.writes_data = true;
  while (accept_kw("LOW_PRIORITY") || accept_kw("DELAYED") || accept_kw("HIGH_PRIORITY") ||
         accept_kw("IGNORE")) {}
  accept_kw("INTO");
  const int sc = new_scope(-1);
  std::string s, t;
  if (!table_name(s, t)) return false;
  TableRef target = make_table(std::move(s), std::move(t));
  target.written = true;
  if (accept_kw("PARTITION") && !partition_list(target.partitions)) return false;
  add_table(std::move(target), sc);
  if (op("(") && !paren_starts_query()) {
    ++p_;
    if (!op(")")) {
      do {
        std::string c;
        if (!take_name(c)) return false;
        if (accept_op(".")) {  // t.col
          if (!take_name(c)) return false;
        }
        add_column("", std::move(c), kCtxAssignment, sc);
      } while (accept_op(","));
    }
    if (!expect_op(")")) return false;
  }
  const uint32_t vctx = kCtxAssignment | kCtxOther;
  if (accept_kw("VALUES") || accept_kw("VALUE")) {
    do {
      accept_kw("ROW");
      if (!expr_list_paren(vctx, sc)) return false;
    } while (accept_op(","));
  } else if (accept_kw("SET")) {
    if (!assignment_list(vctx, sc)) return false;
  } else if (kw("SELECT") || kw("WITH") || kw("TABLE") || op("(")) {
    if (!query_expr(kCtxAssignment, sc, false, nullptr)) return false;
  } else {
    return fail("expected VALUES, SET or SELECT");
  }
  if (accept_kw("AS")) {  // row alias (MySQL 8.0.19+)
    TableRef r;
    if (!take_name(r.table)) return false;
    r.alias = r.table;
    r.is_derived = true;
    if (op("(")) {
      ++p_;
      do {
        std::string c;
        if (!take_name(c)) return false;
      } while (accept_op(","));
      if (!expect_op(")")) return false;
    }
    add_table(std::move(r), sc);
  }
  if (accept_kw("ON")) {
    if (!expect_kw("DUPLICATE") || !expect_kw("KEY") || !expect_kw("UPDATE")) return false;
    if (!assignment_list(vctx, sc)) return false;
  }
  if (accept_kw("RETURNING")) {
    do {
      if (op("*")) {
        ++p_;
        add_column("", "*", kCtxSelectList | kCtxOther, sc);
      } else {
        if (!expr(kCtxSelectList | kCtxOther, sc)) return false;
        if (accept_kw("AS") || is_name(cur())) ++p_;
      }
    } while (accept_op(","));
  }
  return true;
}

bool Parser::update_stmt(int scope) {
  a_.kind = StatementKind::kUpdate;
  a_.writes_data = true;
  while (accept_kw("LOW_PRIORITY") || accept_kw("IGNORE")) {}
  const std::size_t first_table = a_.tables.size();
  if (!table_refs(0, scope)) return false;
  for (std::size_t i = first_table; i < a_.tables.size(); ++i) {
    if (!a_.tables[i].is_derived && !a_.tables[i].is_cte) a_.tables[i].written = true;
  }
  if (!expect_kw("SET")) return false;
  if (!assignment_list(0, scope)) return false;
  if (accept_kw("WHERE")) {
    a_.has_where = true;
    if (!expr(kCtxWhere, scope)) return false;
  }
  if (accept_kw("ORDER")) {
    if (!expect_kw("BY") || !order_list(kCtxOrderBy, scope, nullptr)) return false;
  }
  if (accept_kw("LIMIT") && !limit_clause(kCtxLimit, scope)) return false;
  return true;
}

bool Parser::delete_stmt(int scope) {
  a_.kind = StatementKind::kDelete;
  a_.writes_data = true;
  while (accept_kw("LOW_PRIORITY") || accept_kw("QUICK") || accept_kw("IGNORE")) {}
  std::vector<std::pair<std::string, std::string>> targets;
  auto target_list = [&]() -> bool {
    do {
      std::string s, t;
      if (!table_name(s, t)) return false;
      if (op(".") && is_op(peek(), "*")) p_ += 2;
      targets.emplace_back(std::move(s), std::move(t));
    } while (accept_op(","));
    return true;
  };
  const std::size_t first_table = a_.tables.size();
  bool multi = false;
  if (accept_kw("FROM")) {
    // DELETE FROM t [AS a] ... | DELETE FROM t1, t2 USING refs
    const std::size_t save = p_;
    std::string s, t;
    if (!table_name(s, t)) return false;
    if (op(",") || kw("USING") || (op(".") && is_op(peek(), "*"))) {
      p_ = save;
      if (!target_list() || !expect_kw("USING") || !table_refs(0, scope)) return false;
      multi = true;
    } else {
      p_ = save;
      if (!table_factor(0, scope)) return false;
      a_.tables[first_table].written = true;
    }
  } else {
    if (!target_list() || !expect_kw("FROM") || !table_refs(0, scope)) return false;
    multi = true;
  }
  if (multi) {
    for (const auto& [s, t] : targets) {
      bool found = false;
      for (std::size_t i = first_table; i < a_.tables.size(); ++i) {
        TableRef& r = a_.tables[i];
        const bool m = s.empty() ? (iequals(r.alias, t) || (r.alias.empty() && iequals(r.table, t)))
                                 : (iequals(r.schema, s) && iequals(r.table, t));
        if (m) {
          r.written = true;
          found = true;
        }
      }
      if (!found) return fail("DELETE target is not in the table list");
    }
  }
  if (accept_kw("WHERE")) {
    a_.has_where = true;
    if (!expr(kCtxWhere, scope)) return false;
  }
  if (accept_kw("ORDER")) {
    if (!expect_kw("BY") || !order_list(kCtxOrderBy, scope, nullptr)) return false;
  }
  if (accept_kw("LIMIT") && !limit_clause(kCtxLimit, scope)) return false;
  if (accept_kw("RETURNING")) {
    do {
      if (op("*")) {
        ++p_;
        add_column("", "*", kCtxSelectList | kCtxOther, scope);
      } else {
        if (!expr(kCtxSelectList | kCtxOther, scope)) return false;
        if (accept_kw("AS") || is_name(cur())) ++p_;
      }
    } while (accept_op(","));
  }
  return true;
}

}  // namespace sqlguard::policy::sql_parser
