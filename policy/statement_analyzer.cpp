// Recursive-descent analysis of one MySQL 8 / MariaDB 10.11+ statement. See statement_analyzer.h.
//
// The parser accepts the grammar to the depth policy and masking need and fails closed on
// anything else: every token must be consumed by a rule that understands it. Column references
// are collected with their clause contexts and resolved against the tables in scope at the end
// (the select list is parsed before FROM).
#include "policy/statement_analyzer.h"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "policy/sql_builtins.h"
#include "policy/sql_lexer.h"

namespace sqlguard::policy {

namespace {

constexpr int kMaxDepth = 64;

using TT = TokenType;

std::string lower_copy(std::string_view s) {
  std::string r(s);
  for (auto& c : r) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return r;
}

bool is_system_schema_name(std::string_view s) {
  return iequals(s, "information_schema") || iequals(s, "performance_schema") || iequals(s, "mysql") ||
         iequals(s, "sys");
}

class Parser {
 public:
  Parser(std::string_view sql, const std::vector<Token>& tokens, std::string_view default_schema,
         StatementAnalysis& a)
      : sql_(sql), t_(tokens), def_(default_schema), a_(a) {}

  void run();

 private:
  // ---- token helpers ----
  const Token& cur() const { return t_[p_]; }
  const Token& peek(std::size_t k = 1) const { return t_[p_ + k < t_.size() ? p_ + k : t_.size() - 1]; }
  std::string_view text(const Token& t) const { return sql_.substr(t.begin, t.end - t.begin); }
  bool is_kw(const Token& t, std::string_view kw) const {
    return t.type == TT::kWord && iequals(text(t), kw);
  }
  bool is_op(const Token& t, std::string_view op) const { return t.type == TT::kOp && text(t) == op; }
  bool kw(std::string_view k) const { return is_kw(cur(), k); }
  bool op(std::string_view o) const { return is_op(cur(), o); }
  bool accept_kw(std::string_view k) {
    if (kw(k)) {
      ++p_;
      return true;
    }
    return false;
  }
  bool accept_op(std::string_view o) {
    if (op(o)) {
      ++p_;
      return true;
    }
    return false;
  }
  bool expect_kw(std::string_view k) {
    if (accept_kw(k)) return true;
    return fail(std::string("expected ") + std::string(k));
  }
  bool expect_op(std::string_view o) {
    if (accept_op(o)) return true;
    return fail(std::string("expected '") + std::string(o) + "'");
  }
  bool at_end() const { return cur().type == TT::kEnd || op(";"); }

  bool fail(std::string what) {
    if (!failed_) {
      failed_ = true;
      const Token& t = cur();
      std::string near = t.type == TT::kEnd ? std::string("end of statement")
                                            : "'" + std::string(text(t).substr(0, 40)) + "'";
      reason_ = std::move(what) + " near " + near + " at byte " + std::to_string(t.begin);
    }
    return false;
  }

  // Identifier-like token usable as a name (unquoted non-reserved word or quoted identifier).
  bool is_name(const Token& t) const {
    return t.type == TT::kQuotedIdent || (t.type == TT::kWord && !is_reserved_word(text(t)));
  }
  bool is_any_word(const Token& t) const { return t.type == TT::kQuotedIdent || t.type == TT::kWord; }
  bool take_name(std::string& out) {
    if (!is_name(cur())) return fail("expected a name");
    out = identifier_text(sql_, cur());
    ++p_;
    return true;
  }

  // ---- scopes and references ----
  struct Scope {
    int parent = -1;
    std::vector<uint32_t> tables;
  };
  struct Pending {
    uint32_t column;
    int scope;
  };
  struct SelectItem {
    int column = -1;  // lone column reference
    uint32_t first_col = 0, end_col = 0;
    bool star = false;
    std::string alias;
  };

  int new_scope(int parent) {
    scopes_.push_back(Scope{parent, {}});
    return static_cast<int>(scopes_.size()) - 1;
  }
  uint32_t add_table(TableRef t, int scope) {
    a_.tables.push_back(std::move(t));
    const auto idx = static_cast<uint32_t>(a_.tables.size() - 1);
    if (scope >= 0) scopes_[static_cast<std::size_t>(scope)].tables.push_back(idx);
    return idx;
  }
  uint32_t add_column(std::string qualifier, std::string column, uint32_t ctx, int scope) {
    ColumnRef c;
    c.qualifier = std::move(qualifier);
    c.column = std::move(column);
    c.contexts = ctx;
    a_.columns.push_back(std::move(c));
    const auto idx = static_cast<uint32_t>(a_.columns.size() - 1);
    pending_.push_back(Pending{idx, scope});
    return idx;
  }
  void mark_columns(std::size_t from, uint32_t bits) {
    for (std::size_t i = from; i < a_.columns.size(); ++i) a_.columns[i].contexts |= bits;
  }
  void add_function(std::string_view name, bool stored) {
    std::string l = lower_copy(name);
    bool found = false;
    for (const auto& f : a_.functions) {
      if (f == l) {
        found = true;
        break;
      }
    }
    if (stored) {
      bool s = false;
      for (const auto& f : a_.stored_functions) {
        if (f == l) {
          s = true;
          break;
        }
      }
      if (!s) a_.stored_functions.push_back(l);
    }
    if (!found) a_.functions.push_back(std::move(l));
  }
  TableRef make_table(std::string schema, std::string table) {
    TableRef t;
    if (schema.empty()) {
      for (auto it = ctes_.rbegin(); it != ctes_.rend(); ++it) {
        if (iequals(*it, table)) {
          t.table = std::move(table);
          t.is_cte = true;
          return t;
        }
      }
      schema = std::string(def_);
    }
    t.is_system_schema = is_system_schema_name(schema);
    t.schema = std::move(schema);
    t.table = std::move(table);
    return t;
  }
  // schema.table or table; returns false on error.
  bool table_name(std::string& schema, std::string& table) {
    if (!is_name(cur())) return fail("expected a table name");
    table = identifier_text(sql_, cur());
    ++p_;
    if (op(".") && is_any_word(peek())) {
      ++p_;
      schema = std::move(table);
      table = identifier_text(sql_, cur());
      ++p_;
    } else {
      schema.clear();
    }
    return true;
  }

