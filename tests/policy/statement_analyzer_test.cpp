#include "policy/statement_analyzer.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "policy/analysis_format.h"

namespace sqlguard::policy {
namespace {

StatementAnalysis an(std::string_view sql) { return StatementAnalyzer().analyze(sql, "shop"); }

const ColumnRef* find_col(const StatementAnalysis& a, std::string_view name, uint32_t must = 0) {
  for (const auto& c : a.columns) {
    if (c.column == name && (c.contexts & must) == must) return &c;
  }
  return nullptr;
}

TEST(StatementAnalyzerTest, SimpleSelect) {
  const auto a = an("SELECT c.name, o.total AS t FROM customers c JOIN orders o ON o.cid = c.id");
  ASSERT_TRUE(a.understood) << a.reason;
  EXPECT_EQ(a.kind, StatementKind::kSelect);
  ASSERT_EQ(a.tables.size(), 2u);
  EXPECT_EQ(a.tables[0].schema, "shop");
  EXPECT_EQ(a.tables[0].alias, "c");
  ASSERT_EQ(a.outputs.size(), 2u);
  EXPECT_EQ(a.outputs[0].shape, OutputColumn::Shape::kColumn);
  EXPECT_EQ(a.outputs[1].alias, "t");
  EXPECT_TRUE(a.outputs_known);
  const ColumnRef* cid = find_col(a, "cid");
  ASSERT_NE(cid, nullptr);
  EXPECT_EQ(cid->contexts, kCtxJoin | kCtxExpression);
  EXPECT_EQ(cid->candidates, std::vector<uint32_t>{1});
}

TEST(StatementAnalyzerTest, ContextsAreComplete) {
  const auto a =
      an("SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE "
         "lower(note) = 'x')");
  ASSERT_TRUE(a.understood) << a.reason;
  const ColumnRef* note = find_col(a, "note");
  ASSERT_NE(note, nullptr);
  EXPECT_EQ(note->contexts & (kCtxWhere | kCtxExpression | kCtxSubquery),
            kCtxWhere | kCtxExpression | kCtxSubquery);
  const auto b = an("WITH t AS (SELECT ssn FROM customers) SELECT * FROM t");
  ASSERT_TRUE(b.understood) << b.reason;
  EXPECT_NE(find_col(b, "ssn", kCtxCte), nullptr);
  EXPECT_TRUE(b.tables[1].is_cte);
  const auto c = an("SELECT name FROM customers UNION SELECT ssn FROM customers");
  EXPECT_NE(find_col(c, "ssn", kCtxUnion), nullptr);
  EXPECT_NE(find_col(c, "name", kCtxUnion), nullptr);
  EXPECT_FALSE(c.outputs_known);
  const auto d = an("SELECT x.a FROM (SELECT * FROM customers) x");
  ASSERT_TRUE(d.understood) << d.reason;
  const ColumnRef* star = find_col(d, "*", kCtxDerivedTable);
  ASSERT_NE(star, nullptr);
  ASSERT_EQ(star->candidates.size(), 1u);
  EXPECT_EQ(d.tables[star->candidates[0]].table, "customers");
  const auto e = an("SELECT name, RANK() OVER (ORDER BY ssn) FROM customers");
  EXPECT_NE(find_col(e, "ssn", kCtxWindow), nullptr);
  const auto f = an("SELECT ssn AS x FROM customers ORDER BY x");
  EXPECT_NE(find_col(f, "ssn", kCtxOrderBy), nullptr);  // alias carries the column
  const auto g = an("SELECT name, ssn FROM customers ORDER BY 2");
  EXPECT_NE(find_col(g, "ssn", kCtxOrderBy), nullptr);  // position carries the column
  const auto h = an("SELECT @v := ssn FROM customers");
  EXPECT_NE(find_col(h, "ssn", kCtxVariable), nullptr);
  EXPECT_TRUE(h.user_variable_writes);
  const auto i = an("SELECT ssn INTO @x FROM customers");
  EXPECT_NE(find_col(i, "ssn", kCtxInto), nullptr);
  EXPECT_TRUE(i.into_variable);
}

TEST(StatementAnalyzerTest, Stars) {
  const auto a = an("SELECT c.*, o.id FROM customers c, orders o");
  ASSERT_TRUE(a.understood) << a.reason;
  ASSERT_EQ(a.outputs.size(), 2u);
  EXPECT_EQ(a.outputs[0].shape, OutputColumn::Shape::kStar);
  EXPECT_EQ(a.outputs[0].star_tables, std::vector<uint32_t>{0});
  const auto b = an("SELECT * FROM customers, orders");
  EXPECT_EQ(b.outputs[0].star_tables.size(), 2u);
  const auto c = an("TABLE customers");
  ASSERT_TRUE(c.understood);
  EXPECT_EQ(c.kind, StatementKind::kTable);
  EXPECT_EQ(c.outputs[0].shape, OutputColumn::Shape::kStar);
}

TEST(StatementAnalyzerTest, NonRecursiveCteDoesNotShadowItsOwnBody) {
  const auto a = an("WITH salaries AS (SELECT * FROM salaries) SELECT * FROM salaries");
  ASSERT_TRUE(a.understood) << a.reason;
  ASSERT_GE(a.tables.size(), 2u);
  EXPECT_FALSE(a.tables[0].is_cte);  // the body reads the base table
  EXPECT_EQ(a.tables[0].schema, "shop");
  EXPECT_TRUE(a.tables[1].is_cte);
}

TEST(StatementAnalyzerTest, Refusals) {
  for (const char* sql : {"SELECT 1; DROP TABLE t", "SELECT", "SELECT 1 FROM", "SELECT * FROM t WHERE", "FOO",
                          "", "SELECT ?", "SELECT a FROM t AS x FOR SYSTEM_TIME ALL", "BEGIN NOT ATOMIC END",
                          "SELECT x.a FROM t", "SELECT _bogus'x'", "SELECT 1 1", "SELECT (1", "SELECT 1)"}) {
    const auto a = an(sql);
    EXPECT_FALSE(a.understood) << sql;
    EXPECT_FALSE(a.reason.empty()) << sql;
  }
  std::string deep = "SELECT " + std::string(500, '(') + "1" + std::string(500, ')');
  const auto d = an(deep);
  EXPECT_FALSE(d.understood);
  EXPECT_NE(d.reason.find("nesting too deep"), std::string::npos) << d.reason;
  // A chain of unary operators nests no level but is bounded by the recursion bound.
  const auto u = an("SELECT " + std::string(3000, '~') + "1");
  EXPECT_FALSE(u.understood);
  EXPECT_NE(u.reason.find("nesting too deep"), std::string::npos) << u.reason;
}

// docs/policy.md promises 64 levels of nesting, whatever nests: parentheses, function calls,
// scalar subqueries, derived tables (issue 14 measured refusals from 9 levels on).
TEST(StatementAnalyzerTest, SixtyFourLevelsOfNesting) {
  auto repeat = [](const std::string& s, int n) {
    std::string r;
    for (int i = 0; i < n; ++i) r += s;
    return r;
  };
  struct Shape {
    const char* name;
    std::function<std::string(int)> sql;
  };
  const Shape shapes[] = {
      {"parentheses", [&](int n) { return "SELECT " + repeat("(", n) + "1" + repeat(")", n); }},
      {"function calls",
       [&](int n) { return "SELECT " + repeat("ABS(", n) + "a" + repeat(")", n) + " FROM t"; }},
      {"scalar subqueries",
       [&](int n) { return repeat("SELECT (", n) + "SELECT a FROM t" + repeat(") FROM t", n); }},
      {"derived tables",
       [&](int n) {
         std::string s = "SELECT * FROM t";
         for (int i = 0; i < n; ++i) s = "SELECT * FROM (" + s + ") AS d" + std::to_string(i);
         return s;
       }},
      {"IN subqueries",
       [&](int n) {
         std::string s = "SELECT a FROM t";
         for (int i = 0; i < n; ++i) s = "SELECT a FROM t WHERE a IN (" + s + ")";
         return s;
       }},
  };
  for (const auto& shape : shapes) {
    const auto ok = an(shape.sql(64));
    EXPECT_TRUE(ok.understood) << shape.name << ": " << ok.reason;
    const auto deep = an(shape.sql(65));
    EXPECT_FALSE(deep.understood) << shape.name;
    EXPECT_NE(deep.reason.find("more than 64"), std::string::npos) << shape.name << ": " << deep.reason;
  }
}

TEST(StatementAnalyzerTest, Kinds) {
  struct Case {
    const char* sql;
    StatementKind kind;
  };
  const Case cases[] = {
      {"SHOW TABLES", StatementKind::kShow},
      {"DESCRIBE t", StatementKind::kDescribe},
      {"EXPLAIN SELECT 1", StatementKind::kExplain},
      {"ANALYZE DELETE FROM t", StatementKind::kDelete},
      {"HANDLER t OPEN", StatementKind::kHandler},
      {"DO 1", StatementKind::kDo},
      {"CALL p(1)", StatementKind::kCall},
      {"INSERT INTO t VALUES (1)", StatementKind::kInsert},
      {"REPLACE INTO t VALUES (1)", StatementKind::kReplace},
      {"UPDATE t SET a = 1", StatementKind::kUpdate},
      {"DELETE FROM t", StatementKind::kDelete},
      {"WITH x AS (SELECT 1) DELETE FROM t", StatementKind::kDelete},
      {"LOAD DATA INFILE 'x' INTO TABLE t", StatementKind::kLoadData},
      {"CREATE TABLE t (a INT)", StatementKind::kCreateTable},
      {"CREATE VIEW v AS SELECT 1", StatementKind::kCreateView},
      {"CREATE FUNCTION f RETURNS INT SONAME 'x.so'", StatementKind::kInstall},
      {"DROP TABLE t", StatementKind::kDropTable},
      {"TRUNCATE t", StatementKind::kTruncate},
      {"GRANT ALL ON *.* TO x", StatementKind::kGrant},
      {"SET @a = 1", StatementKind::kSet},
      {"SET STATEMENT max_statement_time=0 FOR SELECT 1", StatementKind::kSetStatement},
      {"SET TRANSACTION READ WRITE", StatementKind::kSetTransaction},
      {"START TRANSACTION", StatementKind::kStartTransaction},
      {"COMMIT", StatementKind::kCommit},
      {"XA START 'x'", StatementKind::kXa},
      {"LOCK TABLES t READ", StatementKind::kLockTables},
      {"PREPARE s FROM 'x'", StatementKind::kPrepare},
      {"EXECUTE IMMEDIATE 'x'", StatementKind::kExecuteImmediate},
      {"KILL 1", StatementKind::kKill},
      {"FLUSH TABLES", StatementKind::kFlush},
      {"VALUES ROW(1)", StatementKind::kValues},
  };
  for (const auto& c : cases) {
    const auto a = an(c.sql);
    EXPECT_TRUE(a.understood) << c.sql << ": " << a.reason;
    EXPECT_EQ(to_string(a.kind), to_string(c.kind)) << c.sql;
  }
}

TEST(StatementAnalyzerTest, FunctionsAndFlags) {
  const auto a = an("SELECT `LOAD_FILE` ('/x'), shop.f(1), sleep(1), @@version, @u FROM t FOR UPDATE");
  ASSERT_TRUE(a.understood) << a.reason;
  EXPECT_EQ(a.functions, (std::vector<std::string>{"load_file", "shop.f", "sleep"}));
  EXPECT_EQ(a.stored_functions, (std::vector<std::string>{"shop.f"}));
  EXPECT_TRUE(a.system_variables);
  EXPECT_TRUE(a.user_variables);
  EXPECT_TRUE(a.locking_read);
  const auto b = an("SELECT 1 INTO OUTFILE '/tmp/x'");
  EXPECT_TRUE(b.into_outfile);
  const auto c = an("SELECT 1 /*!50000 , 2 */");
  EXPECT_TRUE(c.executable_comment);
  const auto d = an("SELECT /*+ BKA(t) */ 1");
  EXPECT_TRUE(d.optimizer_hint);
}

TEST(StatementAnalyzerTest, SystemSchemaAndDefaultSchema) {
  const auto a = an("SELECT * FROM INFORMATION_SCHEMA.tables, mysql.user, t");
  ASSERT_TRUE(a.understood);
  EXPECT_TRUE(a.tables[0].is_system_schema);
  EXPECT_TRUE(a.tables[1].is_system_schema);
  EXPECT_FALSE(a.tables[2].is_system_schema);
  EXPECT_EQ(a.tables[2].schema, "shop");
  const auto b = an("SHOW PROCESSLIST");
  ASSERT_EQ(b.tables.size(), 1u);
  EXPECT_TRUE(b.tables[0].is_system_schema);
}

TEST(StatementAnalyzerTest, WritesAndTargets) {
  const auto a = an("DELETE o FROM orders o JOIN items i ON i.oid = o.id WHERE i.q = 0");
  ASSERT_TRUE(a.understood) << a.reason;
  EXPECT_TRUE(a.tables[0].written);
  EXPECT_FALSE(a.tables[1].written);
  EXPECT_TRUE(a.has_where);
  const auto b = an("INSERT INTO orders (a) SELECT ssn FROM customers");
  ASSERT_TRUE(b.understood) << b.reason;
  const ColumnRef* ssn = find_col(b, "ssn");
  ASSERT_NE(ssn, nullptr);
  EXPECT_NE(ssn->contexts & kCtxAssignment, 0u);
  EXPECT_TRUE(b.outputs.empty());
}

TEST(StatementAnalyzerTest, DigestIsLiteralFree) {
  const auto a = an("select  name from t where id = 42 and n = 'x' 'y'");
  const auto b = an("SELECT name FROM t WHERE id = 7 AND n = 'z'");
  EXPECT_EQ(a.digest_text, b.digest_text);
  EXPECT_EQ(a.digest_text, "SELECT name FROM t WHERE id = ? AND n = ?");
}

TEST(StatementAnalyzerTest, DescribeFormats) {
  const std::string s = describe(an("SELECT a FROM t WHERE b = 1"));
  EXPECT_NE(s.find("kind: select"), std::string::npos);
  EXPECT_NE(s.find("where"), std::string::npos);
}

const TableRef* find_table(const StatementAnalysis& a, std::string_view name) {
  for (const auto& t : a.tables) {
    if (t.table == name) return &t;
  }
  return nullptr;
}

TEST(StatementAnalyzerTest, SequenceFunctionsNameASequenceNotAColumn) {
  const auto a = an("SELECT NEXTVAL(shop.s)");
  ASSERT_TRUE(a.understood) << a.reason;
  ASSERT_EQ(a.tables.size(), 1u);
  EXPECT_EQ(a.tables[0].schema, "shop");
  EXPECT_EQ(a.tables[0].table, "s");
  EXPECT_TRUE(a.tables[0].is_sequence);
  EXPECT_TRUE(a.tables[0].written);
  EXPECT_TRUE(a.columns.empty());
  ASSERT_EQ(a.sequences.size(), 1u);
  EXPECT_EQ(a.sequences[0].table, 0u);
  EXPECT_TRUE(a.sequences[0].changes);
  EXPECT_EQ(a.sequences[0].form, "NEXTVAL(shop.s)");
  EXPECT_TRUE(a.writes_data);
  EXPECT_EQ(a.functions, std::vector<std::string>{"nextval"});
  EXPECT_TRUE(a.stored_functions.empty());

  const auto b = an("SELECT nextval (`a`.`b`)");
  ASSERT_TRUE(b.understood) << b.reason;
  EXPECT_EQ(b.tables[0].schema, "a");
  EXPECT_EQ(b.tables[0].table, "b");
  EXPECT_EQ(b.sequences[0].form, "NEXTVAL(a.b)");

  const auto c = an("SELECT LastVal(s)");  // unqualified: the default schema
  ASSERT_TRUE(c.understood) << c.reason;
  EXPECT_EQ(c.tables[0].schema, "shop");
  EXPECT_FALSE(c.tables[0].written);
  EXPECT_TRUE(c.tables[0].is_sequence);
  ASSERT_EQ(c.sequences.size(), 1u);
  EXPECT_FALSE(c.sequences[0].changes);
  EXPECT_EQ(c.sequences[0].form, "LASTVAL(shop.s)");
  EXPECT_FALSE(c.writes_data);

  const auto d = an("SELECT SETVAL(`shop`.s, 100, 0, 5)");
  ASSERT_TRUE(d.understood) << d.reason;
  ASSERT_EQ(d.sequences.size(), 1u);
  EXPECT_TRUE(d.sequences[0].changes);
  EXPECT_EQ(d.sequences[0].form, "SETVAL(shop.s)");
  EXPECT_TRUE(d.tables[0].written);
  EXPECT_EQ(d.functions, std::vector<std::string>{"setval"});
  EXPECT_TRUE(an("SELECT setval(s, 7)").understood);

  for (const char* sql :
       {"SELECT SETVAL(s)", "SELECT SETVAL(s, 1, 0, 5, 6)", "SELECT NEXTVAL(1)", "SELECT NEXTVAL(a.b.c)",
        "SELECT NEXTVAL(s, 1)", "SELECT LASTVAL()", "SELECT NEXTVAL(select)"}) {
    EXPECT_FALSE(an(sql).understood) << sql;
  }
}

TEST(StatementAnalyzerTest, NextAndPreviousValueFor) {
  const auto a = an("SELECT NEXT VALUE FOR shop.s, previous value for t");
  ASSERT_TRUE(a.understood) << a.reason;
  ASSERT_EQ(a.sequences.size(), 2u);
  EXPECT_EQ(a.sequences[0].form, "NEXT VALUE FOR shop.s");
  EXPECT_TRUE(a.sequences[0].changes);
  EXPECT_EQ(a.sequences[1].form, "PREVIOUS VALUE FOR shop.t");
  EXPECT_FALSE(a.sequences[1].changes);
  EXPECT_TRUE(a.tables[a.sequences[0].table].written);
  EXPECT_FALSE(a.tables[a.sequences[1].table].written);
  EXPECT_TRUE(a.columns.empty());
  EXPECT_TRUE(a.writes_data);

  // Comments and line breaks between the words change nothing (the lexer drops them).
  const auto b = an("SELECT Next /* x */ VALUE -- y\n FOR `shop`.`s`");
  ASSERT_TRUE(b.understood) << b.reason;
  ASSERT_EQ(b.sequences.size(), 1u);
  EXPECT_EQ(b.sequences[0].form, "NEXT VALUE FOR shop.s");
  // The three words commit to the sequence form: no name after them is refused.
  EXPECT_FALSE(an("SELECT NEXT VALUE FOR UPDATE").understood);
  EXPECT_FALSE(an("SELECT NEXT VALUE FOR").understood);
  // NEXT and VALUE stay ordinary names elsewhere.
  const auto c = an("SELECT next, value FROM t");
  ASSERT_TRUE(c.understood) << c.reason;
  EXPECT_TRUE(c.sequences.empty());
  EXPECT_EQ(c.columns.size(), 2u);
}

TEST(StatementAnalyzerTest, SequencesInEveryExpressionPosition) {
  // Never a candidate for column resolution.
  const auto a = an("SELECT id, NEXTVAL(s) FROM orders");
  ASSERT_TRUE(a.understood) << a.reason;
  const TableRef* orders = find_table(a, "orders");
  ASSERT_NE(orders, nullptr);
  const ColumnRef* id = find_col(a, "id");
  ASSERT_NE(id, nullptr);
  ASSERT_EQ(id->candidates.size(), 1u);
  EXPECT_EQ(a.tables[id->candidates[0]].table, "orders");
  const ColumnRef* star = nullptr;
  const auto s = an("SELECT *, NEXTVAL(s) FROM orders");
  for (const auto& c : s.columns) {
    if (c.column == "*") star = &c;
  }
  ASSERT_NE(star, nullptr);
  EXPECT_EQ(star->candidates.size(), 1u);

  for (const char* sql : {
           "SELECT id FROM orders WHERE id > (SELECT NEXTVAL(s))",
           "SELECT id FROM orders WHERE id IN (SELECT NEXT VALUE FOR s FROM dual)",
           "SELECT id FROM orders ORDER BY NEXTVAL(s)",
           "SELECT x.v FROM (SELECT NEXTVAL(s) AS v) x",
           "WITH c AS (SELECT NEXTVAL(s) AS v) SELECT v FROM c",
           "SELECT 1 UNION SELECT NEXT VALUE FOR s",
           "VALUES ROW(NEXTVAL(s))",
           "DO SETVAL(s, 10)",
           "INSERT INTO orders (id) VALUES (NEXT VALUE FOR s)",
           "UPDATE orders SET id = NEXTVAL(s) WHERE id = 1",
           "SELECT CASE WHEN 1 THEN NEXTVAL(s) END",
           "SELECT COALESCE(NULL, NEXTVAL(s)) + 1",
       }) {
    const auto r = an(sql);
    ASSERT_TRUE(r.understood) << sql << ": " << r.reason;
    ASSERT_EQ(r.sequences.size(), 1u) << sql;
    EXPECT_TRUE(r.sequences[0].changes) << sql;
    const TableRef& t = r.tables[r.sequences[0].table];
    EXPECT_TRUE(t.is_sequence) << sql;
    EXPECT_TRUE(t.written) << sql;
    EXPECT_EQ(t.schema, "shop") << sql;
    EXPECT_EQ(t.table, "s") << sql;
    EXPECT_TRUE(r.writes_data) << sql;
  }
  const auto i = an("INSERT INTO orders (id) VALUES (NEXT VALUE FOR s)");
  EXPECT_EQ(i.kind, StatementKind::kInsert);
  const auto d = an("DO SETVAL(s, 10)");
  EXPECT_EQ(d.kind, StatementKind::kDo);

  // A CTE of the same name does not hide the sequence (a sequence is a base object).
  const auto w = an("WITH s AS (SELECT 1) SELECT LASTVAL(s)");
  ASSERT_TRUE(w.understood) << w.reason;
  ASSERT_EQ(w.sequences.size(), 1u);
  EXPECT_FALSE(w.tables[w.sequences[0].table].is_cte);
  EXPECT_EQ(w.tables[w.sequences[0].table].schema, "shop");

  // The server prints a sequence default as `nextval(`shop`.`seq`)`.
  const auto def = an("SELECT nextval(`shop`.`seq`)");
  ASSERT_TRUE(def.understood) << def.reason;
  EXPECT_EQ(def.sequences[0].form, "NEXTVAL(shop.seq)");
}

TEST(StatementAnalyzerTest, QuotedSequenceFunctionNameIsAStoredFunction) {
  // `nextval`(x) is not the keyword: the server calls a stored function named nextval.
  const auto a = an("SELECT `nextval`(id), `Default`(id) FROM orders");
  ASSERT_TRUE(a.understood) << a.reason;
  EXPECT_TRUE(a.sequences.empty());
  EXPECT_TRUE(a.default_calls.empty());
  EXPECT_EQ(a.stored_functions, (std::vector<std::string>{"nextval", "default"}));
  EXPECT_NE(find_col(a, "id"), nullptr);
}

TEST(StatementAnalyzerTest, OracleModeSequenceSyntaxIsRefusedWithAReason) {
  const auto a = an("SELECT s.nextval");
  EXPECT_FALSE(a.understood);
  EXPECT_NE(a.reason.find("Oracle-mode sequence syntax"), std::string::npos) << a.reason;
  EXPECT_NE(a.reason.find("NEXTVAL(s)"), std::string::npos) << a.reason;
  EXPECT_NE(a.reason.find("NEXT VALUE FOR s"), std::string::npos) << a.reason;
  const auto b = an("SELECT id FROM orders WHERE id = shop.s.CurrVal");
  EXPECT_FALSE(b.understood);
  EXPECT_NE(b.reason.find("NEXTVAL(shop.s)"), std::string::npos) << b.reason;
  // A real column named nextval of a table in scope is an ordinary column.
  const auto c = an("SELECT o.nextval FROM orders o");
  ASSERT_TRUE(c.understood) << c.reason;
  EXPECT_TRUE(c.sequences.empty());
  // Other unknown qualifiers keep their reason.
  const auto d = an("SELECT s.other");
  EXPECT_FALSE(d.understood);
  EXPECT_NE(d.reason.find("unknown table"), std::string::npos) << d.reason;
}

TEST(StatementAnalyzerTest, DefaultCalls) {
  const auto a = an("SELECT DEFAULT(id), default ( `t`.`subject` ) FROM tickets t WHERE id = DEFAULT(id)");
  ASSERT_TRUE(a.understood) << a.reason;
  ASSERT_EQ(a.default_calls.size(), 3u);
  const ColumnRef& c0 = a.columns[a.default_calls[0]];
  EXPECT_EQ(c0.column, "id");
  EXPECT_EQ(c0.contexts, kCtxSelectList | kCtxExpression);
  EXPECT_EQ(c0.candidates, std::vector<uint32_t>{0});
  const ColumnRef& c1 = a.columns[a.default_calls[1]];
  EXPECT_EQ(c1.qualifier, "t");
  EXPECT_EQ(c1.column, "subject");
  EXPECT_NE(a.columns[a.default_calls[2]].contexts & kCtxWhere, 0u);
  EXPECT_EQ(a.functions, std::vector<std::string>{"default"});
  EXPECT_TRUE(a.sequences.empty());  // the catalog step decides
  EXPECT_EQ(a.outputs[0].shape, OutputColumn::Shape::kExpression);

  const auto b = an("SELECT DEFAULT(shop.tickets.id) FROM shop.tickets");
  ASSERT_TRUE(b.understood) << b.reason;
  ASSERT_EQ(b.default_calls.size(), 1u);
  EXPECT_EQ(b.columns[b.default_calls[0]].qualifier, "shop.tickets");
  // The DEFAULT keyword is not a call.
  for (const char* sql :
       {"INSERT INTO t VALUES (DEFAULT, 1)", "UPDATE t SET a = DEFAULT", "INSERT INTO t SET a = DEFAULT"}) {
    const auto r = an(sql);
    ASSERT_TRUE(r.understood) << sql << ": " << r.reason;
    EXPECT_TRUE(r.default_calls.empty()) << sql;
  }
  const auto u = an("UPDATE t SET a = DEFAULT(b)");
  ASSERT_TRUE(u.understood) << u.reason;
  EXPECT_EQ(u.default_calls.size(), 1u);
  for (const char* sql : {"SELECT DEFAULT(1)", "SELECT DEFAULT(a + 1) FROM t", "SELECT DEFAULT()",
                          "SELECT DEFAULT(a, b) FROM t", "SELECT DEFAULT(t.*) FROM t"}) {
    EXPECT_FALSE(an(sql).understood) << sql;
  }
}

TEST(StatementAnalyzerTest, DistinctInTheOutermostBlock) {
  struct Case {
    const char* sql;
    bool distinct;
  };
  const Case cases[] = {
      {"SELECT DISTINCT a FROM t", true},
      {"SELECT distinctrow a FROM t", true},
      {"SELECT SQL_NO_CACHE DISTINCT a FROM t", true},
      {"SELECT ALL a FROM t", false},
      {"SELECT a FROM t", false},
      {"SELECT COUNT(DISTINCT a) FROM t", false},
      {"SELECT a FROM t WHERE a IN (SELECT DISTINCT b FROM u)", false},
      {"SELECT x.b FROM (SELECT DISTINCT b FROM u) x", false},
      {"WITH c AS (SELECT DISTINCT a FROM t) SELECT a FROM c", false},
      {"SELECT a FROM t UNION SELECT DISTINCT b FROM u", true},
      {"SELECT a FROM t UNION DISTINCT SELECT b FROM u", false},
      {"(SELECT DISTINCT a FROM t) UNION ALL SELECT b FROM u", true},
      {"SELECT 1 UNION (SELECT 2 UNION SELECT DISTINCT 3)", true},
      {"SELECT 1 UNION (WITH c AS (SELECT DISTINCT a FROM t) SELECT a FROM c)", false},
      {"SELECT 1 UNION SELECT a FROM t WHERE a IN (SELECT DISTINCT b FROM u)", false},
      {"SELECT a FROM t ORDER BY (SELECT DISTINCT b FROM u LIMIT 1)", false},
      {"SELECT 1 UNION SELECT 2 ORDER BY (SELECT DISTINCT b FROM u LIMIT 1)", false},
      {"VALUES ROW((SELECT DISTINCT b FROM u))", false},
      {"WITH c AS (SELECT a FROM t) SELECT DISTINCT a FROM c", true},
  };
  for (const auto& c : cases) {
    const auto a = an(c.sql);
    ASSERT_TRUE(a.understood) << c.sql << ": " << a.reason;
    EXPECT_EQ(a.distinct, c.distinct) << c.sql;
  }
}

TEST(StatementAnalyzerTest, IndexHintsAreRecorded) {
  using K = TableRef::IndexHint::Kind;
  const auto a =
      an("SELECT x.a FROM t AS x USE INDEX (i1, `i 2`) IGNORE KEY FOR ORDER BY (i) "
         "FORCE INDEX FOR JOIN (PRIMARY) USE KEY FOR GROUP BY (g)");
  ASSERT_TRUE(a.understood) << a.reason;
  ASSERT_EQ(a.tables.size(), 1u);
  EXPECT_EQ(a.tables[0].alias, "x");
  const auto& h = a.tables[0].index_hints;
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0].kind, K::kUse);
  EXPECT_EQ(h[0].indexes, (std::vector<std::string>{"i1", "i 2"}));
  EXPECT_EQ(h[1].kind, K::kIgnore);
  EXPECT_EQ(h[1].indexes, std::vector<std::string>{"i"});
  EXPECT_EQ(h[2].kind, K::kForce);
  EXPECT_EQ(h[2].indexes, std::vector<std::string>{"PRIMARY"});
  EXPECT_EQ(h[3].kind, K::kUse);
  EXPECT_EQ(h[3].indexes, std::vector<std::string>{"g"});

