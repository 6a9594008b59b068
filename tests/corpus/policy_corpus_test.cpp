// Policy corpus: tests/corpus/policy/*.yaml, each case a principal, a statement and the
// expected decision (allow | deny | approve), optionally the deciding rule and a reason fragment.
// Security claims as data: adding a case needs no C++.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "policy/analysis_format.h"
#include "policy/policy_engine.h"
#include "policy/principal_spec.h"
#include "policy/statement_analyzer.h"
#include "server/config.h"

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

class PolicyCorpus : public ::testing::TestWithParam<fs::path> {};

TEST_P(PolicyCorpus, Cases) {
  const fs::path file = GetParam();
  const YAML::Node doc = YAML::LoadFile(file.string());
  const fs::path config_path = file.parent_path() / doc["config"].as<std::string>();
  auto config = server::load_config(config_path);
  ASSERT_TRUE(config.has_value()) << config.error();
  const PolicyEngine engine(config->policy);
  const StatementAnalyzer analyzer;
  const std::string default_schema =
      doc["default_schema"] ? doc["default_schema"].as<std::string>() : "";
  int count = 0;
  for (const auto& c : doc["cases"]) {
    ++count;
    const std::string id = c["id"].as<std::string>();
    const std::string sql = c["sql"].as<std::string>();
    const std::string expect = c["expect"].as<std::string>();
    auto principal = parse_principal_spec(c["as"].as<std::string>());
    ASSERT_TRUE(principal.has_value()) << id << ": " << principal.error();
    const StatementAnalysis a = analyzer.analyze(sql, default_schema);
    const Decision d = engine.decide(*principal, a);
    const std::string context = file.filename().string() + " " + id + "\nsql: " + sql +
                                "\ndecision: " + std::string(to_string(d.action)) + " rule " +
                                d.rule + ": " + d.reason + "\n" + describe(a);
    EXPECT_EQ(std::string(to_string(d.action)), expect) << context;
    if (c["rule"]) {
      EXPECT_EQ(d.rule, c["rule"].as<std::string>()) << context;
    }
    if (c["reason_contains"]) {
      EXPECT_NE(d.reason.find(c["reason_contains"].as<std::string>()), std::string::npos)
          << context;
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
