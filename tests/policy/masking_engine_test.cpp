// MaskingEngine with hand-built statement analyses (independent of the analyzer) and result sets.
#include "policy/masking_engine.h"
#include "policy/statement_analyzer.h"
#include "tests/mocks/fixed_catalog.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace sqlguard::policy {
namespace {

using test_support::FixedCatalog;

FixedCatalog shop_catalog() {
  FixedCatalog c;
  c.add_table("shop.customers", {"id", "name", "email", "ssn", "salary", "birth_date", "photo"});
  c.add_table("shop.orders", {"id", "customer_id", "total", "card_number"});
  c.add_view("shop.v_customers", "", {"id", "x"});  // definition hidden
  return c;
}

MaskingConfig shop_config() {
  MaskingConfig c;
  c.hash_key = "test-key";
  MaskingRule ssn;
  ssn.id = "pii-ssn";
  ssn.columns = {"shop.customers.ssn"};
  ssn.method = MaskingMethod::kPartial;
  ssn.keep_last = 4;
  ssn.exempt_groups = {"compliance"};
  c.rules.push_back(ssn);
  MaskingRule email;
  email.id = "pii-email";
  email.columns = {"shop.*.email"};
  email.method = MaskingMethod::kHash;
  email.allow = {"where_equality", "join_equality", "count"};
  email.exempt_groups = {"compliance"};
  c.rules.push_back(email);
  MaskingRule money;
  money.id = "pii-money";
  money.columns = {"shop.customers.salary", "shop.customers.birth_date", "shop.customers.photo"};
  money.method = MaskingMethod::kRedact;
  c.rules.push_back(money);
  MaskingRule card;
  card.id = "pci";
  card.column_pattern = "^card_number$";
  card.method = MaskingMethod::kFixed;
  card.value = "****";
  c.rules.push_back(card);
  ValueDetector det;
  det.id = "cards";
  det.kind = "card";
  det.exempt_groups = {"compliance"};
  c.detectors.push_back(det);
  return c;
}

Principal analyst() { return Principal{.subject = "agent", .groups = {"analysts"}}; }
Principal compliance() { return Principal{.subject = "auditor", .groups = {"compliance"}}; }

// A small builder for analyses.
struct A {
  StatementAnalysis a;
  A() {
    a.understood = true;
    a.kind = StatementKind::kSelect;
    a.default_schema = "shop";
    a.outputs_known = true;
  }
  uint32_t table(std::string name, std::string alias = "") {
    TableRef t;
    t.schema = "shop";
    t.table = std::move(name);
    t.alias = std::move(alias);
    a.tables.push_back(t);
    return static_cast<uint32_t>(a.tables.size() - 1);
  }
  uint32_t derived(std::string alias) {
    TableRef t;
    t.table = std::move(alias);
    t.is_derived = true;
    a.tables.push_back(t);
    return static_cast<uint32_t>(a.tables.size() - 1);
  }
  uint32_t col(std::string name, std::vector<uint32_t> cand, uint32_t ctx) {
    ColumnRef r;
    r.column = std::move(name);
    r.candidates = std::move(cand);
    r.contexts = ctx;
    a.columns.push_back(r);
    return static_cast<uint32_t>(a.columns.size() - 1);
  }
  A& out_col(std::string name, uint32_t t, std::string alias = "") {
    OutputColumn o;
    o.shape = OutputColumn::Shape::kColumn;
    o.column = col(std::move(name), {t}, kCtxSelectList);
    o.alias = std::move(alias);
    a.outputs.push_back(o);
    return *this;
  }
  A& out_star(std::vector<uint32_t> tables) {
    OutputColumn o;
    o.shape = OutputColumn::Shape::kStar;
    o.star_tables = tables;
    col("*", tables, kCtxSelectList);
    a.outputs.push_back(o);
    return *this;
  }
  A& out_expr(std::vector<uint32_t> inputs) {
    OutputColumn o;
    o.shape = OutputColumn::Shape::kExpression;
    o.inputs = std::move(inputs);
    a.outputs.push_back(o);
    return *this;
  }
};

common::ResultColumn rc(std::string name, std::string org_name, std::string org_table,
                        std::string schema = "shop",
                        common::ColumnType type = common::ColumnType::kVarString) {
  common::ResultColumn c;
  c.name = std::move(name);
  c.org_name = std::move(org_name);
  c.table = org_table;
  c.org_table = std::move(org_table);
  c.schema = org_table.empty() ? "" : std::move(schema);
  c.type = type;
  c.type_name = type == common::ColumnType::kLong ? "INT" : "VARCHAR";
  return c;
}

class MaskingEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = MaskingEngine::create(shop_config());
    ASSERT_TRUE(e) << e.error().message;
    engine = *e;
  }
  std::shared_ptr<const MaskingEngine> engine;
  FixedCatalog catalog = shop_catalog();
};

