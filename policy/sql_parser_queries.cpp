// Queries: SELECT blocks, set operations, FROM, joins, row limits and locking clauses (see
// policy/sql_parser.h).
#include "policy/sql_parser.h"

namespace sqlguard::policy::sql_parser {

// ----------------------------------------------------------------------------------------------
// Queries
// ----------------------------------------------------------------------------------------------

bool Parser::order_list(uint32_t ctx, int scope, const std::vector<SelectItem>* items) {
  do {
    const std::size_t first = a_.columns.size();
    if (items != nullptr && cur().type == TT::kNumber && !is_op(peek(), ".")) {
      // Positional reference: ORDER BY 2 refers to the second select item.
      const std::string_view num = text(cur());
      std::size_t pos = 0;
      for (char ch : num) {
        if (ch < '0' || ch > '9' || pos > 100000) {
          pos = 0;
          break;
        }
        pos = pos * 10 + static_cast<std::size_t>(ch - '0');
      }
      if (pos >= 1 && pos <= items->size()) {
        const SelectItem& it = (*items)[pos - 1];
        for (uint32_t k = it.first_col; k < it.end_col; ++k) {
          ColumnRef copy = a_.columns[k];
          copy.contexts |= ctx;
          a_.columns.push_back(std::move(copy));
          // Copies resolve like their originals.
          for (const auto& pd : pending_) {
            if (pd.column == k) {
              pending_.push_back(Pending{static_cast<uint32_t>(a_.columns.size() - 1), pd.scope});
              break;
            }
          }
        }
      }
    }
    int c = -1;
    if (!expr_prec(ctx, scope, 0, c)) return false;
    if (items != nullptr && c >= 0 && a_.columns[static_cast<std::size_t>(c)].qualifier.empty()) {
      // A reference to a select-list alias carries the aliased expression's columns.
      const std::string alias = a_.columns[static_cast<std::size_t>(c)].column;
      for (const auto& it : *items) {
        if (!it.alias.empty() && iequals(it.alias, alias)) {
          for (uint32_t k = it.first_col; k < it.end_col; ++k) {
            ColumnRef copy = a_.columns[k];
            copy.contexts |= ctx;
            int sc = -1;
            for (const auto& pd : pending_) {
              if (pd.column == k) {
                sc = pd.scope;
                break;
              }
            }
            a_.columns.push_back(std::move(copy));
            pending_.push_back(Pending{static_cast<uint32_t>(a_.columns.size() - 1), sc});
          }
        }
      }
    }
    (void)first;
    if (!accept_kw("ASC")) accept_kw("DESC");
  } while (accept_op(","));
  return true;
}

bool Parser::limit_clause(uint32_t base, int scope) {
  a_.has_limit = true;
  auto value = [&]() -> bool {
    if (cur().type == TT::kNumber) {
      ++p_;
      return true;
    }
    if (cur().type == TT::kUserVar) return fail("user variables in LIMIT are not supported");
    if (is_name(cur())) {  // local variable in a routine; not expected from an agent
      return fail("expected a number in LIMIT");
    }
    return fail("expected a number in LIMIT");
  };
  (void)base;
  (void)scope;
  auto rows_examined = [&]() -> bool {
    if (!(kw("ROWS") && is_kw(peek(), "EXAMINED"))) return false;
    p_ += 2;
    return true;
  };
  if (rows_examined()) return value();  // LIMIT ROWS EXAMINED n: no row count (MariaDB)
  if (!value()) return false;
  if (accept_op(",") || accept_kw("OFFSET")) return value();
  if (kw("ROWS") && is_kw(peek(), "EXAMINED")) {
    p_ += 2;
    return value();
  }
  return true;
}

// LIMIT ... or the SQL standard row limiting of MariaDB 10.6+:
// [OFFSET n {ROW|ROWS}] [FETCH {FIRST|NEXT} [n] {ROW|ROWS} {ONLY|WITH TIES}].
bool Parser::row_limit(uint32_t base, int scope) {
  if (accept_kw("LIMIT")) return limit_clause(base, scope);
  if (!kw("OFFSET") && !kw("FETCH")) return true;
  a_.has_limit = true;
  auto count = [&]() -> bool {
    if (cur().type == TT::kNumber) {
      ++p_;
      return true;
    }
    if (cur().type == TT::kUserVar) {
      return fail("user variables in OFFSET / FETCH are not supported");
    }
    if (cur().type == TT::kParam) return fail("'?' placeholders are not supported");
    return fail("expected a number in OFFSET / FETCH");
  };
  auto row_or_rows = [&]() -> bool {
    if (accept_kw("ROW") || accept_kw("ROWS")) return true;
    return fail("expected ROW or ROWS");
  };
  if (accept_kw("OFFSET")) {
    if (!count() || !row_or_rows()) return false;
  }
  if (accept_kw("FETCH")) {
    if (!(accept_kw("FIRST") || accept_kw("NEXT"))) return fail("expected FIRST or NEXT");
    if (!kw("ROW") && !kw("ROWS") && !count()) return false;
    if (!row_or_rows()) return false;
    if (accept_kw("ONLY")) return true;
    if (accept_kw("WITH")) return expect_kw("TIES");
    return fail("expected ONLY or WITH TIES");
  }
  return true;
}

bool Parser::locking_clause() {
  if (kw("LOCK") && is_kw(peek(), "IN")) {
    p_ += 2;
    if (!expect_kw("SHARE") || !expect_kw("MODE")) return false;
    a_.locking_read = true;
    return true;
  }
  if (kw("FOR") && (is_kw(peek(), "UPDATE") || is_kw(peek(), "SHARE"))) {
    p_ += 2;
    a_.locking_read = true;
    if (accept_kw("OF")) {
      do {
        std::string s, t;
        if (!table_name(s, t)) return false;
      } while (accept_op(","));
    }
    if (accept_kw("NOWAIT")) return true;
    if (accept_kw("SKIP")) return expect_kw("LOCKED");
    if (accept_kw("WAIT")) {
      if (cur().type != TT::kNumber) return fail("expected a number after WAIT");
      ++p_;
    }
    return true;
  }
  return true;
}

bool Parser::into_clause(int scope, std::size_t cols_from, std::size_t cols_end) {
  (void)scope;
  // INTO has been consumed.
  if (accept_kw("OUTFILE") || accept_kw("DUMPFILE")) {
    a_.into_outfile = true;
    if (cur().type != TT::kString) return fail("expected a file name");
    ++p_;
    // Export options: CHARACTER SET, FIELDS/COLUMNS ..., LINES ...
    while (!at_end() && !kw("FROM") && !kw("FOR") && !kw("LOCK") && !kw("UNION") && !op(")")) {
      if (!(cur().type == TT::kWord || cur().type == TT::kString)) {
        return fail("unexpected token in INTO OUTFILE options");
      }
      ++p_;
    }
  } else {
    a_.into_variable = true;
    do {
      if (cur().type == TT::kUserVar) {
        a_.user_variables = true;
        a_.user_variable_writes = true;
        ++p_;
      } else if (is_name(cur())) {
        ++p_;  // local variable
      } else {
        return fail("expected a variable after INTO");
      }
    } while (accept_op(","));
  }
  for (std::size_t i = cols_from; i < cols_end && i < a_.columns.size(); ++i) {
    a_.columns[i].contexts |= kCtxInto;
  }
  return true;
}

bool Parser::with_clause(uint32_t base, int parent, std::size_t& pushed) {
  // WITH has been consumed.
  const bool recursive = accept_kw("RECURSIVE");
  do {
    std::string name;
    if (!take_name(name)) return false;
    if (op("(")) {
      ++p_;
      do {
        std::string c;
        if (!take_name(c)) return false;
      } while (accept_op(","));
      if (!expect_op(")")) return false;
    }
    if (!expect_kw("AS")) return false;
    // A recursive CTE sees itself; a plain one does not (its own name is a base table there).
    if (recursive) {
      ctes_.push_back(name);
      ++pushed;
    }
    if (!op("(")) return fail("expected '(' after AS");
    ++p_;
    {
      SG_DEPTH();
      if (!query_expr(base | kCtxCte, parent, false, nullptr)) return false;
    }
    if (!expect_op(")")) return false;
    if (kw("CYCLE")) {
      return fail(
          "WITH ... CYCLE is refused on purpose: it compares the CTE's rows by the named columns, "
          "an equality test the masking cannot see; bound the recursion with a depth column "
          "(WHERE depth < n) instead");
    }
    if (!recursive) {
      ctes_.push_back(name);
      ++pushed;
    }
  } while (accept_op(","));
  return true;
}

bool Parser::query_expr(uint32_t base, int parent, bool top, std::vector<SelectItem>* items) {
  SG_DEPTH();
  // Branches of the top-level query expression (or of a parenthesised top-level branch).
  const bool branch = top || top_branch_;
  top_branch_ = false;
  const std::size_t ctes_before = ctes_.size();
  std::size_t pushed = 0;
  if (accept_kw("WITH")) {
    if (!with_clause(base, parent, pushed)) return false;
  }
  const std::size_t first_col = a_.columns.size();
  const std::size_t first_table = a_.tables.size();
  std::size_t tables_from = first_table;
  top_branch_ = branch;
  if (!query_term(base, parent, top, items, tables_from)) return false;
  top_branch_ = false;
  bool is_union = false;
  while (kw("UNION") || kw("EXCEPT") || kw("INTERSECT") || kw("MINUS")) {
    ++p_;
    if (!accept_kw("ALL")) accept_kw("DISTINCT");
    if (!is_union) {
      is_union = true;
      mark_columns(first_col, kCtxUnion);
      if (top) top_is_union_ = true;
    }
    std::size_t tf = 0;
    top_branch_ = branch;
    if (!query_term(base | kCtxUnion, parent, false, nullptr, tf)) return false;
    top_branch_ = false;
  }
  // ORDER BY / LIMIT after a parenthesised term or a union: resolve against every table of the
  // query expression (conservative).
  if (kw("ORDER") || kw("LIMIT") || kw("OFFSET") || kw("FETCH")) {
    const int sc = new_scope(parent);
    for (std::size_t i = first_table; i < a_.tables.size(); ++i) {
      scopes_[static_cast<std::size_t>(sc)].tables.push_back(static_cast<uint32_t>(i));
    }
    const uint32_t ub = base | (is_union ? kCtxUnion : 0u);
    if (accept_kw("ORDER")) {
      if (!expect_kw("BY") || !order_list(ub | kCtxOrderBy, sc, nullptr)) return false;
    }
    if (!row_limit(ub | kCtxLimit, sc)) return false;
  }
  (void)tables_from;
  ctes_.resize(ctes_before);
  return true;
}

bool Parser::query_term(uint32_t base, int parent, bool top, std::vector<SelectItem>* items,
                        std::size_t& tables_from) {
  SG_DEPTH();
  tables_from = a_.tables.size();
  if (op("(")) {
    ++p_;
    if (!query_expr(base, parent, top, items)) return false;  // sees top_branch_
    return expect_op(")");
  }
  if (kw("SELECT")) return select_block(base, parent, top, items);  // sees top_branch_
  top_branch_ = false;
  if (accept_kw("TABLE")) {
    const int sc = new_scope(parent);
    std::string s, t;
    if (!table_name(s, t)) return false;
    add_table(make_table(std::move(s), std::move(t)), sc);
    const uint32_t ci = add_column("", "*", base | kCtxSelectList, sc);
    if (top) {
      SelectItem it;
      it.star = true;
      it.column = static_cast<int>(ci);
      it.first_col = ci;
      it.end_col = ci + 1;
      top_items_.push_back(it);
      top_has_items_ = true;
    }
    if (accept_kw("ORDER")) {
      if (!expect_kw("BY") || !order_list(base | kCtxOrderBy, sc, nullptr)) return false;
    }
    if (!row_limit(base, sc)) return false;
    return true;
  }
  if (accept_kw("VALUES")) {
    // MySQL's VALUES ROW(…), ROW(…) and MariaDB's table value constructor VALUES (…), (…).
    const int sc = new_scope(parent);
    do {
      accept_kw("ROW");
      if (!expr_list_paren(base | kCtxSelectList | kCtxExpression, sc)) return false;
    } while (accept_op(","));
    if (accept_kw("ORDER")) {
      if (!expect_kw("BY") || !order_list(base | kCtxOrderBy, sc, nullptr)) return false;
    }
    if (!row_limit(base, sc)) return false;
    return true;
  }
  return fail("expected SELECT");
}

bool Parser::select_block(uint32_t base, int parent, bool top, std::vector<SelectItem>* items) {
  SG_DEPTH();
  if (!expect_kw("SELECT")) return false;
  const bool outermost = top || top_branch_;
  top_branch_ = false;
  const int sc = new_scope(parent);
  for (;;) {
    if (kw("DISTINCT") || kw("DISTINCTROW")) {
      if (outermost) a_.distinct = true;
      ++p_;
      continue;
    }
    if (accept_kw("ALL") || accept_kw("HIGH_PRIORITY") || accept_kw("STRAIGHT_JOIN") ||
        accept_kw("SQL_SMALL_RESULT") || accept_kw("SQL_BIG_RESULT") || accept_kw("SQL_BUFFER_RESULT") ||
        accept_kw("SQL_NO_CACHE") || accept_kw("SQL_CACHE") || accept_kw("SQL_CALC_FOUND_ROWS"))
      continue;
    break;
  }
  std::vector<SelectItem> local;
  const uint32_t sl = base | kCtxSelectList;
  const std::size_t select_first = a_.columns.size();
  do {
    SelectItem it;
    it.first_col = static_cast<uint32_t>(a_.columns.size());
    if (op("*")) {
      ++p_;
      it.star = true;
      it.column = static_cast<int>(add_column("", "*", sl, sc));
    } else if (is_any_word(cur()) && is_op(peek(), ".") && is_op(peek(2), "*")) {
      std::string q = identifier_text(sql_, cur());
      p_ += 3;
      it.star = true;
      it.column = static_cast<int>(add_column(std::move(q), "*", sl, sc));
    } else if (is_any_word(cur()) && is_op(peek(), ".") && is_any_word(peek(2)) && is_op(peek(3), ".") &&
               is_op(peek(4), "*")) {
      std::string q = identifier_text(sql_, cur()) + "." + identifier_text(sql_, peek(2));
      p_ += 5;
      it.star = true;
      it.column = static_cast<int>(add_column(std::move(q), "*", sl, sc));
    } else {
      int c = -1;
      if (!expr_prec(sl, sc, 0, c)) return false;
      it.column = c;
      if (accept_kw("AS")) {
        if (!(is_any_word(cur()) || cur().type == TT::kString)) return fail("expected an alias");
        it.alias = cur().type == TT::kString ? string_value(sql_, cur()) : identifier_text(sql_, cur());
        ++p_;
      } else if (is_name(cur()) || cur().type == TT::kString) {
        it.alias = cur().type == TT::kString ? string_value(sql_, cur()) : identifier_text(sql_, cur());
        ++p_;
      }
    }
    it.end_col = static_cast<uint32_t>(a_.columns.size());
    local.push_back(std::move(it));
  } while (accept_op(","));
  const std::size_t select_end = a_.columns.size();
  if (accept_kw("INTO") && !into_clause(sc, select_first, select_end)) return false;
  if (accept_kw("FROM")) {
    if (kw("DUAL")) {
      ++p_;
    } else if (!table_refs(base, sc)) {
      return false;
    }
  }
  if (accept_kw("WHERE")) {
    if (!expr(base | kCtxWhere, sc)) return false;
  }
  if (accept_kw("GROUP")) {
    if (!expect_kw("BY") || !order_list(base | kCtxGroupBy, sc, &local)) return false;
    if (accept_kw("WITH") && !expect_kw("ROLLUP")) return false;
  }
  if (accept_kw("HAVING")) {
    const std::size_t first = a_.columns.size();
    int c = -1;
    if (!expr_prec(base | kCtxHaving, sc, 0, c)) return false;
    // Alias references inside HAVING carry the aliased columns.
    const std::size_t end = a_.columns.size();
    for (std::size_t k = first; k < end; ++k) {
      if (!a_.columns[k].qualifier.empty()) continue;
      for (const auto& it : local) {
        if (it.alias.empty() || !iequals(it.alias, a_.columns[k].column)) continue;
        for (uint32_t j = it.first_col; j < it.end_col; ++j) {
          ColumnRef copy = a_.columns[j];
          copy.contexts |= a_.columns[k].contexts;
          a_.columns.push_back(std::move(copy));
          pending_.push_back(Pending{static_cast<uint32_t>(a_.columns.size() - 1), sc});
        }
      }
    }
  }
  if (accept_kw("WINDOW")) {
    do {
      std::string n;
      if (!take_name(n) || !expect_kw("AS") || !window_spec(base | kCtxWindow, sc)) return false;
    } while (accept_op(","));
  }
  if (accept_kw("ORDER")) {
    if (!expect_kw("BY") || !order_list(base | kCtxOrderBy, sc, &local)) return false;
  }
  if (!row_limit(base | kCtxLimit, sc)) return false;
  if (accept_kw("INTO") && !into_clause(sc, select_first, select_end)) return false;
  if (!locking_clause()) return false;
  if (accept_kw("INTO") && !into_clause(sc, select_first, select_end)) return false;
  if (kw("PROCEDURE")) {
    return fail(
        "SELECT ... PROCEDURE ANALYSE() is refused on purpose: it runs a server procedure over the "
        "result; run the SELECT without it");
  }
  if (top && !top_has_items_) {
    top_items_ = local;
    top_has_items_ = true;
  }
  if (items != nullptr) *items = std::move(local);
  return true;
}

bool Parser::table_refs(uint32_t base, int scope) {
  do {
    if (!table_ref(base, scope)) return false;
  } while (accept_op(","));
  return true;
}

bool Parser::table_ref(uint32_t base, int scope) {
  SG_DEPTH();
  if (!table_factor(base, scope)) return false;
  return join_tail(base, scope);
}

bool Parser::starts_join() const {
  return kw("JOIN") || kw("STRAIGHT_JOIN") || kw("LEFT") || kw("RIGHT") || kw("NATURAL") ||
         ((kw("INNER") || kw("CROSS")) && is_kw(peek(), "JOIN"));
}

// The joins after a table factor: [NATURAL] {[INNER|CROSS] JOIN | STRAIGHT_JOIN | {LEFT|RIGHT}
// [OUTER] JOIN} table_factor [ON expr | USING (cols)], repeated.
bool Parser::join_tail(uint32_t base, int scope) {
  SG_DEPTH();
  for (;;) {
    bool natural = false;
    const std::size_t save = p_;
    if (accept_kw("NATURAL")) natural = true;
    bool join = false;
    bool needs_cond = false;
    if (accept_kw("LEFT") || accept_kw("RIGHT")) {
      accept_kw("OUTER");
      if (!expect_kw("JOIN")) return false;
      join = true;
      needs_cond = !natural;
    } else if (accept_kw("INNER") || accept_kw("CROSS")) {
      if (!expect_kw("JOIN")) return false;
      join = true;
    } else if (accept_kw("JOIN") || accept_kw("STRAIGHT_JOIN")) {
      join = true;
    } else if (natural) {
      if (!expect_kw("JOIN")) return false;
      join = true;
    }
    if (!join) {
      p_ = save;
      break;
    }
    if (!table_factor(base, scope)) return false;
    // A nested join with a deferred condition: `t1 LEFT JOIN t2 JOIN t3 ON c23 ON c12` joins t1
    // to (t2 JOIN t3 ON c23) on c12. The right operand is then a join of its own; every table
    // stays in this FROM clause's scope, so what a name resolves to does not change.
    if (!natural && starts_join()) {
      if (!join_tail(base, scope)) return false;
    }
    if (natural) {
      add_column("", "*", base | kCtxJoin, scope);
      continue;
    }
    if (accept_kw("ON")) {
      if (!expr(base | kCtxJoin, scope)) return false;
    } else if (accept_kw("USING")) {
      if (!expect_op("(")) return false;
      do {
        std::string c;
        if (!take_name(c)) return false;
        add_column("", std::move(c), base | kCtxJoin, scope);
      } while (accept_op(","));
      if (!expect_op(")")) return false;
    } else if (needs_cond) {
      return fail("expected ON or USING");
    }
  }
  return true;
}

bool Parser::index_hints(TableRef& r) {
  while ((kw("USE") || kw("IGNORE") || kw("FORCE")) && (is_kw(peek(), "INDEX") || is_kw(peek(), "KEY"))) {
    TableRef::IndexHint h;
    h.kind = kw("USE")
                 ? TableRef::IndexHint::Kind::kUse
                 : (kw("FORCE") ? TableRef::IndexHint::Kind::kForce : TableRef::IndexHint::Kind::kIgnore);
    p_ += 2;
    if (accept_kw("FOR")) {
      if (accept_kw("JOIN")) {
      } else if (accept_kw("ORDER") || accept_kw("GROUP")) {
        if (!expect_kw("BY")) return false;
      } else {
        return fail("expected JOIN, ORDER BY or GROUP BY");
      }
    }
    if (!expect_op("(")) return false;
    if (!op(")")) {
      do {
        if (!(is_any_word(cur()))) return fail("expected an index name");
        h.indexes.push_back(identifier_text(sql_, cur()));
        ++p_;
      } while (accept_op(","));
    }
    if (!expect_op(")")) return false;
    r.index_hints.push_back(std::move(h));
  }
  return true;
}

// PARTITION has been consumed: (p0, p1, ...).
bool Parser::partition_list(std::vector<std::string>& out) {
  if (!expect_op("(")) return false;
  do {
    std::string pn;
    if (!take_name(pn)) return false;
    out.push_back(std::move(pn));
  } while (accept_op(","));
  return expect_op(")");
}

// FOR SYSTEM_TIME has been consumed: ALL | AS OF point | BETWEEN point AND point |
// FROM point TO point, where point is [TIMESTAMP | TRANSACTION] bit_expr (MariaDB's
// history_point; `TIMESTAMP 'literal'` and `TIMESTAMP(expr)` are expressions themselves).
bool Parser::system_time_clause(uint32_t base, int scope) {
  const uint32_t ctx = base | kCtxExpression | kCtxOther;
  auto point = [&]() -> bool {
    if (kw("TRANSACTION")) {
      ++p_;
    } else if (kw("TIMESTAMP") && peek().type != TT::kString) {
      // The unit, unless TIMESTAMP(expr) is the function (a parenthesised query after the
      // unit is a scalar subquery: TIMESTAMP (SELECT ...)).
      ++p_;
      if (op("(") && !paren_starts_query()) --p_;
    }
    // A bit expression: binds no comparison and no AND/OR, so BETWEEN's AND, TO and an alias
    // after the point stay where they are.
    int c = -1;
    return expr_prec(ctx, scope, kPrecBitOr, c);
  };
  if (accept_kw("ALL")) return true;
  if (accept_kw("AS")) return expect_kw("OF") && point();
  if (accept_kw("BETWEEN")) return point() && expect_kw("AND") && point();
  if (accept_kw("FROM")) return point() && expect_kw("TO") && point();
  return fail("expected ALL, AS OF, BETWEEN or FROM after FOR SYSTEM_TIME");
}

bool Parser::table_factor(uint32_t base, int scope) {
  SG_DEPTH();
  SG_NEST();
  auto alias = [&](std::string& out, bool required) -> bool {
    if (accept_kw("AS")) {
      if (!is_any_word(cur())) return fail("expected an alias");
      out = identifier_text(sql_, cur());
      ++p_;
      return true;
    }
    // WINDOW is not reserved, but the server does not take it as a table alias (it starts the
    // WINDOW clause).
    if (is_name(cur()) && !kw("WINDOW")) {
      out = identifier_text(sql_, cur());
      ++p_;
      return true;
    }
    if (required) return fail("a derived table needs an alias");
    return true;
  };
  // LATERAL is not reserved: a keyword only before a parenthesised query.
  const bool lateral = kw("LATERAL") && is_op(peek(), "(");
  if (lateral) ++p_;
  if (op("(")) {
    if (paren_starts_query() && !(!lateral && paren_opens_join_list())) {
      ++p_;
      const uint32_t dctx = base | kCtxDerivedTable | (lateral ? kCtxSubquery : 0u);
      // A derived table does not see the FROM clause it stands in (LATERAL does).
      const int outer = lateral || scope < 0 ? scope : scopes_[static_cast<std::size_t>(scope)].parent;
      if (!query_expr(dctx, outer, false, nullptr)) return false;
      if (!expect_op(")")) return false;
      TableRef r;
      if (!alias(r.table, true)) return false;
      r.alias = r.table;
      r.is_derived = true;
      if (op("(")) {  // column list
        ++p_;
        do {
          std::string c;
          if (!take_name(c)) return false;
        } while (accept_op(","));
        if (!expect_op(")")) return false;
      }
      add_table(std::move(r), scope);
      return true;
    }
    if (lateral) return fail("expected a subquery after LATERAL");
    ++p_;
    if (!table_refs(base, scope)) return false;
    return expect_op(")");
  }
  if (lateral) return fail("expected a subquery after LATERAL");
  if (op("{")) {
    // The ODBC outer-join escape, MariaDB's `'{' ident table_ref '}'`: {oj t LEFT OUTER JOIN u
    // ON ...}; the word is ignored, the braces hold one table reference with its joins.
    ++p_;
    if (!is_any_word(cur())) return fail("expected a word after '{' (an ODBC escape)");
    ++p_;
    if (!table_ref(base, scope)) return false;
    return expect_op("}");
  }
  if (kw("JSON_TABLE") && is_op(peek(), "(")) {
    p_ += 2;
    add_function("json_table", false);
    if (!expr(base | kCtxExpression | kCtxDerivedTable, scope)) return false;
    if (!expect_op(",")) return false;
    if (cur().type != TT::kString) return fail("expected a JSON path");
    ++p_;
    if (!expect_kw("COLUMNS")) return false;
    // Column definitions: names, types, PATH strings, NESTED PATH, ON EMPTY/ERROR defaults.
    int depth = 0;
    if (!op("(")) return fail("expected '('");
    do {
      const Token& t = cur();
      if (is_op(t, "("))
        ++depth;
      else if (is_op(t, ")"))
        --depth;
      else if (t.type == TT::kEnd || is_op(t, ";"))
        return fail("unterminated JSON_TABLE");
      else if (is_kw(t, "SELECT") || is_kw(t, "WITH"))
        return fail("query inside JSON_TABLE");
      else if (!(t.type == TT::kWord || t.type == TT::kQuotedIdent || t.type == TT::kString ||
                 t.type == TT::kNumber || is_op(t, ",")))
        return fail("unexpected token in JSON_TABLE columns");
      ++p_;
    } while (depth > 0);
    if (!expect_op(")")) return false;
    TableRef r;
    if (!alias(r.table, true)) return false;
    r.alias = r.table;
    r.is_derived = true;
    add_table(std::move(r), scope);
    return true;
  }
  std::string s, t;
  if (!table_name(s, t)) return false;
  TableRef r = make_table(std::move(s), std::move(t));
  if (accept_kw("PARTITION") && !partition_list(r.partitions)) return false;
  if (kw("FOR") && is_kw(peek(), "SYSTEM_TIME")) {
    p_ += 2;
    r.system_time = true;
    if (!system_time_clause(base, scope)) return false;
  }
  if (!alias(r.alias, false)) return false;
  if (!index_hints(r)) return false;
  add_table(std::move(r), scope);
  return true;
}

}  // namespace sqlguard::policy::sql_parser
