// Recursive-descent analysis of one MySQL 8 / MariaDB 10.11+ statement. See statement_analyzer.h.
//
// The parser accepts the grammar to the depth policy and masking need and fails closed on
// anything else: every token must be consumed by a rule that understands it. Column references
// are collected with their clause contexts and resolved against the tables in scope at the end
// (the select list is parsed before FROM).
#include "policy/statement_analyzer.h"

#include "policy/sql_parser.h"

namespace sqlguard::policy::sql_parser {

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
    } else if (t.type == TT::kWord && t.reserved) {
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

}  // namespace sqlguard::policy::sql_parser

namespace sqlguard::policy {

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
  sql_parser::Parser parser(sql, lex.tokens, default_schema, a);
  parser.run();
  return a;
}

}  // namespace sqlguard::policy
