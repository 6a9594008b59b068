#include "policy/statement_analyzer.h"

#include <gtest/gtest.h>

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
  const auto a = an(
      "SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE "
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
  for (const char* sql :
       {"SELECT 1; DROP TABLE t", "SELECT", "SELECT 1 FROM", "SELECT * FROM t WHERE",
        "FOO", "", "SELECT ?", "SELECT a FROM t FOR SYSTEM_TIME ALL", "BEGIN NOT ATOMIC END",
        "SELECT x.a FROM t", "SELECT _bogus'x'", "SELECT 1 1", "SELECT (1", "SELECT 1)"}) {
    const auto a = an(sql);
    EXPECT_FALSE(a.understood) << sql;
    EXPECT_FALSE(a.reason.empty()) << sql;
  }
  std::string deep = "SELECT " + std::string(500, '(') + "1" + std::string(500, ')');
  const auto d = an(deep);
  EXPECT_FALSE(d.understood);
  EXPECT_NE(d.reason.find("nesting too deep"), std::string::npos) << d.reason;
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

}  // namespace
}  // namespace sqlguard::policy
