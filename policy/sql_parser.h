// The analyser's recursive-descent parser (internal to policy/): one class, implemented across
// files by grammar area, as in DuckDB's transformer:
//   sql_parser_expressions.cpp   expressions, operators, function calls, window specifications
//   sql_parser_queries.cpp       SELECT, set operations, FROM and joins, LIMIT/OFFSET/FETCH, locking
//   sql_parser_data_changes.cpp  INSERT/REPLACE, UPDATE, DELETE
//   sql_parser_statements.cpp    SHOW, EXPLAIN, SET, transactions, DDL and the other statement families
//   statement_analyzer.cpp       statement dispatch (Parser::run), resolution of columns, the digest
// Only statement_analyzer.h is public; include this header only from those files.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/sql_builtins.h"
#include "policy/sql_lexer.h"
#include "policy/statement_analysis.h"

namespace sqlguard::policy::sql_parser {

// Nesting a user can see: parentheses, function calls, subqueries and derived tables, each one
// level (docs/policy.md "nesting deeper than 64").
constexpr int kMaxDepth = 64;
// Recursion frames of the parser, whatever their cause (a chain of unary operators, the frames
// one nesting level takes): the bound that keeps the stack small (about 200 bytes a frame).
constexpr int kMaxFrames = 1024;

using TT = TokenType;

inline std::string lower_copy(std::string_view s) {
  std::string r(s);
  for (auto& c : r) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return r;
}

inline bool is_system_schema_name(std::string_view s) {
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
  bool is_kw(const Token& t, TokenText kw) const {
    if (t.type != TT::kWord) return false;
    return kw.key != 0 ? t.key == kw.key : iequals(text(t), kw.text);
  }
  // The same for a keyword known only at run time (from a table of them).
  bool is_word(const Token& t, std::string_view w) const {
    return t.type == TT::kWord && iequals(text(t), w);
  }
  // Operators are at most 3 bytes: the key decides.
  bool is_op(const Token& t, TokenText op) const { return t.type == TT::kOp && t.key == op.key; }
  bool kw(TokenText k) const { return is_kw(cur(), k); }
  bool op(TokenText o) const { return is_op(cur(), o); }
  bool accept_kw(TokenText k) {
    if (kw(k)) {
      ++p_;
      return true;
    }
    return false;
  }
  bool accept_op(TokenText o) {
    if (op(o)) {
      ++p_;
      return true;
    }
    return false;
  }
  bool expect_kw(TokenText k) {
    if (accept_kw(k)) return true;
    return fail(std::string("expected ") + std::string(k.text));
  }
  bool expect_op(TokenText o) {
    if (accept_op(o)) return true;
    return fail(std::string("expected '") + std::string(o.text) + "'");
  }
  bool at_end() const { return cur().type == TT::kEnd || op(";"); }

  bool fail(std::string what) {
    if (!failed_) {
      failed_ = true;
      const Token& t = cur();
      // Appended piece by piece: GCC 12 misreads `"'" + std::string(...)` here (-Wrestrict).
      std::string near;
      if (t.type == TT::kEnd) {
        near = "end of statement";
      } else {
        near.push_back('\'');
        near.append(text(t).substr(0, 40));
        near.push_back('\'');
      }
      reason_ = std::move(what) + " near " + near + " at byte " + std::to_string(t.begin);
    }
    return false;
  }

  // Identifier-like token usable as a name (unquoted non-reserved word or quoted identifier).
  bool is_name(const Token& t) const {
    return t.type == TT::kQuotedIdent || (t.type == TT::kWord && !t.reserved);
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
  bool join_tail(uint32_t base, int scope);
  bool starts_join() const;
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
  // At '(' '(' ...: the token after the ')' that closes the inner '(', or nullptr when the
  // second token is not '(' or the group is not closed.
  const Token* after_inner_group() const {
    if (p_ + 1 >= t_.size() || !is_op(t_[p_ + 1], "(")) return nullptr;
    int depth = 0;
    std::size_t k = p_ + 1;
    for (; k < t_.size() && t_[k].type != TokenType::kEnd; ++k) {
      if (is_op(t_[k], "(")) ++depth;
      if (is_op(t_[k], ")") && --depth == 0) break;
    }
    return k + 1 < t_.size() ? &t_[k + 1] : nullptr;
  }
  // In an expression, '(' '(' query ... : true when the outer '(' opens a parenthesised
  // expression whose first operand is a subquery (`((SELECT …) + 1)`, `IN ((SELECT …), (SELECT
  // …))`), false when it opens a parenthesised query (`((SELECT …) UNION (SELECT …))`,
  // `((SELECT …) ORDER BY 1)`, `((SELECT …))`). Decided by what follows the inner ')': what can
  // continue a query goes with a query, anything else (an operator, a comma) with an expression.
  // A wrong guess is refused, never misread: the other reading then fails to parse.
  bool paren_opens_expression() const {
    const Token* after = after_inner_group();
    if (after == nullptr) return false;
    const Token& next = *after;
    if (next.type == TokenType::kEnd || is_op(next, ")") || is_op(next, ";")) return false;
    for (std::string_view w : {"UNION", "EXCEPT", "INTERSECT", "MINUS", "ORDER", "LIMIT", "OFFSET", "FETCH",
                               "INTO", "FOR", "LOCK", "PROCEDURE"}) {
      if (is_word(next, w)) return false;
    }
    return true;
  }
  // In FROM, '(' '(' query ... : true when the outer '(' opens a join list whose first table is
  // a derived table (`((SELECT …) AS a JOIN b ON …)`), false when it opens a parenthesised query
  // (`((SELECT …) UNION (SELECT …)) AS d`, `((SELECT …)) AS d`). Decided by what follows the
  // inner ')': an alias or a join goes with a table, anything else with a query.
  bool paren_opens_join_list() const {
    const Token* after = after_inner_group();
    if (after == nullptr) return false;
    const Token& next = *after;
    return is_kw(next, "AS") || is_name(next) || is_kw(next, "JOIN") || is_kw(next, "INNER") ||
           is_kw(next, "CROSS") || is_kw(next, "LEFT") || is_kw(next, "RIGHT") || is_kw(next, "NATURAL") ||
           is_kw(next, "STRAIGHT_JOIN");
  }

  bool insert_stmt(bool replace);
  bool update_stmt(int scope);
  bool delete_stmt(int scope);
  bool assignment_list(uint32_t ctx, int scope);
  bool show_stmt();
  bool show_filter();  ///< [LIKE 'pattern' | WHERE expr] at the end of a SHOW
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
  int depth_ = 0;    // recursion frames (kMaxFrames)
  int nesting_ = 0;  // user-visible nesting levels (kMaxDepth)
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
  if (depth_ > kMaxFrames) return fail("nesting too deep (the parser's recursion bound)")

// One level of nesting as the user counts it: an operand (a parenthesis, a function call, a
// scalar subquery) inside another, a table factor (a derived table, a parenthesised join)
// inside another. The innermost operand or table (a literal, a name) is not a level of its own.
#define SG_NEST()                      \
  DepthGuard nesting_guard_(nesting_); \
  if (nesting_ > kMaxDepth + 1) return fail("nesting too deep (more than 64 levels)")

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

}  // namespace sqlguard::policy::sql_parser
