// Expressions: operators by binding power, literals, names, function calls and windows (see
// policy/sql_parser.h).
#include "policy/sql_parser.h"

namespace sqlguard::policy::sql_parser {

// ----------------------------------------------------------------------------------------------
// Expressions
// ----------------------------------------------------------------------------------------------

bool Parser::skip_type() {
  // A data type in CAST/CONVERT/RETURNING: words, numbers, strings (charset names) and
  // parentheses with numbers. No expression can hide here; a query is refused.
  int depth = 0;
  bool any = false;
  while (!at_end()) {
    const Token& t = cur();
    if (is_op(t, "(")) {
      ++depth;
      ++p_;
      continue;
    }
    if (is_op(t, ")")) {
      if (depth == 0) break;
      --depth;
      ++p_;
      continue;
    }
    if (is_op(t, ",")) {
      if (depth == 0) break;
      ++p_;
      continue;
    }
    if (is_kw(t, "SELECT") || is_kw(t, "WITH")) return fail("query inside a type");
    if (t.type == TT::kWord || t.type == TT::kNumber || t.type == TT::kString || t.type == TT::kQuotedIdent) {
      any = true;
      ++p_;
      continue;
    }
    return fail("unexpected token in a data type");
  }
  if (!any || depth != 0) return fail("expected a data type");
  return true;
}

bool Parser::expr_list_paren(uint32_t ctx, int scope) {
  if (!expect_op("(")) return false;
  if (accept_op(")")) return true;
  do {
    if (!expr(ctx, scope)) return false;
  } while (accept_op(","));
  return expect_op(")");
}

bool Parser::subquery_paren(uint32_t ctx, int scope) {
  SG_DEPTH();
  if (!expect_op("(")) return false;
  if (!query_expr(ctx | kCtxSubquery, scope, false, nullptr)) return false;
  return expect_op(")");
}

bool Parser::expr_prec(uint32_t ctx, int scope, int min_prec, int& col) {
  SG_DEPTH();
  const std::size_t first_col = a_.columns.size();
  col = -1;
  int c = -1;
  if (!unary(ctx, scope, c)) return false;
  bool simple = true;
  for (;;) {
    const Token& t = cur();
    int prec = 0;
    if (t.type == TT::kOp) {
      const std::string_view o = text(t);
      if (o == "||")
        prec = kPrecOr;
      else if (o == "&&")
        prec = kPrecAnd;
      else if (o == "=" || o == "<=>" || o == "<" || o == ">" || o == "<=" || o == ">=" || o == "<>" ||
               o == "!=")
        prec = kPrecCmp;
      else if (o == "|")
        prec = kPrecBitOr;
      else if (o == "&")
        prec = kPrecBitAnd;
      else if (o == "<<" || o == ">>")
        prec = kPrecShift;
      else if (o == "+" || o == "-")
        prec = kPrecAdd;
      else if (o == "*" || o == "/" || o == "%")
        prec = kPrecMul;
      else if (o == "^")
        prec = kPrecBitXor;
      else if (o == ":=")
        prec = kPrecAssign;
      if (prec == 0 || prec < min_prec) break;
      if (o == ":=") return fail("assignment to something other than a user variable");
      ++p_;
      simple = false;
      if (prec == kPrecCmp && (kw("ANY") || kw("SOME") || kw("ALL")) && is_op(peek(), "(")) {
        ++p_;
        SG_NEST();  // a subquery operand is a level, like one in parentheses
        if (!subquery_paren(ctx | kCtxExpression, scope)) return false;
        continue;
      }
      int rc = -1;
      if (!expr_prec(ctx | kCtxExpression, scope, prec + 1, rc)) return false;
      continue;
    }
    if (t.type != TT::kWord) break;
    // Keyword operators.
    bool negated = false;
    std::size_t save = p_;
    if (is_kw(t, "OR"))
      prec = kPrecOr;
    else if (is_kw(t, "XOR"))
      prec = kPrecXor;
    else if (is_kw(t, "AND"))
      prec = kPrecAnd;
    else if (is_kw(t, "DIV") || is_kw(t, "MOD"))
      prec = kPrecMul;
    else if (is_kw(t, "IS") || is_kw(t, "LIKE") || is_kw(t, "REGEXP") || is_kw(t, "RLIKE") ||
             is_kw(t, "BETWEEN") || is_kw(t, "IN") || is_kw(t, "SOUNDS") || is_kw(t, "MEMBER"))
      prec = kPrecCmp;
    else if (is_kw(t, "NOT") && (is_kw(peek(), "LIKE") || is_kw(peek(), "REGEXP") || is_kw(peek(), "RLIKE") ||
                                 is_kw(peek(), "BETWEEN") || is_kw(peek(), "IN"))) {
      prec = kPrecCmp;
      negated = true;
    } else if (is_kw(t, "COLLATE")) {
      prec = kPrecUnary + 2;
    }
    if (prec == 0 || prec < min_prec) break;
    simple = false;
    ++p_;
    if (negated) ++p_;
    const Token& o = t_[negated ? save + 1 : save];
    const uint32_t ectx = ctx | kCtxExpression;
    int rc = -1;
    if (is_kw(o, "IS")) {
      accept_kw("NOT");
      if (!(accept_kw("NULL") || accept_kw("TRUE") || accept_kw("FALSE") || accept_kw("UNKNOWN")))
        return fail("expected NULL, TRUE, FALSE or UNKNOWN after IS");
    } else if (is_kw(o, "BETWEEN")) {
      if (!expr_prec(ectx, scope, kPrecCmp + 1, rc)) return false;
      if (!expect_kw("AND")) return false;
      if (!expr_prec(ectx, scope, kPrecCmp + 1, rc)) return false;
    } else if (is_kw(o, "IN")) {
      if (!op("(")) return fail("expected '(' after IN");
      if (paren_starts_query() && !paren_opens_expression()) {
        SG_NEST();
        if (!subquery_paren(ectx, scope)) return false;
      } else if (!expr_list_paren(ectx, scope)) {
        return false;
      }
    } else if (is_kw(o, "LIKE")) {
      if (!expr_prec(ectx, scope, kPrecCmp + 1, rc)) return false;
      if (accept_kw("ESCAPE") && !expr_prec(ectx, scope, kPrecCmp + 1, rc)) return false;
    } else if (is_kw(o, "SOUNDS")) {
      if (!expect_kw("LIKE")) return false;
      if (!expr_prec(ectx, scope, kPrecCmp + 1, rc)) return false;
    } else if (is_kw(o, "MEMBER")) {
      accept_kw("OF");
      if (!expect_op("(")) return false;
      if (!expr(ectx, scope)) return false;
      if (!expect_op(")")) return false;
    } else if (is_kw(o, "COLLATE")) {
      if (!(is_any_word(cur()) || cur().type == TT::kString)) return fail("expected a collation");
      ++p_;
    } else {
      if (!expr_prec(ectx, scope, prec + 1, rc)) return false;
    }
  }
  if (simple && c >= 0) {
    col = c;
  } else {
    mark_columns(first_col, kCtxExpression);
  }
  return true;
}

bool Parser::unary(uint32_t ctx, int scope, int& col) {
  SG_DEPTH();
  col = -1;
  const Token& t = cur();
  if (is_op(t, "-") || is_op(t, "+") || is_op(t, "~") || is_op(t, "!")) {
    ++p_;
    int c = -1;
    const std::size_t first = a_.columns.size();
    if (!unary(ctx | kCtxExpression, scope, c)) return false;
    mark_columns(first, kCtxExpression);
    return true;
  }
  if (is_kw(t, "NOT")) {
    ++p_;
    int c = -1;
    const std::size_t first = a_.columns.size();
    if (!expr_prec(ctx | kCtxExpression, scope, kPrecNot, c)) return false;
    mark_columns(first, kCtxExpression);
    return true;
  }
  if (is_kw(t, "BINARY")) {  // BINARY expr and BINARY(expr): the operator (there is no function)
    ++p_;
    int c = -1;
    const std::size_t first = a_.columns.size();
    if (!unary(ctx | kCtxExpression, scope, c)) return false;
    mark_columns(first, kCtxExpression);
    return true;
  }
  const std::size_t first = a_.columns.size();
  if (!primary(ctx, scope, col)) return false;
  // JSON path operators bind to the column they follow.
  while (op("->") || op("->>")) {
    ++p_;
    if (cur().type != TT::kString) return fail("expected a JSON path string");
    ++p_;
    col = -1;
    mark_columns(first, kCtxExpression);
  }
  return true;
}

bool Parser::primary(uint32_t ctx, int scope, int& col) {
  SG_DEPTH();
  SG_NEST();
  col = -1;
  const Token& t = cur();
  switch (t.type) {
    case TT::kString:
      while (cur().type == TT::kString) ++p_;  // adjacent literals concatenate
      return true;
    case TT::kNationalString:
    case TT::kHexString:
    case TT::kBitString:
    case TT::kNumber:
    case TT::kHexNumber:
    case TT::kBitNumber:
      ++p_;
      if (t.type == TT::kNationalString) {
        while (cur().type == TT::kString) ++p_;
      }
      return true;
    case TT::kParam: return fail("'?' placeholders are not supported");
    case TT::kUserVar:
      a_.user_variables = true;
      ++p_;
      if (op(":=")) {
        ++p_;
        a_.user_variable_writes = true;
        int c = -1;
        const std::size_t first = a_.columns.size();
        if (!expr_prec(ctx | kCtxVariable, scope, kPrecAssign, c)) return false;
        mark_columns(first, kCtxVariable | kCtxExpression);
      }
      return true;
    case TT::kSysVar:
      a_.system_variables = true;
      ++p_;
      return true;
    case TT::kOp:
      if (is_op(t, "(")) {
        if (paren_starts_query() && !paren_opens_expression())
          return subquery_paren(ctx | kCtxExpression, scope);
        ++p_;
        const std::size_t first = a_.columns.size();
        if (!expr(ctx, scope)) return false;
        while (accept_op(",")) {  // row constructor
          if (!expr(ctx, scope)) return false;
        }
        if (!expect_op(")")) return false;
        mark_columns(first, kCtxExpression);
        return true;
      }
      if (is_op(t, "{")) {
        // An ODBC escape, MariaDB's `'{' ident expr '}'`: {d '2020-01-01'}, {ts '...'}, {fn
        // ABS(x)}; the server reads it as the expression (the word turns a string into a
        // temporal literal for d, t and ts, and is otherwise ignored). Like a parenthesis, the
        // value is an expression of its columns, never a plain column.
        ++p_;
        if (!is_any_word(cur())) return fail("expected a word after '{' (an ODBC escape)");
        ++p_;
        const std::size_t first = a_.columns.size();
        if (!expr(ctx, scope)) return false;
        if (!expect_op("}")) return false;
        mark_columns(first, kCtxExpression);
        return true;
      }
      if (is_op(t, "*")) return fail("unexpected '*'");
      return fail("unexpected operator");
    case TT::kWord:
    case TT::kQuotedIdent: break;
    default: return fail("unexpected token");
  }

  const std::string_view w = text(t);
  const bool word = t.type == TT::kWord;
  const bool paren_next = is_op(peek(), "(");
  const uint32_t ectx = ctx | kCtxExpression;
  if (word) {
    if (iequals(w, "NULL") || iequals(w, "TRUE") || iequals(w, "FALSE") || iequals(w, "UNKNOWN")) {
      ++p_;
      return true;
    }
    if (iequals(w, "DEFAULT") && !paren_next) {
      ++p_;
      return true;
    }
    if (iequals(w, "DEFAULT")) {
      // DEFAULT(col): the column's default value. Evaluating it can advance a sequence (a
      // default of NEXTVAL(s)); resolve_with_catalog() looks the default up.
      p_ += 2;
      add_function("default", false);
      if (!is_name(cur())) return fail("expected a column in DEFAULT()");
      std::string parts[3];
      int n = 0;
      parts[n++] = identifier_text(sql_, cur());
      ++p_;
      while (op(".")) {
        if (n == 3 || !is_any_word(peek())) return fail("bad column name in DEFAULT()");
        ++p_;
        parts[n++] = identifier_text(sql_, cur());
        ++p_;
      }
      if (!expect_op(")")) return false;
      std::string qual = n == 1 ? "" : (n == 2 ? parts[0] : parts[0] + "." + parts[1]);
      a_.default_calls.push_back(add_column(std::move(qual), std::move(parts[n - 1]), ectx, scope));
      return true;
    }
    if ((iequals(w, "NEXT") || iequals(w, "PREVIOUS")) && is_kw(peek(), "VALUE") && is_kw(peek(2), "FOR")) {
      // NEXT VALUE FOR s / PREVIOUS VALUE FOR s (the server's grammar commits to the sequence
      // form on these three words; anything but a sequence name after them is refused).
      const bool next = iequals(w, "NEXT");
      p_ += 3;
      add_function(next ? "nextval" : "lastval", false);
      return sequence_use(next, next ? "NEXT VALUE FOR" : "PREVIOUS VALUE FOR", false);
    }
    if (paren_next && (iequals(w, "NEXTVAL") || iequals(w, "LASTVAL") || iequals(w, "SETVAL"))) {
      // NEXTVAL(s), LASTVAL(s), SETVAL(s, n [, round [, is_used]]): the first argument names a
      // sequence (a table), not a column.
      const std::string fname = lower_copy(w);
      add_function(fname, false);
      p_ += 2;
      const bool set = fname == "setval";
      const std::size_t first = a_.columns.size();
      if (!sequence_use(fname != "lastval", set ? "SETVAL" : (fname == "nextval" ? "NEXTVAL" : "LASTVAL"),
                        true))
        return false;
      if (set) {
        if (!expect_op(",")) return false;
        int args = 0;
        do {
          if (++args > 3) return fail("too many arguments to SETVAL");
          if (!expr(ectx, scope)) return false;
        } while (accept_op(","));
      }
      if (!expect_op(")")) return false;
      mark_columns(first, kCtxExpression);
      return true;
    }
    if ((iequals(w, "DATE") || iequals(w, "TIME") || iequals(w, "TIMESTAMP")) && peek().type == TT::kString) {
      p_ += 2;
      return true;
    }
    if (w.size() > 1 && w[0] == '_' && !paren_next) {
      const TT nt = peek().type;
      const bool lit = nt == TT::kString || nt == TT::kHexString || nt == TT::kBitString ||
                       nt == TT::kHexNumber || nt == TT::kBitNumber;
      if (is_charset_introducer(w)) {
        if (!lit) return fail("character set introducer without a literal");
        p_ += 2;
        while (nt == TT::kString && cur().type == TT::kString) ++p_;
        if (accept_kw("COLLATE")) {
          if (!is_any_word(cur())) return fail("expected a collation");
          ++p_;
        }
        return true;
      }
      if (lit) return fail("unknown character set introducer");
    }
    if (iequals(w, "CASE")) {
      ++p_;
      const std::size_t first = a_.columns.size();
      if (!kw("WHEN") && !expr(ectx, scope)) return false;
      if (!kw("WHEN")) return fail("expected WHEN");
      while (accept_kw("WHEN")) {
        if (!expr(ectx, scope) || !expect_kw("THEN") || !expr(ectx, scope)) return false;
      }
      if (accept_kw("ELSE") && !expr(ectx, scope)) return false;
      if (!expect_kw("END")) return false;
      mark_columns(first, kCtxExpression);
      return true;
    }
    if (iequals(w, "EXISTS") && paren_next) {
      ++p_;
      return subquery_paren(ectx, scope);
    }
    if (iequals(w, "ROW") && paren_next) {
      ++p_;
      const std::size_t first = a_.columns.size();
      if (!expr_list_paren(ectx, scope)) return false;
      mark_columns(first, kCtxExpression);
      return true;
    }
    if (iequals(w, "INTERVAL")) {
      ++p_;
      const std::size_t first = a_.columns.size();
      if (op("(") && !paren_starts_query()) {
        // INTERVAL(N, N1, ...) function or INTERVAL (expr) unit.
        if (!expr_list_paren(ectx, scope)) return false;
        if (cur().type == TT::kWord && !cur().reserved) {
          ++p_;  // unit
        } else if (cur().type == TT::kWord &&
                   (kw("DAY_HOUR") || kw("DAY_MINUTE") || kw("DAY_SECOND") || kw("DAY_MICROSECOND") ||
                    kw("HOUR_MINUTE") || kw("HOUR_SECOND") || kw("HOUR_MICROSECOND") || kw("MINUTE_SECOND") ||
                    kw("MINUTE_MICROSECOND") || kw("SECOND_MICROSECOND") || kw("YEAR_MONTH"))) {
          ++p_;
        } else {
          add_function("interval", false);
        }
      } else {
        int c = -1;
        // The server reads a whole expression up to the unit (INTERVAL 1<<20 HOUR); a bit
        // expression here (a comparison before the unit is refused, never misread).
        if (!expr_prec(ectx, scope, kPrecBitOr, c)) return false;
        if (cur().type != TT::kWord) return fail("expected an interval unit");
        ++p_;
      }
      mark_columns(first, kCtxExpression);
      return true;
    }
    if (iequals(w, "MATCH") && (paren_next || is_name(peek()))) {
      ++p_;
      add_function("match", false);
      const std::size_t first = a_.columns.size();
      if (op("(")) {
        if (!expr_list_paren(ectx, scope)) return false;
      } else {
        // MATCH col [, col ...] AGAINST (...): MariaDB also takes the column list unparenthesised.
        do {
          int c = -1;
          if (!is_name(cur()) || is_op(peek(), "(")) return fail("expected a column in MATCH");
          if (!primary(ectx, scope, c)) return false;
        } while (accept_op(","));
      }
      if (!expect_kw("AGAINST") || !expect_op("(")) return false;
      int c = -1;
      if (!expr_prec(ectx, scope, kPrecCmp + 1, c)) return false;
      while (!op(")") && !at_end()) {
        if (!(accept_kw("IN") || accept_kw("NATURAL") || accept_kw("LANGUAGE") || accept_kw("MODE") ||
              accept_kw("BOOLEAN") || accept_kw("WITH") || accept_kw("QUERY") || accept_kw("EXPANSION")))
          return fail("unexpected token in AGAINST");
      }
      if (!expect_op(")")) return false;
      mark_columns(first, kCtxExpression);
      return true;
    }
    // Niladic functions usable without parentheses.
    if (!paren_next &&
        (iequals(w, "CURRENT_DATE") || iequals(w, "CURRENT_TIME") || iequals(w, "CURRENT_TIMESTAMP") ||
         iequals(w, "LOCALTIME") || iequals(w, "LOCALTIMESTAMP") || iequals(w, "UTC_DATE") ||
         iequals(w, "UTC_TIME") || iequals(w, "UTC_TIMESTAMP") || iequals(w, "CURRENT_USER") ||
         iequals(w, "CURRENT_ROLE"))) {
      add_function(w, false);
      ++p_;
      return true;
    }
  }
  // Function call: name ( ... ). Conservative: any name followed by '(' is a call, spaces or not.
  if (paren_next && !word) {
    // A back-quoted name is never a keyword: `nextval`(x) or `default`(x) is not the sequence
    // or DEFAULT() syntax but a call of a stored function (or UDF) of that name.
    const std::string name = identifier_text(sql_, t);
    if (iequals(name, "NEXTVAL") || iequals(name, "LASTVAL") || iequals(name, "SETVAL") ||
        iequals(name, "DEFAULT")) {
      ++p_;
      return function_call(name, true, ctx, scope);
    }
  }
  if (paren_next) {
    if (word && !is_builtin_function(w) && t.reserved) {
      return fail("unexpected keyword");
    }
    std::string name = identifier_text(sql_, t);
    ++p_;
    return function_call(name, false, ctx, scope);
  }
  // Column reference: [schema.]table.column, table.*, column.
  if (word && t.reserved) return fail("unexpected keyword");
  std::string parts[3];
  int n = 0;
  parts[n++] = identifier_text(sql_, t);
  ++p_;
  while (op(".")) {
    if (is_op(peek(), "*")) {
      if (n > 2) return fail("too many qualifiers");
      p_ += 2;
      std::string q = n == 1 ? parts[0] : parts[0] + "." + parts[1];
      col = -1;
      add_column(std::move(q), "*", ctx, scope);
      return fail("'*' is only allowed in a select list");
    }
    if (!is_any_word(peek())) return fail("expected a name after '.'");
    if (n == 3) return fail("too many qualifiers");
    ++p_;
    parts[n++] = identifier_text(sql_, cur());
    ++p_;
  }
  if (op("(")) {
    // schema.function(...)
    if (n != 2) return fail("unexpected '('");
    std::string name = parts[0] + "." + parts[1];
    return function_call(name, true, ctx, scope);
  }
  std::string qual;
  if (n == 2) qual = parts[0];
  if (n == 3) qual = parts[0] + "." + parts[1];
  col = static_cast<int>(add_column(std::move(qual), std::move(parts[n - 1]), ctx, scope));
  return true;
}

bool Parser::sequence_use(bool changes, std::string_view form_name, bool call_form) {
  // The sequence name: [schema.]name, resolved like a table name (never a CTE: a sequence is a
  // base object). It gets no scope, so no column can resolve to it.
  if (!is_name(cur())) return fail("expected a sequence name");
  std::string s, n;
  if (!table_name(s, n)) return false;
  TableRef r;
  r.schema = s.empty() ? std::string(def_) : std::move(s);
  r.table = std::move(n);
  r.is_system_schema = is_system_schema_name(r.schema);
  r.is_sequence = true;
  r.written = changes;
  const std::string q = r.schema.empty() ? r.table : r.schema + "." + r.table;
  SequenceUse u;
  u.table = add_table(std::move(r), -1);
  u.changes = changes;
  u.form = call_form ? std::string(form_name) + "(" + q + ")" : std::string(form_name) + " " + q;
  a_.sequences.push_back(std::move(u));
  if (changes) a_.writes_data = true;
  return true;
}

bool Parser::function_call(std::string_view name, bool qualified, uint32_t ctx, int scope) {
  SG_DEPTH();
  const bool builtin = !qualified && is_builtin_function(name);
  add_function(name, !builtin);
  const uint32_t ectx = ctx | kCtxExpression;
  const std::size_t first = a_.columns.size();
  if (!expect_op("(")) return false;
  auto done = [&]() {
    mark_columns(first, kCtxExpression);
    return true;
  };
  auto is = [&](std::string_view n) { return !qualified && iequals(name, n); };
  int c = -1;
  if (is("CAST")) {
    if (!expr(ectx, scope) || !expect_kw("AS") || !skip_type() || !expect_op(")")) return false;
    return done();
  }
  if (is("CONVERT")) {
    if (!expr(ectx, scope)) return false;
    if (accept_kw("USING")) {
      if (!is_any_word(cur())) return fail("expected a character set");
      ++p_;
    } else if (!expect_op(",") || !skip_type()) {
      return false;
    }
    if (!expect_op(")")) return false;
    return done();
  }
  if (is("TRIM")) {
    const bool spec = accept_kw("LEADING") || accept_kw("TRAILING") || accept_kw("BOTH");
    if (spec && accept_kw("FROM")) {
      if (!expr(ectx, scope)) return false;
    } else {
      if (!expr(ectx, scope)) return false;
      if (accept_kw("FROM") && !expr(ectx, scope)) return false;
    }
    if (!expect_op(")")) return false;
    return done();
  }
  if (is("EXTRACT")) {
    if (cur().type != TT::kWord) return fail("expected a unit");
    ++p_;
    if (!expect_kw("FROM") || !expr(ectx, scope) || !expect_op(")")) return false;
    return done();
  }
  if (is("POSITION")) {
    if (!expr_prec(ectx, scope, kPrecCmp + 1, c) || !expect_kw("IN") || !expr(ectx, scope) || !expect_op(")"))
      return false;
    return done();
  }
  if (is("SUBSTRING") || is("SUBSTR") || is("MID")) {
    if (!expr(ectx, scope)) return false;
    if (accept_kw("FROM")) {
      if (!expr(ectx, scope)) return false;
      if (accept_kw("FOR") && !expr(ectx, scope)) return false;
    } else {
      while (accept_op(",")) {
        if (!expr(ectx, scope)) return false;
      }
    }
    if (!expect_op(")")) return false;
    return done();
  }
  if (is("CHAR")) {
    do {
      if (!expr(ectx, scope)) return false;
    } while (accept_op(","));
    if (accept_kw("USING")) {
      if (!is_any_word(cur())) return fail("expected a character set");
      ++p_;
    }
    if (!expect_op(")")) return false;
    return done();
  }
  if (is("COLUMN_GET") || is("COLUMN_CREATE") || is("COLUMN_ADD")) {
    // Dynamic columns: an argument may carry its type (COLUMN_GET(blob, 1 AS CHAR),
    // COLUMN_CREATE(1, x AS INT, ...)).
    do {
      if (!expr(ectx, scope)) return false;
      if (accept_kw("AS") && !skip_type()) return false;
    } while (accept_op(","));
    if (!expect_op(")")) return false;
    return done();
  }
  if (is("WEIGHT_STRING")) {
    if (!expr(ectx, scope)) return false;
    if (accept_kw("AS") && !skip_type()) return false;
    if (accept_kw("LEVEL")) {
      // LEVEL 1, 2 | LEVEL 1-3 [ASC|DESC|REVERSE]: numbers and words only, no expression.
      while (cur().type == TT::kNumber || op(",") || op("-") || kw("ASC") || kw("DESC") || kw("REVERSE"))
        ++p_;
    }
    if (!expect_op(")")) return false;
    return done();
  }
  if (is("TIMESTAMPADD") || is("TIMESTAMPDIFF")) {
    if (cur().type != TT::kWord) return fail("expected a unit");
    ++p_;
    if (!expect_op(",") || !expr(ectx, scope) || !expect_op(",") || !expr(ectx, scope) || !expect_op(")"))
      return false;
    return done();
  }
  if (is("GET_FORMAT")) {
    if (cur().type != TT::kWord) return fail("expected DATE, TIME or DATETIME");
    ++p_;
    if (!expect_op(",") || !expr(ectx, scope) || !expect_op(")")) return false;
    return done();
  }
  if (is("JSON_VALUE") || is("JSON_QUERY")) {
    if (!expr(ectx, scope) || !expect_op(",") || !expr(ectx, scope)) return false;
    if (accept_kw("RETURNING") && !skip_type()) return false;
    if (!expect_op(")")) return false;
    return done();
  }
  const bool aggregate = is("COUNT") || is("SUM") || is("AVG") || is("MIN") || is("MAX") ||
                         is("GROUP_CONCAT") || is("JSON_ARRAYAGG") || is("JSON_OBJECTAGG") || is("BIT_AND") ||
                         is("BIT_OR") || is("BIT_XOR") || is("STD") || is("STDDEV") || is("STDDEV_POP") ||
                         is("STDDEV_SAMP") || is("VAR_POP") || is("VAR_SAMP") || is("VARIANCE");
  if (aggregate) {
    if (is("COUNT") && op("*") && is_op(peek(), ")")) {
      p_ += 2;
    } else {
      if (!accept_kw("DISTINCT")) accept_kw("ALL");
      do {
        if (!expr(ectx, scope)) return false;
      } while (accept_op(","));
      if ((is("GROUP_CONCAT") || is("JSON_ARRAYAGG")) && kw("ORDER")) {
        ++p_;
        if (!expect_kw("BY") || !order_list(ectx, scope, nullptr)) return false;
      }
      if (is("GROUP_CONCAT") && accept_kw("SEPARATOR")) {
        if (cur().type != TT::kString) return fail("expected a separator string");
        while (cur().type == TT::kString) ++p_;
      }
      if ((is("GROUP_CONCAT") || is("JSON_ARRAYAGG")) && accept_kw("LIMIT")) {
        if (!limit_clause(ectx, scope)) return false;
      }
      if (!expect_op(")")) return false;
    }
  } else if (!accept_op(")")) {
    do {
      if (!expr(ectx, scope)) return false;
    } while (accept_op(","));
    if (!expect_op(")")) return false;
  }
  if (accept_kw("WITHIN")) {
    if (!expect_kw("GROUP") || !expect_op("(") || !expect_kw("ORDER") || !expect_kw("BY") ||
        !order_list(ectx | kCtxWindow, scope, nullptr) || !expect_op(")"))
      return false;
  }
  if (kw("RESPECT") || kw("IGNORE") || (kw("FROM") && (is_kw(peek(), "FIRST") || is_kw(peek(), "LAST")))) {
    return fail("null treatment clauses are not supported");
  }
  if (accept_kw("OVER")) {
    if (!over_clause(ectx | kCtxWindow, scope)) return false;
  }
  return done();
}

bool Parser::over_clause(uint32_t ctx, int scope) {
  if (is_name(cur())) {
    ++p_;
    return true;
  }
  return window_spec(ctx, scope);
}

bool Parser::window_spec(uint32_t ctx, int scope) {
  SG_DEPTH();
  const std::size_t first = a_.columns.size();
  if (!expect_op("(")) return false;
  if (is_name(cur()) && !kw("PARTITION") && !kw("ORDER") && !kw("ROWS") && !kw("RANGE") && !kw("GROUPS"))
    ++p_;  // base window name
  if (accept_kw("PARTITION")) {
    if (!expect_kw("BY")) return false;
    do {
      if (!expr(ctx, scope)) return false;
    } while (accept_op(","));
  }
  if (accept_kw("ORDER")) {
    if (!expect_kw("BY") || !order_list(ctx, scope, nullptr)) return false;
  }
  if (accept_kw("ROWS") || accept_kw("RANGE") || accept_kw("GROUPS")) {
    auto bound = [&]() -> bool {
      if (accept_kw("UNBOUNDED")) {
        if (accept_kw("PRECEDING") || accept_kw("FOLLOWING")) return true;
        return fail("expected PRECEDING or FOLLOWING");
      }
      if (accept_kw("CURRENT")) return expect_kw("ROW");
      int c = -1;
      if (!expr_prec(ctx, scope, kPrecCmp + 1, c)) return false;
      if (accept_kw("PRECEDING") || accept_kw("FOLLOWING")) return true;
      return fail("expected PRECEDING or FOLLOWING");
    };
    if (accept_kw("BETWEEN")) {
      if (!bound() || !expect_kw("AND") || !bound()) return false;
    } else if (!bound()) {
      return false;
    }
    if (accept_kw("EXCLUDE")) {
      if (accept_kw("CURRENT")) {
        if (!expect_kw("ROW")) return false;
      } else if (accept_kw("NO")) {
        if (!expect_kw("OTHERS")) return false;
      } else if (!(accept_kw("GROUP") || accept_kw("TIES"))) {
        return fail("unexpected EXCLUDE option");
      }
    }
  }
  if (!expect_op(")")) return false;
  mark_columns(first, kCtxWindow);
  return true;
}

}  // namespace sqlguard::policy::sql_parser