  // ---- grammar ----
  bool statement(bool allow_with = true);
  bool query_expr(uint32_t base, int parent, bool top, std::vector<SelectItem>* items);
  bool query_term(uint32_t base, int parent, bool top, std::vector<SelectItem>* items,
                  std::size_t& tables_from);
  bool select_block(uint32_t base, int parent, bool top, std::vector<SelectItem>* items);
  bool with_clause(uint32_t base, int parent, std::size_t& ctes_pushed);
  bool table_refs(uint32_t base, int scope);
  bool table_ref(uint32_t base, int scope);
  bool table_factor(uint32_t base, int scope);
  bool index_hints(TableRef& r);
  bool partition_list(std::vector<std::string>& out);
  bool system_time_clause(uint32_t base, int scope);
  bool sequence_use(bool changes, std::string_view form_name, bool call_form);
  bool into_clause(int scope, std::size_t select_cols_from, std::size_t select_cols_end);
  bool order_list(uint32_t ctx, int scope, const std::vector<SelectItem>* items);
  bool limit_clause(uint32_t base, int scope);
  bool row_limit(uint32_t base, int scope);
  bool locking_clause();
  bool expr(uint32_t ctx, int scope) {
    int col = -1;
    return expr_prec(ctx, scope, 0, col);
  }
  bool expr_prec(uint32_t ctx, int scope, int min_prec, int& col);
  bool unary(uint32_t ctx, int scope, int& col);
  bool primary(uint32_t ctx, int scope, int& col);
  bool function_call(std::string_view name, bool qualified, uint32_t ctx, int scope);
  bool over_clause(uint32_t ctx, int scope);
  bool window_spec(uint32_t ctx, int scope);
  bool expr_list_paren(uint32_t ctx, int scope);
  bool subquery_paren(uint32_t ctx, int scope);
  bool skip_type();
  bool starts_query(std::size_t at) const {
    const Token& t = t_[at < t_.size() ? at : t_.size() - 1];
    return is_kw(t, "SELECT") || is_kw(t, "WITH") || is_kw(t, "VALUES") || is_kw(t, "TABLE");
  }
  bool paren_starts_query() const {
    // '(' followed by a query, possibly behind more '('.
    std::size_t k = p_;
    while (k < t_.size() && is_op(t_[k], "(")) ++k;
    return k > p_ && starts_query(k);
  }

  bool insert_stmt(bool replace);
  bool update_stmt(int scope);
  bool delete_stmt(int scope);
  bool assignment_list(uint32_t ctx, int scope);
  bool show_stmt();
  bool explain_stmt(bool analyze_form);
  bool set_stmt();
  bool create_stmt();
  bool drop_stmt();
  bool alter_stmt();
  // Skips the rest of a statement whose tail cannot reference data (options, names, column
  // definitions of a statement that is denied or needs an explicit kind grant anyway).
  bool skip_rest() {
    while (!at_end()) ++p_;
    return true;
  }
  // Skips a tail that may reference data we do not analyse (routine, trigger and event bodies,
  // unknown object definitions): flags the analysis as incomplete.
  bool opaque_rest() {
    a_.opaque_body = true;
    return skip_rest();
  }
  bool table_list_written(int scope) {
    do {
      std::string s, t;
      if (!table_name(s, t)) return false;
      TableRef r = make_table(std::move(s), std::move(t));
      r.written = true;
      add_table(std::move(r), scope);
    } while (accept_op(","));
    return true;
  }
  void system_table(std::string_view schema, std::string table) {
    TableRef r;
    r.schema = std::string(schema);
    r.table = std::move(table);
    r.is_system_schema = true;
    add_table(std::move(r), -1);
  }
  void resolve();
  void build_digest();