TEST_F(MaskingEngineTest, CreateRejectsBadConfigs) {
  auto c = shop_config();
  c.hash_key.clear();
  auto e = MaskingEngine::create(c);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("hash"), std::string::npos);

  c = shop_config();
  c.rules[0].columns = {"customers.ssn"};
  e = MaskingEngine::create(c);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("pii-ssn"), std::string::npos);

  c = shop_config();
  c.rules[3].column_pattern = "(";
  EXPECT_FALSE(MaskingEngine::create(c));

  c = shop_config();
  c.rules[1].allow = {"like"};
  EXPECT_FALSE(MaskingEngine::create(c));

  c = shop_config();
  c.rules[1].hash_length = 4;
  EXPECT_FALSE(MaskingEngine::create(c));
}

TEST_F(MaskingEngineTest, DirectSelectIsPlannedAndMasked) {
  A b;
  auto t = b.table("customers");
  b.out_col("id", t).out_col("ssn", t, "x");
  auto plan = engine->plan(analyst(), b.a, catalog);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_FALSE(plan->bypass);
  EXPECT_TRUE(plan->outputs_exact);
  ASSERT_EQ(plan->output_rules.size(), 2u);
  EXPECT_EQ(plan->output_rules[0], -1);
  EXPECT_EQ(plan->output_rules[1], 0);
  EXPECT_TRUE(error_may_leak(*plan));

  common::ResultSet rs;
  rs.has_result_set = true;
  rs.columns = {rc("id", "id", "customers", "shop", common::ColumnType::kLong), rc("x", "ssn", "customers")};
  rs.rows = {{std::string("1"), std::string("900-11-2233")}, {std::string("2"), std::nullopt}};
  auto rep = engine->apply(analyst(), *plan, rs);
  ASSERT_TRUE(rep) << rep.error().message;
  EXPECT_EQ(rs.rows[0][1], "*******2233");
  EXPECT_FALSE(rs.rows[1][1].has_value());
  EXPECT_TRUE(rs.columns[1].masked);
  EXPECT_EQ(rs.columns[1].masking_rule, "pii-ssn");
  ASSERT_EQ(rep->masked_columns.size(), 1u);
  EXPECT_EQ(rep->masked_columns[0].column, "x");
  EXPECT_EQ(rep->masked_columns[0].method, "partial");
  EXPECT_EQ(rep->cells_masked, 1u);
}

TEST_F(MaskingEngineTest, IntColumnBecomesStringColumn) {
  A b;
  auto t = b.table("customers");
  b.out_col("salary", t);
  auto plan = engine->plan(analyst(), b.a, catalog);
  ASSERT_TRUE(plan);
  common::ResultSet rs;
  rs.has_result_set = true;
  rs.columns = {rc("salary", "salary", "customers", "shop", common::ColumnType::kLong)};
  rs.columns[0].flags = 32768 | 32;
  rs.columns[0].charset = 63;
  rs.rows = {{std::string("123456")}};
  ASSERT_TRUE(engine->apply(analyst(), *plan, rs));
  EXPECT_EQ(rs.rows[0][0], "[REDACTED]");
  EXPECT_EQ(rs.columns[0].type, common::ColumnType::kVarString);
  EXPECT_EQ(rs.columns[0].type_name, "VARCHAR (masked)");
  EXPECT_EQ(rs.columns[0].flags, 0u);
}

TEST_F(MaskingEngineTest, StarExpandedThroughCatalog) {
  A b;
  auto t = b.table("customers");
  b.out_star({t});
  auto plan = engine->plan(analyst(), b.a, catalog);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_TRUE(plan->outputs_exact);
  EXPECT_EQ(plan->output_rules, (std::vector<int>{-1, -1, 1, 0, 2, 2, 2}));
}

TEST_F(MaskingEngineTest, StarWithUnknownTableRefused) {
  A b;
  auto t = b.table("customers");
  b.out_star({t});
  catalog.objects.erase("shop.customers");
  auto plan = engine->plan(analyst(), b.a, catalog);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("could not be looked up"), std::string::npos);
}

