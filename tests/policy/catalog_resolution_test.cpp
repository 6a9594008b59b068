// resolve_with_catalog(): views expanded from their definitions, sequences behind defaults, and
// the failures that must refuse (hidden or unparsable definitions, lookups that fail, loops).
#include "policy/catalog_resolution.h"

#include <gtest/gtest.h>

#include <map>

#include "policy/statement_analyzer.h"
#include "tests/mocks/fixed_catalog.h"

namespace sqlguard::policy {
namespace {

using MapCatalog = test_support::FixedCatalog;

class CatalogResolutionTest : public ::testing::Test {
 protected:
  StatementAnalyzer analyzer;
  MapCatalog catalog;
  StatementAnalysis resolve(const std::string& sql, std::string* error = nullptr) {
    StatementAnalysis a = analyzer.analyze(sql, "shop");
    auto r = resolve_with_catalog(a, catalog, analyzer);
    if (error) *error = r ? "" : r.error().message;
    return a;
  }
};

TEST_F(CatalogResolutionTest, ExpandsViewsRecursivelyWithTheViewsSchemaAsDefault) {
  catalog.add_view("shop.v_outer", "select `v_inner`.`id` AS `id` from `v_inner`", {"id"});
  catalog.add_view("shop.v_inner", "select `hr`.`staff`.`id` AS `id` from `hr`.`staff`", {"id"});
  std::string err;
  const auto a = resolve("SELECT id FROM v_outer", &err);
  ASSERT_EQ(err, "");
  ASSERT_TRUE(a.catalog_resolved);
  ASSERT_EQ(a.views.size(), 1u);
  EXPECT_TRUE(a.tables[0].is_view);
  const auto& outer = *a.views[0].definition;
  EXPECT_EQ(a.views[0].columns, std::vector<std::string>{"id"});
  ASSERT_EQ(outer.views.size(), 1u);
  EXPECT_EQ(outer.tables[0].schema, "shop");  // unqualified name in the definition: the view's schema
  const auto& inner = *outer.views[0].definition;
  EXPECT_EQ(inner.tables[0].schema, "hr");
  EXPECT_EQ(inner.tables[0].table, "staff");
}

TEST_F(CatalogResolutionTest, RefusesWhatCannotBeChecked) {
  std::string err;
  catalog.add_view("shop.v_hidden", "", {"id"});
  resolve("SELECT * FROM v_hidden", &err);
  EXPECT_NE(err.find("SHOW VIEW"), std::string::npos) << err;
  catalog.add_view("shop.v_bad", "select 1; drop table t", {"x"});
  resolve("SELECT * FROM v_bad", &err);
  EXPECT_NE(err.find("could not be analysed"), std::string::npos) << err;
  catalog.add_view("shop.a", "select `shop`.`b`.`x` AS `x` from `shop`.`b`", {"x"});
  catalog.add_view("shop.b", "select `shop`.`a`.`x` AS `x` from `shop`.`a`", {"x"});
  resolve("SELECT x FROM a", &err);
  EXPECT_NE(err.find("nested more than"), std::string::npos) << err;
  catalog.fail = true;
  resolve("SELECT 1 FROM orders", &err);
  EXPECT_NE(err.find("connection refused"), std::string::npos) << err;
}

TEST_F(CatalogResolutionTest, UnknownNamesAndStatementsWithoutTablesNeedNoView) {
  std::string err;
  const auto a = resolve("SELECT id FROM orders o JOIN customers c ON c.id = o.id", &err);
  EXPECT_EQ(err, "");
  EXPECT_TRUE(a.views.empty());
  catalog.lookups = 0;
  resolve("SELECT 1 + 1", &err);
  EXPECT_EQ(catalog.lookups, 0);
  // CTEs, derived tables and system schemas are not looked up.
  resolve("WITH x AS (SELECT 1 AS a) SELECT a FROM x JOIN (SELECT 2 AS b) d JOIN information_schema.TABLES",
          &err);
  EXPECT_EQ(catalog.lookups, 0);
}

TEST_F(CatalogResolutionTest, DefaultOfASequenceDefaultedColumnIsASequenceChange) {
  CatalogTable t;
  t.columns.push_back(CatalogColumn{"id", false, std::string("nextval(`shop`.`seq`)")});
  t.columns.push_back(CatalogColumn{"subject", false, std::string("'none'")});
  catalog.objects["shop.tickets"] = t;
  std::string err;
  auto a = resolve("SELECT DEFAULT(id) FROM tickets", &err);
  ASSERT_EQ(err, "");
  ASSERT_EQ(a.sequences.size(), 1u);
  EXPECT_TRUE(a.sequences[0].changes);
  EXPECT_TRUE(a.writes_data);
  EXPECT_NE(a.sequences[0].form.find("DEFAULT(shop.tickets.id)"), std::string::npos) << a.sequences[0].form;
  const auto& seq = a.tables[a.sequences[0].table];
  EXPECT_EQ(seq.schema + "." + seq.table, "shop.seq");
  EXPECT_TRUE(seq.written);
  a = resolve("SELECT DEFAULT(subject) FROM tickets", &err);
  EXPECT_TRUE(a.sequences.empty());
  EXPECT_FALSE(a.writes_data);
}

}  // namespace
}  // namespace sqlguard::policy