  const auto b = an("SELECT a FROM t USE INDEX ()");
  ASSERT_TRUE(b.understood) << b.reason;
  ASSERT_EQ(b.tables[0].index_hints.size(), 1u);
  EXPECT_TRUE(b.tables[0].index_hints[0].indexes.empty());

  const auto c = an("SELECT * FROM t JOIN u IGNORE INDEX (j) ON t.id = u.id");
  ASSERT_TRUE(c.understood) << c.reason;
  EXPECT_TRUE(c.tables[0].index_hints.empty());
  ASSERT_EQ(c.tables[1].index_hints.size(), 1u);
  EXPECT_EQ(c.tables[1].index_hints[0].kind, K::kIgnore);

  for (const char* sql :
       {"UPDATE t USE INDEX (i) SET a = 1 WHERE b = 2", "DELETE t FROM t FORCE INDEX (i) WHERE a = 1",
        "DELETE FROM t USING t IGNORE INDEX (i) WHERE a = 1",
        "SELECT a FROM (SELECT a FROM t FORCE INDEX (i)) x",
        "SELECT a FROM t WHERE a IN (SELECT b FROM t USE KEY (i))"}) {
    const auto r = an(sql);
    ASSERT_TRUE(r.understood) << sql << ": " << r.reason;
    const TableRef* t = find_table(r, "t");
    ASSERT_NE(t, nullptr) << sql;
    bool hinted = false;
    for (const auto& tr : r.tables) hinted = hinted || !tr.index_hints.empty();
    EXPECT_TRUE(hinted) << sql;
  }
  for (const char* sql : {"SELECT a FROM t USE INDEX", "SELECT a FROM t USE INDEX (1)",
                          "SELECT a FROM t USE INDEX FOR UPDATE (i)"}) {
    EXPECT_FALSE(an(sql).understood) << sql;
  }
}