TEST_F(MaskingEngineTest, FunctionOverMaskedColumnRefusedNamingColumnAndRule) {
  A b;
  auto t = b.table("customers");
  auto c = b.col("ssn", {t}, kCtxSelectList | kCtxExpression);
  b.out_expr({c});
  auto plan = engine->plan(analyst(), b.a, catalog);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, common::ErrorCode::kRefused);
  EXPECT_NE(plan.error().message.find("shop.customers.ssn"), std::string::npos) << plan.error().message;
  EXPECT_NE(plan.error().message.find("pii-ssn"), std::string::npos);
  EXPECT_NE(plan.error().message.find("function or expression"), std::string::npos);
}

TEST_F(MaskingEngineTest, EveryNonDirectContextRefused) {
  for (uint32_t ctx : std::initializer_list<uint32_t>{
           kCtxWhere, kCtxJoin, kCtxGroupBy, kCtxHaving, kCtxOrderBy, kCtxWindow,
           kCtxSubquery | kCtxSelectList, kCtxUnion | kCtxSelectList, kCtxCte | kCtxSelectList,
           kCtxDerivedTable | kCtxSelectList, kCtxInto | kCtxSelectList, kCtxVariable}) {
    A b;
    auto t = b.table("customers");
    b.out_col("id", t);
    b.col("ssn", {t}, ctx);
    auto plan = engine->plan(analyst(), b.a, catalog);
    EXPECT_FALSE(plan) << "context " << ctx;
  }
}

TEST_F(MaskingEngineTest, SelectListRefThatIsNotAnOutputColumnRefused) {
  // The analyzer said "select list" only, but the output is an expression: still refused.
  A b;
  auto t = b.table("customers");
  auto c = b.col("ssn", {t}, kCtxSelectList);
  b.out_expr({c});
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
}

TEST_F(MaskingEngineTest, AmbiguousReferenceCountsForEachCandidate) {
  A b;
  auto o = b.table("orders");
  auto c = b.table("customers");
  b.out_col("id", o);
  b.col("ssn", {o, c}, kCtxWhere);
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
}

TEST_F(MaskingEngineTest, StarInsideSubqueryOverMaskedTableRefused) {
  A b;
  auto d = b.derived("x");
  auto c = b.table("customers");
  b.col("*", {c}, kCtxSelectList | kCtxDerivedTable);
  b.out_star({d});
  auto plan = engine->plan(analyst(), b.a, catalog);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("`*`"), std::string::npos) << plan.error().message;
}

TEST_F(MaskingEngineTest, StarOverDerivedOfCleanColumnsAllowed) {
  A b;
  auto d = b.derived("x");
  auto c = b.table("customers");
  b.col("name", {c}, kCtxSelectList | kCtxDerivedTable);
  b.out_star({d});
  auto plan = engine->plan(analyst(), b.a, catalog);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_FALSE(plan->outputs_exact);
}

TEST_F(MaskingEngineTest, CountStarAllowed) {
  A b;
  auto c = b.table("customers");
  auto s = b.col("*", {c}, kCtxExpression | kCtxSelectList);
  b.out_expr({s});
  EXPECT_TRUE(engine->plan(analyst(), b.a, catalog));
}

TEST_F(MaskingEngineTest, NotUnderstoodRefused) {
  A b;
  b.a.understood = false;
  b.a.reason = "multiple statements";
  auto plan = engine->plan(analyst(), b.a, catalog);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("multiple statements"), std::string::npos);
}

TEST_F(MaskingEngineTest, OutputsUnknownWithMaskedTableRefused) {
  // A top-level `*` over a table with masked columns, outputs unknown: refused.
  A b;
  auto t = b.table("customers");
  b.col("*", {t}, kCtxSelectList);
  b.a.outputs_known = false;
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
  // Only clean columns referenced (e.g. a UNION of clean columns): the metadata decides.
  A b2;
  auto c = b2.table("customers");
  b2.col("name", {c}, kCtxSelectList | kCtxUnion);
  b2.a.outputs_known = false;
  auto plan = engine->plan(analyst(), b2.a, catalog);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_FALSE(plan->outputs_exact);
  EXPECT_TRUE(plan->sensitive);
}

TEST_F(MaskingEngineTest, UserVariablesAndIntoRefused) {
  A b;
  auto t = b.table("customers");
  b.out_col("ssn", t);
  b.a.user_variables = true;
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
  b.a.user_variables = false;
  b.a.into_variable = true;
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
}

