// libFuzzer target: the SQL lexer and statement analyser on arbitrary bytes (the agent controls
// run_sql's `sql` argument completely). Checks the contracts of policy/sql_lexer.h and
// policy/statement_analyzer.h beyond "no crash": token ranges lie inside the input, a lexed
// input ends with kEnd, and the analyser never claims to understand input the lexer rejects.
// The understood analysis then goes through the catalog step and the masking planner against a
// fixed catalog in which every name `v...` is a view whose definition is the input itself
// (views inside views, to the depth limit) and every other name a table with a masked,
// indexed partitioning column: neither may crash, hang or leak on any input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <memory>
#include <string>

#include "common/error.h"
#include "policy/catalog_resolution.h"
#include "policy/masking_engine.h"
#include "policy/sql_lexer.h"
#include "policy/statement_analyzer.h"

namespace {

class FuzzCatalog final : public sqlguard::policy::Catalog {
 public:
  explicit FuzzCatalog(std::string definition) : definition_(std::move(definition)) {}
  sqlguard::common::Result<sqlguard::policy::CatalogEntry> table(std::string_view,
                                                                 std::string_view name) const override {
    using namespace sqlguard::policy;
    auto t = std::make_shared<CatalogTable>();
    if (!name.empty() && (name[0] == 'v' || name[0] == 'V')) {
      t->type = CatalogTable::Type::kView;
      t->view_definition = definition_;
      t->columns = {{"a", false, std::nullopt}, {"b", false, std::nullopt}};
      return t;
    }
    if (!name.empty() && (name[0] == 'x' || name[0] == 'X')) return CatalogEntry{};
    t->columns = {{"id", false, std::nullopt},
                  {"ssn", false, std::string("nextval(`shop`.`s`)")},
                  {"h", true, std::nullopt}};
    t->indexes = {{"PRIMARY", {"id"}}, {"i_ssn", {"ssn"}}};
    t->partition_expressions = {"`ssn`", ""};
    return t;
  }

 private:
  std::string definition_;
};

const sqlguard::policy::MaskingEngine& engine() {
  using namespace sqlguard::policy;
  static const std::shared_ptr<const MaskingEngine> e = [] {
    MaskingConfig c;
    MaskingRule r;
    r.id = "ssn";
    r.columns = {"*.*.ssn"};
    r.method = MaskingMethod::kRedact;
    c.rules.push_back(r);
    auto created = MaskingEngine::create(c);
    if (!created) std::abort();
    return *created;
  }();
  return *e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sqlguard::policy;
  const std::string_view sql(reinterpret_cast<const char*>(data), size);

  LexResult lexed;
  lex_sql(sql, lexed);
  if (lexed.ok) {
    if (lexed.tokens.empty() || lexed.tokens.back().type != TokenType::kEnd) std::abort();
    for (const Token& t : lexed.tokens) {
      if (t.begin > t.end || t.end > size) std::abort();
      if (t.type == TokenType::kWord || t.type == TokenType::kQuotedIdent) {
        (void)identifier_text(sql, t);
      } else if (t.type == TokenType::kString || t.type == TokenType::kNationalString) {
        (void)string_value(sql, t);
      }
    }
  }

  static const StatementAnalyzer analyzer;
  const StatementAnalysis analysis = analyzer.analyze(sql, "shop");
  // Fail closed: what the lexer cannot tokenise can never be understood.
  if (!lexed.ok && analysis.understood && size <= (1u << 20)) std::abort();
  if (!analysis.understood) return 0;

  const FuzzCatalog catalog{std::string(sql)};
  StatementAnalysis resolved = analysis;
  if (!resolve_with_catalog(resolved, catalog, analyzer)) return 0;
  const Principal agent{.subject = "agent", .groups = {"analysts"}};
  (void)engine().plan(agent, resolved, catalog);
  return 0;
}
