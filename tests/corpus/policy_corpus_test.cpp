// Policy corpus: tests/corpus/policy/*.yaml, each case a principal, a statement and the
// expected decision (allow | deny | approve), optionally the deciding rule and a reason fragment.
// Security claims as data: adding a case needs no C++.
//
// A file may describe the database catalog its cases run against (views, sequences, column
// defaults); the analysis is then resolved against it as the guard does (resolve_with_catalog)
// before the policy decides:
//   catalog:
//     shop.v_staff: {view: "select `hr`.`staff`.`id` AS `id` from `hr`.`staff`", columns: [id]}
//     shop.seq: {sequence: true}
//     shop.tickets: {columns: [id, subject], defaults: {id: "nextval(`shop`.`seq`)"}}
// Names not listed are unknown (treated as base tables, as the guard does for names the database
// does not know).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "policy/analysis_format.h"
#include "policy/catalog_resolution.h"
#include "policy/policy_engine.h"
#include "policy/principal_spec.h"
#include "policy/session_effects.h"
#include "policy/statement_analyzer.h"
#include "server/config/config.h"
#include "tests/corpus/corpus_format.h"
#include "tests/mocks/fixed_catalog.h"

namespace sqlguard::policy {
namespace {

namespace fs = std::filesystem;

fs::path corpus_dir() {
  const char* env = std::getenv("SQLGUARD_SOURCE_DIR");
#ifdef SQLGUARD_SOURCE_DIR
  const fs::path root = env != nullptr ? fs::path(env) : fs::path(SQLGUARD_SOURCE_DIR);
#else
  const fs::path root = env != nullptr ? fs::path(env) : fs::path(".");
#endif
  return root / "tests" / "corpus" / "policy";
}

std::vector<fs::path> corpus_files() {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(corpus_dir(), ec)) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Reads the file's `catalog:` map; an error names the entry.
common::Result<test_support::FixedCatalog> read_catalog(const YAML::Node& n) {
  test_support::FixedCatalog c;
  if (!n) return c;
  if (!n.IsMap())
    return common::fail(common::ErrorCode::kInvalidInput, "catalog: expected a map of schema.name entries");
  for (const auto& kv : n) {
    const std::string name = kv.first.as<std::string>();
    const YAML::Node& e = kv.second;
    if (!e.IsMap())
      return common::fail(common::ErrorCode::kInvalidInput, "catalog." + name + ": expected a map");
    for (const auto& f : e) {
      const std::string key = f.first.as<std::string>();
      if (key != "view" && key != "columns" && key != "sequence" && key != "defaults") {
        return common::fail(common::ErrorCode::kInvalidInput,
                            "catalog." + name + ": unknown key '" + key + "'");
      }
    }
    CatalogTable t;
    if (e["view"]) {
      t.type = CatalogTable::Type::kView;
      t.view_definition = e["view"].as<std::string>();
    }
    if (e["sequence"] && e["sequence"].as<bool>()) t.type = CatalogTable::Type::kSequence;
    if (e["columns"]) {
      for (const auto& col : e["columns"])
        t.columns.push_back(CatalogColumn{col.as<std::string>(), false, std::nullopt});
    }
    if (e["defaults"]) {
      for (const auto& d : e["defaults"]) {
        const std::string col = d.first.as<std::string>();
        CatalogColumn* target = nullptr;
        for (auto& c2 : t.columns) {
          if (c2.name == col) target = &c2;
        }
        if (target == nullptr)
          return common::fail(common::ErrorCode::kInvalidInput,
                              "catalog." + name + ".defaults: no column " + col);
        target->default_expression = d.second.as<std::string>();
      }
    }
    c.objects[name] = std::move(t);
  }
  return c;
}

class PolicyCorpus : public ::testing::TestWithParam<fs::path> {};

TEST_P(PolicyCorpus, Cases) {
  const fs::path file = GetParam();
  const YAML::Node doc = YAML::LoadFile(file.string());
  const auto format_problems = corpus::check_document(doc, corpus::policy_format());
  for (const auto& p : format_problems) ADD_FAILURE() << file.filename().string() << ": " << p;
  ASSERT_TRUE(format_problems.empty());
  const fs::path config_path = file.parent_path() / doc["config"].as<std::string>();
  auto config = server::load_config(config_path);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  const PolicyEngine engine(config->policy);
  const StatementAnalyzer analyzer;
  const std::string default_schema = doc["default_schema"] ? doc["default_schema"].as<std::string>() : "";
  auto catalog = read_catalog(doc["catalog"]);
  ASSERT_TRUE(catalog.has_value()) << file << ": " << catalog.error().message;
  int count = 0;
  for (const auto& c : doc["cases"]) {
    ++count;
    const std::string id = c["id"].as<std::string>();
    const std::string sql = c["sql"].as<std::string>();
    const std::string expect = c["expect"].as<std::string>();
    auto principal = parse_principal_spec(c["as"].as<std::string>());
    ASSERT_TRUE(principal.has_value()) << id << ": " << principal.error().message;
    StatementAnalysis a = analyzer.analyze(sql, default_schema);
    Decision d;
    if (auto r = resolve_with_catalog(a, *catalog, analyzer); !r) {
      // The guard refuses a statement whose catalog facts cannot be established.
      d.action = Action::kDeny;
      d.rule = "builtin:catalog";
      d.reason = "statement refused: " + r.error().message;
      const Decision unresolved = engine.decide(*principal, a);
      if (unresolved.action == Action::kDeny) d = unresolved;
    } else {
      d = engine.decide(*principal, a);
    }
    const std::string context = file.filename().string() + " " + id + "\nsql: " + sql +
                                "\ndecision: " + std::string(to_string(d.action)) + " rule " + d.rule + ": " +
                                d.reason + "\n" + describe(a);
    EXPECT_EQ(std::string(to_string(d.action)), expect) << context;
    if (c["rule"]) {
      EXPECT_EQ(d.rule, c["rule"].as<std::string>()) << context;
    }
    if (c["reason_contains"]) {
      EXPECT_NE(d.reason.find(c["reason_contains"].as<std::string>()), std::string::npos) << context;
    }
    if (c["session"]) {
      const std::string want = c["session"].as<std::string>();
      EXPECT_TRUE(corpus::session_values().contains(want)) << context << "\nunknown session value " << want;
      const SessionEffects e = session_effects(a);
      const std::string got = e.leaves_session_unchanged && e.ignores_session_residue ? "keep"
                              : e.ignores_session_residue                             ? "reset_after"
                              : e.leaves_session_unchanged                            ? "reset_before"
                                                                                      : "reset_both";
      EXPECT_EQ(got, want) << context << "\nsession effects";
    }
  }
  EXPECT_GT(count, 0) << file;
}

INSTANTIATE_TEST_SUITE_P(Files, PolicyCorpus, ::testing::ValuesIn(corpus_files()),
                         [](const ::testing::TestParamInfo<fs::path>& file_info) {
                           std::string n = file_info.param.stem().string();
                           for (auto& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace sqlguard::policy