TEST_F(MaskingEngineTest, ViewsRefused) {
  A b;
  auto t = b.table("v_customers");
  b.out_col("x", t);
  auto plan = engine->plan(analyst(), b.a, catalog);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("view"), std::string::npos);
  // Exempt from every rule: nothing to protect.
  Principal all_exempt{.subject = "root", .groups = {"compliance"}};
  auto c = shop_config();
  c.rules[2].exempt_groups = {"compliance"};
  c.rules[3].exempt_groups = {"compliance"};
  auto e = MaskingEngine::create(c);
  ASSERT_TRUE(e);
  auto p2 = (*e)->plan(all_exempt, b.a, catalog);
  ASSERT_TRUE(p2);
  EXPECT_TRUE(p2->bypass);
}

TEST_F(MaskingEngineTest, StoredFunctionsRefused) {
  A b;
  auto t = b.table("customers");
  auto c = b.col("id", {t}, kCtxSelectList | kCtxExpression);
  b.out_expr({c});
  b.a.functions = {"shop_secret_of"};
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
  b.a.functions = {"upper"};
  EXPECT_TRUE(engine->plan(analyst(), b.a, catalog));
}

TEST_F(MaskingEngineTest, OpaqueKindsRefused) {
  A b;
  b.a.kind = StatementKind::kPrepare;
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
  b.a.kind = StatementKind::kCall;
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
}

TEST_F(MaskingEngineTest, WriteTargetsAllowedCopiesRefused) {
  A b;
  b.a.kind = StatementKind::kUpdate;
  b.a.writes_data = true;
  b.a.outputs_known = false;
  auto t = b.table("customers");
  b.a.tables[t].written = true;
  b.col("ssn", {t}, kCtxAssignment);
  b.col("id", {t}, kCtxWhere);
  b.a.digest_text = "UPDATE customers SET ssn = ? WHERE id = ?";
  auto plan = engine->plan(analyst(), b.a, catalog);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_TRUE(error_may_leak(*plan));
  // The analyzer marks both sides of SET as assignment: a masked value read is refused.
  b.a.digest_text = "UPDATE customers SET name = ssn WHERE id = ?";
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
  b.a.digest_text = "INSERT INTO customers (id, ssn) VALUES (?, ?)";
  EXPECT_TRUE(engine->plan(analyst(), b.a, catalog));

  A c;
  c.a.kind = StatementKind::kInsert;
  c.a.writes_data = true;
  c.a.outputs_known = false;
  auto o = c.table("orders");
  auto s = c.table("customers");
  c.a.tables[o].written = true;
  c.col("ssn", {s}, kCtxSelectList);
  EXPECT_FALSE(engine->plan(analyst(), c.a, catalog));
}

TEST_F(MaskingEngineTest, WhereEqualityRelaxationVerifiedOnDigest) {
  A b;
  auto t = b.table("customers");
  b.out_col("id", t);
  b.col("email", {t}, kCtxWhere | kCtxExpression);
  b.a.digest_text = "SELECT id FROM customers WHERE email = ?";
  EXPECT_TRUE(engine->plan(analyst(), b.a, catalog));
  b.a.digest_text = "SELECT id FROM customers WHERE email IN (?, ?) AND id > ?";
  EXPECT_TRUE(engine->plan(analyst(), b.a, catalog));
  b.a.digest_text = "SELECT id FROM customers WHERE email LIKE ?";
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
  b.a.digest_text = "SELECT id FROM customers WHERE LOWER(email) = ?";
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
  b.a.digest_text = "SELECT id FROM customers WHERE email = ? + ?";
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
  b.a.digest_text = "";
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
  // ssn has no relaxation.
  A c;
  auto u = c.table("customers");
  c.out_col("id", u);
  c.col("ssn", {u}, kCtxWhere | kCtxExpression);
  c.a.digest_text = "SELECT id FROM customers WHERE ssn = ?";
  EXPECT_FALSE(engine->plan(analyst(), c.a, catalog));
}

TEST_F(MaskingEngineTest, CountRelaxation) {
  A b;
  auto t = b.table("customers");
  auto c = b.col("email", {t}, kCtxSelectList | kCtxExpression);
  b.out_expr({c});
  b.a.digest_text = "SELECT COUNT(DISTINCT email) FROM customers";
  EXPECT_TRUE(engine->plan(analyst(), b.a, catalog));
  b.a.digest_text = "SELECT COUNT(CASE WHEN email LIKE ? THEN ? END) FROM customers";
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
  b.a.digest_text = "SELECT MAX(email) FROM customers";
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
}