  std::string_view sql_;
  const std::vector<Token>& t_;
  std::string_view def_;
  StatementAnalysis& a_;
  std::size_t p_ = 0;
  int depth_ = 0;
  bool failed_ = false;
  std::string reason_;
  std::vector<Scope> scopes_;
  std::vector<Pending> pending_;
  std::vector<std::string> ctes_;
  std::vector<SelectItem> top_items_;
  bool top_has_items_ = false;
  bool top_is_union_ = false;
  // The next select block is a branch of the top-level query expression (UNION branches):
  // consumed (cleared) by select_block, cleared around anything nested.
  bool top_branch_ = false;
};

struct DepthGuard {
  int& d;
  explicit DepthGuard(int& depth) : d(depth) { ++d; }
  ~DepthGuard() { --d; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;
};

#define SG_DEPTH()                 \
  DepthGuard depth_guard_(depth_); \
  if (depth_ > kMaxDepth) return fail("nesting too deep")

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

// Binding powers (higher binds tighter), after MySQL's operator precedence table.
enum Prec : int {
  kPrecAssign = 1,
  kPrecOr = 2,
  kPrecXor = 3,
  kPrecAnd = 4,
  kPrecNot = 5,
  kPrecCmp = 7,
  kPrecBitOr = 8,
  kPrecBitAnd = 9,
  kPrecShift = 10,
  kPrecAdd = 11,
  kPrecMul = 12,
  kPrecBitXor = 13,
  kPrecUnary = 14,
};

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
      if (paren_starts_query()) {
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
  if (is_kw(t, "BINARY") && !is_op(peek(), "(")) {
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
        if (paren_starts_query()) return subquery_paren(ctx | kCtxExpression, scope);
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
        if (cur().type == TT::kWord && !is_reserved_word(text(cur()))) {
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
        if (!expr_prec(ectx, scope, kPrecAdd + 1, c)) return false;
        if (cur().type != TT::kWord) return fail("expected an interval unit");
        ++p_;
      }
      mark_columns(first, kCtxExpression);
      return true;
    }
    if (iequals(w, "MATCH") && paren_next) {
      ++p_;
      add_function("match", false);
      const std::size_t first = a_.columns.size();
      if (!expr_list_paren(ectx, scope)) return false;
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
    if (word && !is_builtin_function(w) && is_reserved_word(w)) {
      return fail("unexpected keyword");
    }
    std::string name = identifier_text(sql_, t);
    ++p_;
    return function_call(name, false, ctx, scope);
  }
  // Column reference: [schema.]table.column, table.*, column.
  if (word && is_reserved_word(w)) return fail("unexpected keyword");
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
  if (is("WEIGHT_STRING")) {
    if (!expr(ectx, scope)) return false;
    if (accept_kw("AS") && !skip_type()) return false;
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
    const int sc = new_scope(parent);
    do {
      if (!expect_kw("ROW")) return false;
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
  if (kw("PROCEDURE")) return fail("SELECT ... PROCEDURE is not supported");
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
  auto alias = [&](std::string& out, bool required) -> bool {
    if (accept_kw("AS")) {
      if (!is_any_word(cur())) return fail("expected an alias");
      out = identifier_text(sql_, cur());
      ++p_;
      return true;
    }
    if (is_name(cur())) {
      out = identifier_text(sql_, cur());
      ++p_;
      return true;
    }
    if (required) return fail("a derived table needs an alias");
    return true;
  };
  const bool lateral = accept_kw("LATERAL");
  if (op("(")) {
    if (paren_starts_query()) {
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

// ----------------------------------------------------------------------------------------------
// Other statement families
// ----------------------------------------------------------------------------------------------

bool Parser::show_stmt() {
  a_.kind = StatementKind::kShow;
  accept_kw("FULL");
  accept_kw("EXTENDED");
  accept_kw("FULL");
  if (kw("COLUMNS") || kw("FIELDS") || kw("INDEX") || kw("INDEXES") || kw("KEYS")) {
    a_.show_form = kw("COLUMNS") || kw("FIELDS") ? "COLUMNS" : "INDEX";
    ++p_;
    if (!(accept_kw("FROM") || accept_kw("IN"))) return fail("expected FROM");
    std::string s, t;
    if (!table_name(s, t)) return false;
    if (accept_kw("FROM") || accept_kw("IN")) {
      if (!take_name(s)) return false;
    }
    add_table(make_table(std::move(s), std::move(t)), -1);
    // LIKE 'pattern' filters column names; anything else (WHERE `Default` LIKE ...) filters on
    // what the listing says about the columns, which masking must know.
    if (accept_kw("LIKE")) {
      if (cur().type != TT::kString) return fail("expected a pattern");
      ++p_;
    }
    if (!at_end()) {
      a_.show_filtered = true;
      return skip_rest();
    }
    return true;
  }
  if (kw("CREATE") && (is_kw(peek(), "TABLE") || is_kw(peek(), "VIEW"))) {
    a_.show_form = is_kw(peek(), "TABLE") ? "CREATE TABLE" : "CREATE VIEW";
    p_ += 2;
    std::string s, t;
    if (!table_name(s, t)) return false;
    add_table(make_table(std::move(s), std::move(t)), -1);
    return true;
  }
  if (kw("TABLES") || (kw("TABLE") && is_kw(peek(), "STATUS"))) {
    a_.show_form = kw("TABLES") ? "TABLES" : "TABLE STATUS";
    if (!accept_kw("TABLES")) p_ += 2;
    std::string s(def_);
    if (accept_kw("FROM") || accept_kw("IN")) {
      if (!take_name(s)) return false;
    }
    TableRef r;
    r.schema = s;
    r.table = "*";
    r.is_system_schema = is_system_schema_name(s);
    add_table(std::move(r), -1);
    if (!at_end()) {
      // LIKE 'pattern' is fine; WHERE filters over the listing are opaque.
      if (accept_kw("LIKE")) {
        if (cur().type != TT::kString) return fail("expected a pattern");
        ++p_;
      }
      if (!at_end()) return skip_rest();
    }
    return true;
  }
  // Everything else shows server state: model it as a read of a system table named after it.
  // show_form: the same words, space-separated ("CREATE TRIGGER", "PROCEDURE CODE").
  std::string what;
  std::string form;
  if (kw("CREATE") || kw("ENGINE") || kw("MASTER") || kw("SLAVE") || kw("REPLICA") || kw("BINARY") ||
      kw("GLOBAL") || kw("SESSION") || kw("FUNCTION") || kw("PROCEDURE")) {
    what = std::string(text(cur())) + "_";
    form = std::string(text(cur())) + " ";
    ++p_;
  }
  if (cur().type != TT::kWord) return fail("expected what to SHOW");
  what += std::string(text(cur()));
  form += std::string(text(cur()));
  ++p_;
  for (auto& ch : what) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 32);
  }
  for (auto& ch : form) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 32);
  }
  a_.show_form = std::move(form);
  system_table("information_schema", std::move(what));
  if (!at_end()) return skip_rest();
  return true;
}

bool Parser::explain_stmt(bool analyze_form) {
  // EXPLAIN/DESCRIBE/ANALYZE has been consumed.
  const std::size_t save = p_;
  if (!analyze_form && is_name(cur()) && !kw("FORMAT") && !kw("EXTENDED") && !kw("PARTITIONS") &&
      !kw("ANALYZE")) {
    a_.kind = StatementKind::kDescribe;
    std::string s, t;
    if (!table_name(s, t)) return false;
    add_table(make_table(std::move(s), std::move(t)), -1);
    if (is_any_word(cur()) || cur().type == TT::kString) ++p_;  // column or pattern
    return true;
  }
  p_ = save;
  bool analyze = analyze_form;
  for (;;) {
    if (accept_kw("EXTENDED") || accept_kw("PARTITIONS")) continue;
    if (accept_kw("ANALYZE")) {
      analyze = true;
      continue;
    }
    if (accept_kw("FORMAT")) {
      if (!expect_op("=") || !is_any_word(cur())) return fail("expected a format");
      ++p_;
      continue;
    }
    break;
  }
  a_.kind = StatementKind::kExplain;
  if (accept_kw("FOR")) {
    if (!expect_kw("CONNECTION") || cur().type != TT::kNumber) return fail("expected a number");
    ++p_;
    system_table("information_schema", "PROCESSLIST");
    return true;
  }
  if (!(kw("SELECT") || kw("WITH") || kw("TABLE") || kw("VALUES") || kw("INSERT") || kw("REPLACE") ||
        kw("UPDATE") || kw("DELETE") || op("(")))
    return fail("EXPLAIN of this statement is not supported");
  if (!statement(true)) return false;
  const StatementKind inner = a_.kind;
  a_.explained_kind = inner;
  a_.kind = StatementKind::kExplain;
  a_.outputs.clear();
  if (analyze && !is_read_kind(inner)) {
    // EXPLAIN ANALYZE / ANALYZE executes the statement: it is what it executes.
    a_.kind = inner;
  } else if (!analyze) {
    a_.writes_data = false;
    for (auto& t : a_.tables) t.written = false;
  }
  return true;
}

bool Parser::set_stmt() {
  // SET has been consumed.
  if (accept_kw("STATEMENT")) {
    a_.kind = StatementKind::kSetStatement;
    do {
      if (!is_any_word(cur())) return fail("expected a variable");
      ++p_;
      if (!expect_op("=") || !expr(kCtxVariable, -1)) return false;
    } while (accept_op(","));
    if (!expect_kw("FOR")) return false;
    if (!statement(true)) return false;
    a_.kind = StatementKind::kSetStatement;
    return true;
  }
  if (kw("PASSWORD")) {
    a_.kind = StatementKind::kSetPassword;
    return skip_rest();
  }
  if (kw("ROLE") || (kw("DEFAULT") && is_kw(peek(), "ROLE"))) {
    a_.kind = StatementKind::kSetRole;
    return skip_rest();
  }
  std::size_t k = p_;
  if (is_kw(t_[k], "GLOBAL") || is_kw(t_[k], "SESSION") || is_kw(t_[k], "LOCAL")) ++k;
  if (is_kw(t_[k], "TRANSACTION")) {
    a_.kind = StatementKind::kSetTransaction;
    return skip_rest();
  }
  a_.kind = StatementKind::kSet;
  a_.writes_data = true;
  if (kw("NAMES") || kw("CHARACTER") || kw("CHARSET")) return skip_rest();
  do {
    if (cur().type == TT::kUserVar) {
      a_.user_variables = true;
      a_.user_variable_writes = true;
      ++p_;
    } else if (cur().type == TT::kSysVar) {
      a_.system_variables = true;
      ++p_;
    } else {
      if (accept_kw("GLOBAL") || accept_kw("SESSION") || accept_kw("LOCAL") || accept_kw("PERSIST") ||
          accept_kw("PERSIST_ONLY")) {}
      if (!is_any_word(cur())) return fail("expected a variable");
      ++p_;
      while (accept_op(".")) {
        if (!is_any_word(cur())) return fail("expected a variable");
        ++p_;
      }
    }
    if (!(accept_op("=") || accept_op(":="))) return fail("expected '='");
    if (kw("ON") || kw("OFF")) {
      ++p_;
    } else if (!expr(kCtxVariable, -1)) {
      return false;
    }
  } while (accept_op(","));
  return true;
}

bool Parser::create_stmt() {
  // CREATE has been consumed.
  a_.writes_data = true;
  if (accept_kw("OR")) {
    if (!expect_kw("REPLACE")) return false;
  }
  // Options that may precede the object keyword.
  for (int guard = 0; guard < 16; ++guard) {
    if (accept_kw("TEMPORARY") || accept_kw("UNIQUE") || accept_kw("FULLTEXT") || accept_kw("SPATIAL") ||
        accept_kw("AGGREGATE") || accept_kw("ONLINE") || accept_kw("OFFLINE"))
      continue;
    if (kw("ALGORITHM") || kw("DEFINER") || (kw("SQL") && is_kw(peek(), "SECURITY"))) {
      // ALGORITHM = x | DEFINER = user | SQL SECURITY x: skip to the next object keyword.
      ++p_;
      while (!at_end() && !kw("VIEW") && !kw("PROCEDURE") && !kw("FUNCTION") && !kw("TRIGGER") &&
             !kw("EVENT") && !kw("ALGORITHM") && !kw("SQL") && !kw("AGGREGATE") && !kw("DEFINER"))
        ++p_;
      continue;
    }
    break;
  }
  if (accept_kw("TABLE")) {
    a_.kind = StatementKind::kCreateTable;
    if (accept_kw("IF")) {
      if (!expect_kw("NOT") || !expect_kw("EXISTS")) return false;
    }
    std::string s, t;
    if (!table_name(s, t)) return false;
    TableRef r = make_table(std::move(s), std::move(t));
    r.written = true;
    add_table(std::move(r), -1);
    if (accept_kw("LIKE") || (op("(") && is_kw(peek(), "LIKE") && (++p_, ++p_, true))) {
      std::string s2, t2;
      if (!table_name(s2, t2)) return false;
      add_table(make_table(std::move(s2), std::move(t2)), -1);
      accept_op(")");
      return true;
    }
    // Definition and options are opaque; a query (CREATE TABLE ... [AS] SELECT) is analysed.
    int depth = 0;
    while (!at_end()) {
      if (depth == 0 && (kw("SELECT") || kw("WITH") || (op("(") && paren_starts_query()))) {
        return query_expr(kCtxAssignment, -1, false, nullptr);
      }
      if (kw("SELECT") || kw("WITH")) return fail("query inside a table definition");
      if (op("(")) ++depth;
      if (op(")")) --depth;
      ++p_;
    }
    return true;
  }
  if (accept_kw("VIEW")) {
    a_.kind = StatementKind::kCreateView;
    if (accept_kw("IF")) {
      if (!expect_kw("NOT") || !expect_kw("EXISTS")) return false;
    }
    std::string s, t;
    if (!table_name(s, t)) return false;
    TableRef r = make_table(std::move(s), std::move(t));
    r.written = true;
    add_table(std::move(r), -1);
    if (op("(")) {
      ++p_;
      do {
        std::string c;
        if (!take_name(c)) return false;
      } while (accept_op(","));
      if (!expect_op(")")) return false;
    }
    if (!expect_kw("AS")) return false;
    if (!query_expr(kCtxAssignment, -1, false, nullptr)) return false;
    if (accept_kw("WITH")) {
      accept_kw("CASCADED") || accept_kw("LOCAL");
      if (!expect_kw("CHECK") || !expect_kw("OPTION")) return false;
    }
    return true;
  }
  if (accept_kw("INDEX")) {
    a_.kind = StatementKind::kCreateIndex;
    while (!at_end() && !kw("ON")) ++p_;
    if (!expect_kw("ON")) return false;
    std::string s, t;
    if (!table_name(s, t)) return false;
    TableRef r = make_table(std::move(s), std::move(t));
    r.written = true;
    add_table(std::move(r), -1);
    return skip_rest();
  }
  if (accept_kw("DATABASE") || accept_kw("SCHEMA")) {
    a_.kind = StatementKind::kCreateDatabase;
    if (accept_kw("IF")) {
      if (!expect_kw("NOT") || !expect_kw("EXISTS")) return false;
    }
    TableRef r;
    if (!take_name(r.schema)) return false;
    r.table = "*";
    r.written = true;
    r.is_system_schema = is_system_schema_name(r.schema);
    add_table(std::move(r), -1);
    return skip_rest();
  }
  if (kw("FUNCTION") || kw("PROCEDURE")) {
    a_.kind = StatementKind::kCreateRoutine;
    // CREATE FUNCTION f RETURNS type SONAME 'lib.so' installs a UDF (native code).
    for (std::size_t k = p_; k < t_.size() && t_[k].type != TT::kEnd; ++k) {
      if (is_kw(t_[k], "SONAME")) {
        a_.kind = StatementKind::kInstall;
        break;
      }
    }
    return opaque_rest();
  }
  if (kw("TRIGGER")) {
    a_.kind = StatementKind::kCreateTrigger;
    return opaque_rest();
  }
  if (kw("EVENT")) {
    a_.kind = StatementKind::kCreateEvent;
    return opaque_rest();
  }
  if (kw("USER")) {
    a_.kind = StatementKind::kCreateUser;
    return skip_rest();
  }
  if (kw("ROLE")) {
    a_.kind = StatementKind::kCreateRole;
    return skip_rest();
  }
  if (cur().type == TT::kWord) {
    a_.kind = StatementKind::kCreateOther;
    return opaque_rest();
  }
  return fail("expected what to CREATE");
}

bool Parser::drop_stmt() {
  a_.writes_data = true;
  accept_kw("TEMPORARY");
  if (accept_kw("TABLE") || accept_kw("TABLES")) {
    a_.kind = StatementKind::kDropTable;
    if (accept_kw("IF") && !expect_kw("EXISTS")) return false;
    if (!table_list_written(-1)) return false;
    if (!accept_kw("RESTRICT")) accept_kw("CASCADE");
    return true;
  }
  if (accept_kw("VIEW")) {
    a_.kind = StatementKind::kDropView;
    if (accept_kw("IF") && !expect_kw("EXISTS")) return false;
    if (!table_list_written(-1)) return false;
    if (!accept_kw("RESTRICT")) accept_kw("CASCADE");
    return true;
  }
  if (kw("INDEX")) {
    a_.kind = StatementKind::kDropIndex;
    ++p_;
    accept_kw("ONLINE");
    if (accept_kw("IF") && !expect_kw("EXISTS")) return false;
    std::string idx;
    if (!is_any_word(cur())) return fail("expected an index name");
    ++p_;
    if (!expect_kw("ON")) return false;
    if (!table_list_written(-1)) return false;
    return skip_rest();
  }
  if (accept_kw("DATABASE") || accept_kw("SCHEMA")) {
    a_.kind = StatementKind::kDropDatabase;
    if (accept_kw("IF") && !expect_kw("EXISTS")) return false;
    TableRef r;
    if (!take_name(r.schema)) return false;
    r.table = "*";
    r.written = true;
    r.is_system_schema = is_system_schema_name(r.schema);
    add_table(std::move(r), -1);
    return true;
  }
  if (kw("USER")) {
    a_.kind = StatementKind::kDropUser;
    return skip_rest();
  }
  if (kw("ROLE")) {
    a_.kind = StatementKind::kDropRole;
    return skip_rest();
  }
  if (kw("PREPARE")) {
    a_.kind = StatementKind::kDeallocate;
    return skip_rest();
  }
  if (cur().type == TT::kWord) {
    a_.kind = StatementKind::kDropOther;
    return opaque_rest();
  }
  return fail("expected what to DROP");
}

bool Parser::alter_stmt() {
  a_.writes_data = true;
  accept_kw("ONLINE");
  accept_kw("IGNORE");
  if (accept_kw("TABLE")) {
    a_.kind = StatementKind::kAlterTable;
    if (accept_kw("IF") && !expect_kw("EXISTS")) return false;
    std::string s, t;
    if (!table_name(s, t)) return false;
    TableRef r = make_table(std::move(s), std::move(t));
    r.written = true;
    add_table(std::move(r), -1);
    return skip_rest();
  }
  if (kw("USER")) {
    a_.kind = StatementKind::kAlterUser;
    return skip_rest();
  }
  if (cur().type == TT::kWord) {
    a_.kind = StatementKind::kAlterOther;
    return opaque_rest();
  }
  return fail("expected what to ALTER");
}

bool Parser::statement(bool allow_with) {
  SG_DEPTH();
  const Token& t = cur();
  if (t.type == TT::kEnd) return fail("empty statement");
  if (op("(")) {
    a_.kind = StatementKind::kSelect;
    return query_expr(0, -1, true, nullptr);
  }
  if (t.type != TT::kWord) return fail("expected a statement keyword");
  using K = StatementKind;
  if (kw("SELECT")) {
    a_.kind = K::kSelect;
    return query_expr(0, -1, true, nullptr);
  }
  if (kw("TABLE")) {
    a_.kind = K::kTable;
    return query_expr(0, -1, true, nullptr);
  }
  if (kw("VALUES")) {
    a_.kind = K::kValues;
    return query_expr(0, -1, true, nullptr);
  }
  if (kw("WITH") && allow_with) {
    // WITH ... SELECT, or (MySQL 8) WITH ... UPDATE / DELETE.
    int depth = 0;
    std::size_t k = p_ + 1;
    for (; k < t_.size() && t_[k].type != TT::kEnd; ++k) {
      if (is_op(t_[k], "("))
        ++depth;
      else if (is_op(t_[k], ")"))
        --depth;
      else if (depth == 0 && (is_kw(t_[k], "UPDATE") || is_kw(t_[k], "DELETE") || is_kw(t_[k], "SELECT") ||
                              is_kw(t_[k], "INSERT") || is_kw(t_[k], "REPLACE") || is_kw(t_[k], "TABLE") ||
                              is_kw(t_[k], "VALUES") || is_op(t_[k], ";")))
        break;
    }
    if (k < t_.size() && (is_kw(t_[k], "UPDATE") || is_kw(t_[k], "DELETE"))) {
      ++p_;
      std::size_t pushed = 0;
      const int sc = new_scope(-1);
      if (!with_clause(0, sc, pushed)) return false;
      ++p_;  // UPDATE / DELETE
      return is_kw(t_[p_ - 1], "UPDATE") ? update_stmt(sc) : delete_stmt(sc);
    }
    if (k < t_.size() && (is_kw(t_[k], "INSERT") || is_kw(t_[k], "REPLACE"))) {
      return fail("WITH before INSERT is not supported");
    }
    a_.kind = K::kSelect;
    return query_expr(0, -1, true, nullptr);
  }
  if (accept_kw("INSERT")) return insert_stmt(false);
  if (accept_kw("REPLACE")) return insert_stmt(true);
  if (accept_kw("UPDATE")) return update_stmt(new_scope(-1));
  if (accept_kw("DELETE")) return delete_stmt(new_scope(-1));
  if (accept_kw("SHOW")) return show_stmt();
  if (accept_kw("DESCRIBE") || accept_kw("DESC") || accept_kw("EXPLAIN")) {
    return explain_stmt(false);
  }
  if (accept_kw("ANALYZE")) {
    if (kw("TABLE") || kw("TABLES") || kw("NO_WRITE_TO_BINLOG") || kw("LOCAL")) {
      a_.kind = K::kAnalyzeTable;
      a_.writes_data = true;
      return skip_rest();
    }
    if (accept_kw("FORMAT")) {
      if (!expect_op("=") || !is_any_word(cur())) return fail("expected a format");
      ++p_;
    }
    return explain_stmt(true);
  }
  if (accept_kw("HANDLER")) {
    a_.kind = K::kHandler;
    std::string s, tn;
    if (!table_name(s, tn)) return false;
    TableRef r = make_table(std::move(s), std::move(tn));
    if (accept_kw("OPEN")) {
      accept_kw("AS");
      if (is_name(cur())) r.alias = identifier_text(sql_, cur()), ++p_;
      add_table(std::move(r), -1);
      return true;
    }
    const int sc = new_scope(-1);
    add_table(std::move(r), sc);
    if (accept_kw("CLOSE")) return true;
    if (!expect_kw("READ")) return false;
    add_column("", "*", kCtxOther, sc);  // HANDLER READ returns whole rows
    // READ { FIRST | NEXT | PREV | LAST } or READ index { = | <= | ... } (values) ...
    if (is_any_word(cur()) && !kw("WHERE") && !kw("LIMIT")) ++p_;
    if (op("=") || op("<=") || op(">=") || op("<") || op(">")) {
      ++p_;
      if (!expr_list_paren(kCtxWhere, sc)) return false;
    } else if (kw("FIRST") || kw("NEXT") || kw("PREV") || kw("LAST")) {
      ++p_;
    }
    if (accept_kw("WHERE") && !expr(kCtxWhere, sc)) return false;
    if (accept_kw("LIMIT") && !limit_clause(kCtxLimit, sc)) return false;
    return true;
  }
  if (accept_kw("DO")) {
    a_.kind = K::kDo;
    do {
      if (!expr(kCtxOther, new_scope(-1))) return false;
    } while (accept_op(","));
    return true;
  }
  if (accept_kw("CALL")) {
    a_.kind = K::kCall;
    a_.writes_data = true;
    std::string s, n;
    if (!table_name(s, n)) return false;
    add_function(s.empty() ? n : s + "." + n, true);
    if (op("(")) return expr_list_paren(kCtxOther, new_scope(-1));
    return true;
  }
  if (accept_kw("LOAD")) {
    a_.writes_data = true;
    if (accept_kw("DATA") || accept_kw("XML")) {
      a_.kind = is_kw(t_[p_ - 1], "XML") ? K::kLoadXml : K::kLoadData;
      while (!at_end() && !kw("INTO")) ++p_;
      if (!expect_kw("INTO") || !expect_kw("TABLE")) return false;
      std::string s, tn;
      if (!table_name(s, tn)) return false;
      TableRef r = make_table(std::move(s), std::move(tn));
      r.written = true;
      add_table(std::move(r), -1);
      return opaque_rest();
    }
    if (kw("INDEX")) {
      a_.kind = K::kCache;
      return skip_rest();
    }
    return fail("expected DATA, XML or INDEX after LOAD");
  }
  if (accept_kw("SET")) return set_stmt();
  if (accept_kw("USE")) {
    a_.kind = K::kUse;
    std::string s;
    if (!take_name(s)) return false;
    return true;
  }
  if (accept_kw("START")) {
    if (kw("TRANSACTION")) {
      a_.kind = K::kStartTransaction;
      return skip_rest();
    }
    a_.kind = K::kReplication;
    a_.writes_data = true;
    return skip_rest();
  }
  if (accept_kw("BEGIN")) {
    a_.kind = K::kStartTransaction;
    accept_kw("WORK");
    if (!at_end()) return fail("BEGIN blocks are not supported");
    return true;
  }
  if (accept_kw("COMMIT")) {
    a_.kind = K::kCommit;
    return skip_rest();
  }
  if (accept_kw("ROLLBACK")) {
    a_.kind = K::kRollback;
    return skip_rest();
  }
  if (accept_kw("SAVEPOINT")) {
    a_.kind = K::kSavepoint;
    return skip_rest();
  }
  if (kw("RELEASE") && is_kw(peek(), "SAVEPOINT")) {
    a_.kind = K::kReleaseSavepoint;
    return skip_rest();
  }
  if (accept_kw("XA")) {
    a_.kind = K::kXa;
    return skip_rest();
  }
  if (accept_kw("LOCK")) {
    if (kw("TABLES") || kw("TABLE")) {
      a_.kind = K::kLockTables;
      return skip_rest();
    }
    a_.kind = K::kBackup;  // LOCK INSTANCE FOR BACKUP
    return skip_rest();
  }
  if (accept_kw("UNLOCK")) {
    if (kw("TABLES") || kw("TABLE")) {
      a_.kind = K::kUnlockTables;
      return skip_rest();
    }
    a_.kind = K::kBackup;
    return skip_rest();
  }
  if (accept_kw("PREPARE")) {
    a_.kind = K::kPrepare;
    return skip_rest();
  }
  if (accept_kw("EXECUTE")) {
    a_.kind = kw("IMMEDIATE") ? K::kExecuteImmediate : K::kExecute;
    return skip_rest();
  }
  if (accept_kw("DEALLOCATE")) {
    a_.kind = K::kDeallocate;
    return skip_rest();
  }
  if (accept_kw("GRANT")) {
    a_.kind = K::kGrant;
    a_.writes_data = true;
    return skip_rest();
  }
  if (accept_kw("REVOKE")) {
    a_.kind = K::kRevoke;
    a_.writes_data = true;
    return skip_rest();
  }
  if (accept_kw("CREATE")) return create_stmt();
  if (accept_kw("DROP")) return drop_stmt();
  if (accept_kw("ALTER")) return alter_stmt();
  if (accept_kw("RENAME")) {
    a_.writes_data = true;
    if (accept_kw("USER")) {
      a_.kind = K::kRenameUser;
      return skip_rest();
    }
    if (!(accept_kw("TABLE") || accept_kw("TABLES"))) return fail("expected TABLE");
    a_.kind = K::kRenameTable;
    do {
      std::string s, tn;
      if (!table_name(s, tn)) return false;
      TableRef r = make_table(std::move(s), std::move(tn));
      r.written = true;
      add_table(std::move(r), -1);
      if (!expect_kw("TO")) return false;
      if (!table_name(s, tn)) return false;
      TableRef r2 = make_table(std::move(s), std::move(tn));
      r2.written = true;
      add_table(std::move(r2), -1);
    } while (accept_op(","));
    return true;
  }
  if (accept_kw("TRUNCATE")) {
    a_.kind = K::kTruncate;
    a_.writes_data = true;
    accept_kw("TABLE");
    return table_list_written(-1);
  }
  struct Admin {
    std::string_view word;
    K kind;
  };
  static constexpr Admin kAdmin[] = {
      {"CHECK", K::kCheckTable},   {"OPTIMIZE", K::kOptimizeTable},
      {"REPAIR", K::kRepairTable}, {"CHECKSUM", K::kChecksumTable},
      {"FLUSH", K::kFlush},        {"KILL", K::kKill},
      {"RESET", K::kReset},        {"PURGE", K::kPurge},
      {"INSTALL", K::kInstall},    {"UNINSTALL", K::kUninstall},
      {"SHUTDOWN", K::kShutdown},  {"RESTART", K::kShutdown},
      {"BINLOG", K::kBinlog},      {"CHANGE", K::kReplication},
      {"STOP", K::kReplication},   {"CLONE", K::kReplication},
      {"CACHE", K::kCache},        {"BACKUP", K::kBackup},
      {"SIGNAL", K::kSignal},      {"RESIGNAL", K::kSignal},
      {"GET", K::kGetDiagnostics}, {"HELP", K::kHelp},
      {"IMPORT", K::kAlterOther},
  };
  for (const auto& ad : kAdmin) {
    if (kw(ad.word)) {
      ++p_;
      a_.kind = ad.kind;
      a_.writes_data = ad.kind != K::kHelp && ad.kind != K::kGetDiagnostics && ad.kind != K::kChecksumTable &&
                       ad.kind != K::kCheckTable;
      return skip_rest();
    }
  }
  return fail("unknown statement");
}

// ----------------------------------------------------------------------------------------------
// Resolution and digest
// ----------------------------------------------------------------------------------------------

void Parser::resolve() {
  auto matches = [&](const TableRef& r, std::string_view q) {
    const auto dot = q.find('.');
    if (dot == std::string_view::npos) {
      return r.alias.empty() ? iequals(r.table, q) : iequals(r.alias, q);
    }
    return r.alias.empty() && iequals(r.schema, q.substr(0, dot)) && iequals(r.table, q.substr(dot + 1));
  };
  for (const auto& pd : pending_) {
    ColumnRef& c = a_.columns[pd.column];
    c.candidates.clear();
    if (pd.scope < 0) continue;
    if (c.qualifier.empty() && c.column == "*") {
      c.candidates = scopes_[static_cast<std::size_t>(pd.scope)].tables;  // a star is local
      continue;
    }
    if (c.qualifier.empty()) {
      for (int s = pd.scope; s >= 0; s = scopes_[static_cast<std::size_t>(s)].parent) {
        for (uint32_t ti : scopes_[static_cast<std::size_t>(s)].tables) c.candidates.push_back(ti);
      }
      continue;
    }
    for (int s = pd.scope; s >= 0 && c.candidates.empty(); s = scopes_[static_cast<std::size_t>(s)].parent) {
      for (uint32_t ti : scopes_[static_cast<std::size_t>(s)].tables) {
        if (matches(a_.tables[ti], c.qualifier)) c.candidates.push_back(ti);
      }
    }
    if (c.candidates.empty() && !failed_) {
      failed_ = true;
      if (iequals(c.column, "nextval") || iequals(c.column, "currval")) {
        // Oracle-mode sequence syntax (sql_mode=ORACLE only; the server rejects it otherwise).
        reason_ = c.qualifier +
                  ".NEXTVAL / .CURRVAL is Oracle-mode sequence syntax, which "
                  "sqlguard does not accept; use NEXTVAL(" +
                  c.qualifier + ") or NEXT VALUE FOR " + c.qualifier;
        return;
      }
      reason_ = "unknown table '" + c.qualifier + "' qualifying column '" + c.column + "'";
      return;
    }
  }
}

void Parser::build_digest() {
  std::string& d = a_.digest_text;
  d.clear();
  d.reserve(sql_.size());
  TT prev = TT::kEnd;
  bool prev_open = true;
  for (const Token& t : t_) {
    if (t.type == TT::kEnd) break;
    const std::string_view s = text(t);
    const bool literal = t.type == TT::kString || t.type == TT::kNumber || t.type == TT::kHexNumber ||
                         t.type == TT::kBitNumber || t.type == TT::kHexString || t.type == TT::kBitString ||
                         t.type == TT::kNationalString;
    if (literal && t.type == TT::kString && prev == TT::kString) continue;
    const bool tight = t.type == TT::kOp && (s == "." || s == "," || s == ")" || s == ";");
    if (!d.empty() && !prev_open && !tight) d.push_back(' ');
    if (literal) {
      d.push_back('?');
    } else if (t.type == TT::kWord && is_reserved_word(s)) {
      for (char ch : s) d.push_back(ch >= 'a' && ch <= 'z' ? static_cast<char>(ch - 32) : ch);
    } else {
      d.append(s);
    }
    prev = t.type;
    prev_open = t.type == TT::kOp && (s == "(" || s == ".");
  }
}

void Parser::run() {
  const bool ok = statement(true);
  if (ok && !failed_) {
    if (op(";")) {
      ++p_;
      if (cur().type != TT::kEnd) {
        fail("multiple statements (a ';' before more text)");
      }
    } else if (cur().type != TT::kEnd) {
      fail("unexpected text after the statement");
    }
  }
  if (!failed_) resolve();
  build_digest();
  if (failed_) {
    a_.understood = false;
    a_.reason = reason_;
    return;
  }
  // Top-level outputs for queries.
  if ((a_.kind == StatementKind::kSelect || a_.kind == StatementKind::kTable) && top_has_items_) {
    for (const auto& it : top_items_) {
      OutputColumn o;
      o.alias = it.alias;
      if (it.star) {
        o.shape = OutputColumn::Shape::kStar;
        o.star_tables = a_.columns[static_cast<std::size_t>(it.column)].candidates;
      } else if (it.column >= 0 &&
                 a_.columns[static_cast<std::size_t>(it.column)].contexts == kCtxSelectList) {
        o.shape = OutputColumn::Shape::kColumn;
        o.column = static_cast<uint32_t>(it.column);
      } else {
        o.shape = OutputColumn::Shape::kExpression;
        for (uint32_t k = it.first_col; k < it.end_col; ++k) o.inputs.push_back(k);
      }
      a_.outputs.push_back(std::move(o));
    }
    a_.outputs_known = !top_is_union_;
  }
  a_.understood = true;
}

}  // namespace

StatementAnalysis StatementAnalyzer::analyze(std::string_view sql, std::string_view default_schema) const {
  StatementAnalysis a;
  a.default_schema = std::string(default_schema);
  thread_local LexResult lex;
  lex_sql(sql, lex);
  a.executable_comment = lex.executable_comment;
  a.optimizer_hint = lex.optimizer_hint;
  if (!lex.ok) {
    a.understood = false;
    a.reason = "cannot tokenise: " + lex.error;
    return a;
  }
  Parser parser(sql, lex.tokens, default_schema, a);
  parser.run();
  return a;
}

}  // namespace sqlguard::policy