TEST(StatementAnalyzerTest, PartitionSelectionIsRecorded) {
  const auto a = an("SELECT x.a FROM t PARTITION (p0, `p 1`) AS x");
  ASSERT_TRUE(a.understood) << a.reason;
  EXPECT_EQ(a.tables[0].partitions, (std::vector<std::string>{"p0", "p 1"}));
  EXPECT_EQ(a.tables[0].alias, "x");
  const auto b = an("SELECT * FROM t JOIN u PARTITION (p2) USING (id)");
  ASSERT_TRUE(b.understood) << b.reason;
  EXPECT_TRUE(b.tables[0].partitions.empty());
  EXPECT_EQ(b.tables[1].partitions, std::vector<std::string>{"p2"});

  const auto i = an("INSERT INTO t PARTITION (p0) (a) VALUES (1)");
  ASSERT_TRUE(i.understood) << i.reason;
  EXPECT_EQ(i.tables[0].partitions, std::vector<std::string>{"p0"});
  EXPECT_TRUE(i.tables[0].written);
  const auto r = an("REPLACE INTO t PARTITION (p1, p2) SELECT * FROM u PARTITION (q)");
  ASSERT_TRUE(r.understood) << r.reason;
  EXPECT_EQ(r.tables[0].partitions, (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(r.tables[1].partitions, std::vector<std::string>{"q"});
  const auto d = an("DELETE FROM t PARTITION (p1) WHERE a = 1");
  ASSERT_TRUE(d.understood) << d.reason;
  EXPECT_EQ(d.tables[0].partitions, std::vector<std::string>{"p1"});
  EXPECT_TRUE(d.tables[0].written);
  const auto m = an("DELETE t FROM t PARTITION (p3) JOIN u ON u.id = t.id");
  ASSERT_TRUE(m.understood) << m.reason;
  EXPECT_EQ(m.tables[0].partitions, std::vector<std::string>{"p3"});
  const auto u = an("UPDATE t PARTITION (p4) SET a = 1");
  ASSERT_TRUE(u.understood) << u.reason;
  EXPECT_EQ(u.tables[0].partitions, std::vector<std::string>{"p4"});
  for (const char* sql : {"SELECT a FROM t PARTITION ()", "SELECT a FROM t PARTITION p0",
                          "INSERT INTO t PARTITION () VALUES (1)"}) {
    EXPECT_FALSE(an(sql).understood) << sql;
  }
}

TEST(StatementAnalyzerTest, ForSystemTime) {
  struct Case {
    const char* sql;
    const char* alias;
  };
  const Case cases[] = {
      {"SELECT a FROM t FOR SYSTEM_TIME ALL", ""},
      {"SELECT h.a FROM t FOR SYSTEM_TIME ALL AS h", "h"},
      {"SELECT h.a FROM t FOR SYSTEM_TIME AS OF TIMESTAMP '2024-01-01 00:00:00' AS h", "h"},
      {"SELECT h.a FROM t FOR SYSTEM_TIME AS OF TIMESTAMP NOW() - INTERVAL 1 DAY h", "h"},
      {"SELECT a FROM t FOR SYSTEM_TIME AS OF TIMESTAMP('2024-01-01')", ""},
      {"SELECT a FROM t FOR SYSTEM_TIME AS OF '2024-01-01'", ""},
      {"SELECT a FROM t FOR SYSTEM_TIME AS OF TRANSACTION 12", ""},
      {"SELECT h.a FROM t FOR SYSTEM_TIME BETWEEN TIMESTAMP '2024-01-01' AND TIMESTAMP "
       "'2024-02-01' h WHERE h.a > 1",
       "h"},
      {"SELECT a FROM t FOR SYSTEM_TIME BETWEEN TRANSACTION 1 AND TRANSACTION 5", ""},
      {"SELECT a FROM t FOR SYSTEM_TIME BETWEEN NOW() - INTERVAL 2 DAY AND NOW()", ""},
      {"SELECT a FROM t FOR SYSTEM_TIME FROM '2024-01-01' TO NOW()", ""},
      {"SELECT a FROM t FOR SYSTEM_TIME FROM TIMESTAMP '2024-01-01' TO TIMESTAMP NOW() AS x", "x"},
      {"SELECT a FROM t PARTITION (p0) FOR SYSTEM_TIME ALL", ""},
      {"SELECT a FROM t FOR SYSTEM_TIME ALL FORCE INDEX (i)", ""},
  };
  for (const auto& c : cases) {
    const auto a = an(c.sql);
    ASSERT_TRUE(a.understood) << c.sql << ": " << a.reason;
    const TableRef* t = find_table(a, "t");
    ASSERT_NE(t, nullptr) << c.sql;
    EXPECT_TRUE(t->system_time) << c.sql;
    EXPECT_EQ(t->alias, c.alias) << c.sql;
  }
  // What the point expressions read is recorded.
  const auto s = an("SELECT a FROM t FOR SYSTEM_TIME AS OF (SELECT MAX(ts) FROM x WHERE k = 1)");
  ASSERT_TRUE(s.understood) << s.reason;
  const TableRef* x = find_table(s, "x");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->schema, "shop");
  EXPECT_NE(find_col(s, "ts", kCtxSubquery | kCtxExpression), nullptr);
  const auto q = an("SELECT a FROM t FOR SYSTEM_TIME AS OF TIMESTAMP (SELECT MAX(ts) FROM x)");
  ASSERT_TRUE(q.understood) << q.reason;
  EXPECT_NE(find_table(q, "x"), nullptr);
  const auto b =
      an("SELECT a FROM t FOR SYSTEM_TIME BETWEEN (SELECT MIN(ts) FROM x) AND "
         "(SELECT MAX(ts) FROM y)");
  ASSERT_TRUE(b.understood) << b.reason;
  EXPECT_NE(find_table(b, "x"), nullptr);
  EXPECT_NE(find_table(b, "y"), nullptr);
  const auto u = an("SELECT t.a FROM u, t FOR SYSTEM_TIME AS OF u.ts");
  ASSERT_TRUE(u.understood) << u.reason;
  const ColumnRef* ts = find_col(u, "ts");
  ASSERT_NE(ts, nullptr);
  EXPECT_EQ(ts->contexts, kCtxExpression | kCtxOther);
  EXPECT_EQ(ts->candidates, std::vector<uint32_t>{0});
  const auto v = an("SELECT a FROM t FOR SYSTEM_TIME AS OF @when");
  ASSERT_TRUE(v.understood) << v.reason;
  EXPECT_TRUE(v.user_variables);
  const auto f = an("SELECT a FROM t FOR SYSTEM_TIME AS OF sleep(1)");
  ASSERT_TRUE(f.understood) << f.reason;
  EXPECT_EQ(f.functions, std::vector<std::string>{"sleep"});
  const auto j = an("SELECT * FROM t FOR SYSTEM_TIME AS OF NOW() JOIN u ON t.id = u.id");
  ASSERT_TRUE(j.understood) << j.reason;
  EXPECT_FALSE(j.tables[1].system_time);
  for (const char* sql : {
           "SELECT a FROM t AS x FOR SYSTEM_TIME ALL",
           "SELECT a FROM t FOR SYSTEM_TIME",
           "SELECT a FROM t FOR SYSTEM_TIME AS OF",
           "SELECT a FROM t FOR SYSTEM_TIME AS '2024'",
           "SELECT a FROM t FOR SYSTEM_TIME BETWEEN 1",
           "SELECT a FROM t FOR SYSTEM_TIME FROM 1",
           "SELECT a FROM t FOR SYSTEM_TIME SOMETIME",
           "SELECT a FROM t FOR SYSTEM_TIME AS OF ?",
           "SELECT a FROM t FOR SYSTEM_TIME AS OF 1 = 1",
       }) {
    EXPECT_FALSE(an(sql).understood) << sql;
  }
}

TEST(StatementAnalyzerTest, StandardRowLimiting) {
  for (const char* sql : {
           "SELECT a FROM t ORDER BY a OFFSET 5 ROWS FETCH NEXT 10 ROWS ONLY",
           "SELECT a FROM t ORDER BY a FETCH FIRST 1 ROW WITH TIES",
           "SELECT a FROM t FETCH FIRST ROW ONLY",
           "SELECT a FROM t OFFSET 1 ROW",
           "SELECT a FROM t WHERE a IN (SELECT b FROM u ORDER BY b FETCH FIRST 3 ROWS ONLY)",
           "SELECT x.b FROM (SELECT b FROM u OFFSET 2 ROWS FETCH FIRST 3 ROWS ONLY) x",
           "WITH c AS (SELECT b FROM u FETCH FIRST 3 ROWS ONLY) SELECT b FROM c",
           "SELECT a FROM t UNION SELECT b FROM u ORDER BY 1 FETCH FIRST 2 ROWS ONLY",
           "(SELECT a FROM t) UNION (SELECT b FROM u) ORDER BY a OFFSET 1 ROWS FETCH FIRST 2 "
           "ROWS ONLY",
           "(SELECT a FROM t) FETCH FIRST 2 ROWS ONLY",
           "SELECT a FROM t FOR SYSTEM_TIME ALL FETCH FIRST 2 ROWS ONLY",
           "SELECT a FROM t FETCH FIRST 2 ROWS ONLY FOR UPDATE",
       }) {
    const auto a = an(sql);
    ASSERT_TRUE(a.understood) << sql << ": " << a.reason;
    EXPECT_TRUE(a.has_limit) << sql;
  }
  const auto u = an("(SELECT a FROM t) UNION (SELECT b FROM u) FETCH FIRST 2 ROWS ONLY");
  ASSERT_TRUE(u.understood) << u.reason;
  EXPECT_TRUE(u.has_limit);
  EXPECT_FALSE(an("SELECT a FROM t").has_limit);
  for (const char* sql : {
           "SELECT a FROM t FETCH FIRST ? ROWS ONLY",
           "SELECT a FROM t FETCH FIRST @n ROWS ONLY",
           "SELECT a FROM t OFFSET @n ROWS",
           "SELECT a FROM t OFFSET ? ROWS FETCH FIRST 1 ROW ONLY",
           "SELECT a FROM t OFFSET 1",
           "SELECT a FROM t FETCH FIRST 1 ROWS",
           "SELECT a FROM t FETCH 1 ROWS ONLY",
           "SELECT a FROM t FETCH FIRST 1 ROWS WITH",
           "SELECT a FROM t FETCH FIRST (SELECT 1) ROWS ONLY",
           "SELECT a FROM t FETCH FIRST n ROWS ONLY",
       }) {
    EXPECT_FALSE(an(sql).understood) << sql;
  }
}

TEST(StatementAnalyzerTest, ShowForm) {
  struct Case {
    const char* sql;
    const char* form;
  };
  const Case cases[] = {
      {"SHOW FULL COLUMNS FROM t", "COLUMNS"},
      {"SHOW FIELDS IN t FROM shop", "COLUMNS"},
      {"SHOW EXTENDED INDEX FROM t", "INDEX"},
      {"SHOW INDEXES IN t", "INDEX"},
      {"SHOW KEYS FROM t", "INDEX"},
      {"SHOW CREATE TABLE t", "CREATE TABLE"},
      {"show create view v", "CREATE VIEW"},
      {"SHOW FULL TABLES", "TABLES"},
      {"SHOW TABLE STATUS FROM shop LIKE 'o%'", "TABLE STATUS"},
      {"SHOW CREATE TRIGGER tr", "CREATE TRIGGER"},
      {"SHOW CREATE PROCEDURE p", "CREATE PROCEDURE"},
      {"SHOW CREATE FUNCTION f", "CREATE FUNCTION"},
      {"SHOW CREATE EVENT e", "CREATE EVENT"},
      {"SHOW CREATE DATABASE shop", "CREATE DATABASE"},
      {"SHOW CREATE SEQUENCE s", "CREATE SEQUENCE"},
      {"SHOW PROCEDURE CODE p", "PROCEDURE CODE"},
      {"show function status", "FUNCTION STATUS"},
      {"SHOW TRIGGERS", "TRIGGERS"},
      {"SHOW EVENTS", "EVENTS"},
      {"SHOW FULL PROCESSLIST", "PROCESSLIST"},
      {"SHOW WARNINGS", "WARNINGS"},
      {"SHOW DATABASES", "DATABASES"},
      {"SHOW GRANTS FOR CURRENT_USER", "GRANTS"},
      {"SHOW GLOBAL STATUS", "GLOBAL STATUS"},
  };
  for (const auto& c : cases) {
    const auto a = an(c.sql);
    ASSERT_TRUE(a.understood) << c.sql << ": " << a.reason;
    EXPECT_EQ(a.kind, StatementKind::kShow) << c.sql;
    EXPECT_EQ(a.show_form, c.form) << c.sql;
  }
  // The generic form still names its system table with '_'.
  const auto t = an("SHOW CREATE TRIGGER tr");
  ASSERT_EQ(t.tables.size(), 1u);
  EXPECT_EQ(t.tables[0].schema, "information_schema");
  EXPECT_EQ(t.tables[0].table, "CREATE_TRIGGER");
  EXPECT_TRUE(an("SELECT 1").show_form.empty());
  EXPECT_TRUE(an("DESCRIBE t").show_form.empty());
}

TEST(StatementAnalyzerTest, DescribeShowsTheNewFields) {
  const std::string s =
      describe(an("SELECT DISTINCT NEXTVAL(s), LASTVAL(s2), DEFAULT(a) FROM t PARTITION (p0, p1) FOR "
                  "SYSTEM_TIME ALL USE INDEX (i, j) IGNORE KEY FOR ORDER BY () FETCH FIRST 1 ROW ONLY"));
  for (const char* part : {"(sequence) (written)", "sequence: NEXTVAL(shop.s) -> table[0] (changes)",
                           "sequence: LASTVAL(shop.s2) -> table[1] (reads)", "partition (p0,p1)",
                           "(for system_time)", "use index (i,j)", "ignore index ()",
                           "default_call: column[0]", "flag: distinct", "flag: has_limit"}) {
    EXPECT_NE(s.find(part), std::string::npos) << part << "\n" << s;
  }
  const std::string sh = describe(an("SHOW FULL COLUMNS FROM t"));
  EXPECT_NE(sh.find("show_form: COLUMNS"), std::string::npos) << sh;
}

}  // namespace
}  // namespace sqlguard::policy