TEST_F(MaskingEngineTest, AliasOfMaskedColumnInOrderByRefused) {
  A b;
  auto t = b.table("customers");
  b.out_col("ssn", t, "x");
  b.col("x", {t}, kCtxOrderBy);
  b.a.digest_text = "SELECT ssn AS x FROM customers ORDER BY x";
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
}

TEST_F(MaskingEngineTest, PositionalOrderByOverMaskedOutputRefused) {
  A b;
  auto t = b.table("customers");
  b.out_col("id", t).out_col("ssn", t);
  b.a.digest_text = "SELECT id, ssn FROM customers ORDER BY ?";
  EXPECT_FALSE(engine->plan(analyst(), b.a, catalog));
  b.a.digest_text = "SELECT id, ssn FROM customers ORDER BY id";
  EXPECT_TRUE(engine->plan(analyst(), b.a, catalog));
}

TEST_F(MaskingEngineTest, ExemptPrincipalSeesClearValuesAndExemptionIsReported) {
  A b;
  auto t = b.table("customers");
  b.out_col("ssn", t).out_col("email", t);
  auto plan = engine->plan(compliance(), b.a, catalog);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_NE(std::find(plan->exemptions_used.begin(), plan->exemptions_used.end(), "pii-ssn"),
            plan->exemptions_used.end());
  common::ResultSet rs;
  rs.has_result_set = true;
  rs.columns = {rc("ssn", "ssn", "customers"), rc("email", "email", "customers")};
  rs.rows = {{std::string("900-11-2233"), std::string("a@b.example")}};
  auto rep = engine->apply(compliance(), *plan, rs);
  ASSERT_TRUE(rep);
  EXPECT_EQ(rs.rows[0][0], "900-11-2233");
  EXPECT_EQ(rs.rows[0][1], "a@b.example");
  EXPECT_EQ(rep->exemptions_used.size(), 2u);
}

TEST_F(MaskingEngineTest, ApplyMasksByMetadataEvenWhenPlanMissedIt) {
  MaskingPlan plan;  // as if the plan had nothing
  common::ResultSet rs;
  rs.has_result_set = true;
  rs.columns = {rc("whatever", "ssn", "customers")};
  rs.rows = {{std::string("900-11-2233")}};
  ASSERT_TRUE(engine->apply(analyst(), plan, rs));
  EXPECT_EQ(rs.rows[0][0], "*******2233");
}

TEST_F(MaskingEngineTest, ApplyEmptyTableStillMatchesByColumnName) {
  // UNION metadata: schema/table empty, org_name present (MaxScale semantics).
  MaskingPlan plan;
  common::ResultSet rs;
  rs.has_result_set = true;
  rs.columns = {rc("ssn", "ssn", "", "")};
  rs.rows = {{std::string("900-11-2233")}};
  ASSERT_TRUE(engine->apply(analyst(), plan, rs));
  EXPECT_EQ(rs.rows[0][0], "*******2233");
}

TEST_F(MaskingEngineTest, ApplyEmptyOriginUsesPlan) {
  MaskingPlan plan;
  plan.output_rules = {0};
  plan.outputs_exact = false;
  common::ResultSet rs;
  rs.has_result_set = true;
  rs.columns = {rc("ssn", "", "")};
  rs.rows = {{std::string("900-11-2233")}};
  ASSERT_TRUE(engine->apply(analyst(), plan, rs));
  EXPECT_EQ(rs.rows[0][0], "*******2233");
}

TEST_F(MaskingEngineTest, ApplyColumnCountMismatchFailsClosed) {
  MaskingPlan plan;
  plan.output_rules = {-1};
  plan.outputs_exact = true;
  plan.sensitive = true;
  common::ResultSet rs;
  rs.has_result_set = true;
  rs.columns = {rc("id", "id", "customers"), rc("x", "", "")};
  rs.rows = {{std::string("1"), std::string("900-11-2233")}};
  EXPECT_FALSE(engine->apply(analyst(), plan, rs));
}

TEST_F(MaskingEngineTest, DetectorsRunOnEveryCellUnlessExempt) {
  A b;
  auto t = b.table("orders");
  b.out_col("id", t);
  auto plan = engine->plan(analyst(), b.a, catalog);
  ASSERT_TRUE(plan);
  common::ResultSet rs;
  rs.has_result_set = true;
  rs.columns = {rc("note", "", "")};
  rs.rows = {{std::string("paid with 4111 1111 1111 1111")}};
  common::ResultSet copy = rs;
  auto rep = engine->apply(analyst(), *plan, rs);
  ASSERT_TRUE(rep);
  EXPECT_EQ(rs.rows[0][0], "paid with [REDACTED]");
  EXPECT_EQ(rep->detector_hits, 1u);
  auto plan2 = engine->plan(compliance(), b.a, catalog);
  ASSERT_TRUE(plan2);
  ASSERT_TRUE(engine->apply(compliance(), *plan2, copy));
  EXPECT_EQ(copy.rows[0][0], "paid with 4111 1111 1111 1111");
}

