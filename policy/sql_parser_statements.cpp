// Other statement families: SHOW, EXPLAIN, SET, transactions, DDL, administration (see policy/sql_parser.h).
#include "policy/sql_parser.h"

namespace sqlguard::policy::sql_parser {

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
    if (!at_end() && !kw("LIKE")) a_.show_filtered = true;
    return show_filter();
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
    return show_filter();
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
  // The form's own tail (names, FOR user, IN 'log' FROM n, LIMIT n) reads nothing; a WHERE
  // filter is an expression like any other.
  while (!at_end() && !kw("WHERE")) {
    if (kw("CURRENT_USER") && is_op(peek(), "(") && p_ + 2 < t_.size() && is_op(t_[p_ + 2], ")")) {
      p_ += 3;  // SHOW GRANTS FOR CURRENT_USER()
      continue;
    }
    if (kw("SELECT") || kw("WITH") || kw("VALUES") || kw("TABLE") || op("("))
      return fail("SHOW " + a_.show_form + " followed by a subquery or parentheses is not supported");
    ++p_;
  }
  return show_filter();
}

bool Parser::show_filter() {
  if (at_end()) return true;
  if (accept_kw("LIKE")) {
    if (cur().type != TT::kString) return fail("expected a pattern after LIKE");
    ++p_;
  } else if (accept_kw("WHERE")) {
    // Analysed like a WHERE clause, in a scope of its own: a subquery reads its tables (so
    // policy judges them) and every function is checked. Column names are the listing's.
    if (!expr(kCtxWhere, new_scope(-1))) return false;
  }
  if (!at_end()) return fail("unexpected text after SHOW " + a_.show_form + " filter");
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
      if (!expect_op("=") || !(is_any_word(cur()) || cur().type == TT::kString))
        return fail("expected a format");
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
      if (!expect_op("=") || !(is_any_word(cur()) || cur().type == TT::kString))
        return fail("expected a format");
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
    if (is_word(cur(), ad.word)) {
      ++p_;
      a_.kind = ad.kind;
      a_.writes_data = ad.kind != K::kHelp && ad.kind != K::kGetDiagnostics && ad.kind != K::kChecksumTable &&
                       ad.kind != K::kCheckTable;
      return skip_rest();
    }
  }
  return fail("unknown statement");
}

}  // namespace sqlguard::policy::sql_parser