TEST_F(MaskingEngineTest, RuleForHonoursExemptions) {
  auto m = engine->rule_for(analyst(), "shop", "customers", "SSN");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->rule, "pii-ssn");
  EXPECT_EQ(m->method, "partial");
  EXPECT_EQ(m->column, "shop.customers.SSN");
  EXPECT_FALSE(engine->rule_for(compliance(), "shop", "customers", "ssn"));
  EXPECT_FALSE(engine->rule_for(analyst(), "shop", "customers", "name"));
  auto p = engine->rule_for(analyst(), "crm", "leads", "card_number");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->rule, "pci");
}

TEST_F(MaskingEngineTest, ErrorMessagesWithheldWhenMaskedColumnsTouched) {
  A b;
  b.a.kind = StatementKind::kUpdate;
  b.a.writes_data = true;
  b.a.outputs_known = false;
  auto t = b.table("customers");
  b.col("id", {t}, kCtxWhere);
  auto plan = engine->plan(analyst(), b.a, catalog);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(error_may_leak(*plan));
  auto msg = engine->sanitize_error_message(analyst(), *plan, 1062, "23000",
                                            "Duplicate entry '900-11-2233' for key 'ssn'");
  EXPECT_EQ(msg.find("900-11-2233"), std::string::npos);
  EXPECT_NE(msg.find("1062"), std::string::npos);
  MaskingPlan clean;
  auto msg2 =
      engine->sanitize_error_message(analyst(), clean, 1064, "42000", "syntax error near '4111111111111111'");
  EXPECT_EQ(msg2.find("4111111111111111"), std::string::npos);
}

// DESCRIBE of a table with masked columns: the schema's words about their values are masked.
TEST_F(MaskingEngineTest, DescribeMasksDefaultsCommentsAndEnumListsOfMaskedColumns) {
  const StatementAnalyzer analyzer;
  auto a = analyzer.analyze("DESCRIBE customers", "shop");
  ASSERT_TRUE(a.understood) << a.reason;
  auto plan = engine->plan(analyst(), a, catalog);
  ASSERT_TRUE(plan) << plan.error().message;
  common::ResultSet rs;
  rs.has_result_set = true;
  for (const char* n : {"Field", "Type", "Null", "Key", "Default", "Extra", "Comment"})
    rs.columns.push_back(rc(n, n, ""));
  rs.rows.push_back({"id", "int(11)", "NO", "PRI", std::nullopt, "", ""});
  rs.rows.push_back({"ssn", "enum('900-11-2233','x')", "YES", "", "'900-11-2233'", "", "e.g. 900-11-2233"});
  rs.rows.push_back({"name", "varchar(10)", "YES", "", "'n/a'", "", "a name"});
  auto rep = engine->apply(analyst(), *plan, rs);
  ASSERT_TRUE(rep) << rep.error().message;
  EXPECT_EQ(rs.rows[1][1], "enum(masked)");
  EXPECT_EQ(rs.rows[1][4], "(masked)");
  EXPECT_EQ(rs.rows[1][6], "(masked)");
  EXPECT_EQ(rs.rows[2][4], "'n/a'");  // not a masked column
  EXPECT_EQ(rs.rows[0][4], std::nullopt);
  bool ssn = false;
  for (const auto& m : rep->masked_columns)
    ssn = ssn || (m.column == "ssn" && m.rule == "pii-ssn" && m.method == "metadata");
  EXPECT_TRUE(ssn);
  // A listing without a Field column cannot be checked: withheld.
  common::ResultSet odd;
  odd.has_result_set = true;
  odd.columns.push_back(rc("Something", "Something", ""));
  odd.rows.push_back({"900-11-2233"});
  EXPECT_FALSE(engine->apply(analyst(), *plan, odd));
  // SHOW CREATE TABLE of the same table is refused: its text cannot be masked.
  auto show = analyzer.analyze("SHOW CREATE TABLE customers", "shop");
  auto refused = engine->plan(analyst(), show, catalog);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("masked column"), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace sqlguard::policy
