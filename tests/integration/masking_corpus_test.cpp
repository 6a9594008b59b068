// Masking corpus: tests/corpus/masking/*.yaml against a real MariaDB seeded with fake PII
// (tests/corpus/masking-seed.sql). Each case is one Guard::run_sql, the call every tool makes:
// the guard's catalog cache over information_schema, policy, masking plan, the pool's connection
// of the agent account, masking, and a real audit log. The bytes sent back (result or refusal/
// error message) are searched for every seeded secret value. The file format is checked first
// (tests/corpus/corpus_format.h).
//
// Case fields: id, as (principal spec), sql, expect (masked | refused | clear),
//   masked_columns (labels that must be masked), reason_contains (refusal text), by: policy
//   (refusal may come from the policy instead of masking), alternatives (other accepted
//   outcomes), contains (strings the reply must contain), lacks (strings it must not contain,
//   such as the name of a table the principal may not read), visible (secrets this principal may
//   see, or "all"), exemptions (rule ids that must be reported as used), type_name.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "db/connection_pool.h"
#include "guard/catalog_cache.h"
#include "guard/guard.h"
#include "policy/analysis_format.h"
#include "policy/catalog_resolution.h"
#include "policy/masking_engine.h"
#include "policy/policy_engine.h"
#include "policy/principal_spec.h"
#include "policy/statement_analyzer.h"
#include "recorder/audit_log.h"
#include "recorder/audit_verify.h"
#include "server/config/config.h"
#include "tests/corpus/corpus_format.h"
#include "tests/integration/mariadb_fixture.h"

namespace sqlguard::testing {
namespace {

namespace fs = std::filesystem;
using common::ResultSet;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Secrets listed in the seed's header comment between "-- secrets:" and "-- end secrets".
std::vector<std::string> seed_secrets(const std::string& seed) {
  std::vector<std::string> out;
  std::istringstream in(seed);
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("-- secrets:", 0) == 0) {
      inside = true;
      continue;
    }
    if (line.rfind("-- end secrets", 0) == 0) break;
    if (inside && line.rfind("--   ", 0) == 0) out.push_back(line.substr(5));
  }
  return out;
}

// What the agent would receive, as bytes: labels, types and cells, or the message.
std::string serialize(const common::ResultSet& rs) {
  std::string out;
  for (const auto& c : rs.columns)
    out += c.name + "\t" + c.type_name + "\t" + (c.masked ? "masked" : "") + "\n";
  for (const auto& row : rs.rows) {
    for (const auto& cell : row) out += (cell ? *cell : std::string("NULL")) + "\t";
    out += "\n";
  }
  return out;
}

std::vector<std::string> strings(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n && n.IsSequence()) {
    for (const auto& v : n) out.push_back(v.as<std::string>());
  }
  return out;
}

struct Totals {
  int cases = 0;
  int passed = 0;
  std::map<std::string, int> by_expect;
};

TEST(MaskingCorpus, AllCasesAgainstMariaDb) {
  auto& db = MariaDbFixture::instance();
  const fs::path root = source_dir();
  const std::string seed = read_file(root / "tests/corpus/masking-seed.sql");
  const auto secrets = seed_secrets(seed);
  ASSERT_GE(secrets.size(), 10u);
  ASSERT_EQ(db.root_script(seed), 0) << "loading tests/corpus/masking-seed.sql failed";

  auto config = server::load_config(root / "tests/corpus/corpus-config.yaml");
  ASSERT_TRUE(config) << config.error().message;
  auto masking = policy::MaskingEngine::create(config->masking);
  ASSERT_TRUE(masking) << masking.error().message;
  const policy::PolicyEngine policy_engine(config->policy);
  const policy::StatementAnalyzer analyzer;

  // The guard as App::create builds it: the pool of the agent account (password from the vault
  // file), its own catalog cache, a real audit log.
  auto vault = db::CredentialVault::open(db.password_file(), "");
  ASSERT_TRUE(vault) << vault.error().message;
  db::ConnectionPool pool(db.agent_endpoint(), *vault, 2, std::chrono::milliseconds(5000));
  const fs::path audit_dir = temp_dir("masking-corpus") / "audit";
  recorder::AuditLogOptions audit_options;
  audit_options.dir = audit_dir;
  audit_options.origin = "corpus.sqlguard/audit";
  auto audit = recorder::AuditLog::open(audit_options);
  ASSERT_TRUE(audit) << audit.error().message;
  guard::Guard guard(analyzer, policy_engine, *masking, **audit, pool, *vault, guard::GuardOptions{});
  guard::CatalogCache catalog_cache(std::chrono::seconds(0));  // for masking's own verdict (below)

  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(root / "tests/corpus/masking")) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());

  Totals totals;
  std::vector<std::string> failures;
  for (const auto& file : files) {
    const YAML::Node doc = YAML::LoadFile(file.string());
    const auto format_problems = corpus::check_document(doc, corpus::masking_format());
    for (const auto& p : format_problems) failures.push_back(file.filename().string() + ": " + p);
    if (!format_problems.empty()) continue;
    const std::string default_schema = doc["default_schema"] ? doc["default_schema"].as<std::string>() : "";
    if (default_schema != guard.default_schema()) {
      failures.push_back(file.filename().string() + ": default_schema must be " + guard.default_schema() +
                         " (the schema of the guard's connections)");
      continue;
    }
    for (const auto& c : doc["cases"]) {
      ++totals.cases;
      const std::string id = c["id"].as<std::string>();
      const std::string sql = c["sql"].as<std::string>();
      const std::string expect = c["expect"].as<std::string>();
      ++totals.by_expect[expect];
      std::vector<std::string> accepted = {expect};
      for (const auto& a : strings(c["alternatives"])) accepted.push_back(a);
      const bool by_policy = c["by"] && c["by"].as<std::string>() == "policy";

      std::vector<std::string> problems;
      auto principal = policy::parse_principal_spec(c["as"].as<std::string>());
      if (!principal) {
        failures.push_back(file.filename().string() + " " + id +
                           ": bad principal: " + principal.error().message);
        continue;
      }
      guard::CallInfo call;
      call.principal = *principal;
      call.session_id = "masking-corpus";
      call.request_id = "\"" + id + "\"";
      call.transport = "stdio";
      call.tool = "run_sql";
      auto ran = guard.run_sql(call, sql, std::nullopt);

      std::string outcome;  // masked | refused | clear | error
      std::string message;  // refusal or error text sent back
      std::string reply;    // all bytes sent back
      std::string deciding_rule;
      common::ResultSet rs;
      std::vector<policy::MaskedColumn> masked_columns;
      std::vector<std::string> exemptions_used;
      bool masking_refused = false;
      if (!ran) {
        const guard::SqlFailure& f = ran.error();
        message = f.error.message;
        const bool denied = f.decision && f.decision->action == policy::Action::kDeny;
        deciding_rule = f.decision ? f.decision->rule : "";
        // Refused: by a decision (the policy, or masking/catalog overriding it). A withheld
        // result or a database error is "error".
        outcome =
            denied || (f.decision && f.decision->action == policy::Action::kApprove) ? "refused" : "error";
        masking_refused = denied && (deciding_rule == "masking" || deciding_rule == "builtin:catalog");
      } else {
        deciding_rule = ran->decision.rule;
        rs = std::move(ran->result);
        masked_columns = ran->masked_columns;
        exemptions_used = ran->masking_exemptions;
        outcome = masked_columns.empty() ? "clear" : "masked";
      }
      reply = message + "\n" + serialize(rs);

      if (std::find(accepted.begin(), accepted.end(), outcome) == accepted.end()) {
        problems.push_back("expected " + expect + ", got " + outcome);
      }
      // Masking must refuse on its own (defence in depth), even where the policy refused first in
      // the guard and masking never had its say: ask the masking engine directly, on the same
      // analysis the guard resolves.
      std::string masking_message;
      if (outcome == "refused" && expect == "refused" && !by_policy && !masking_refused) {
        policy::StatementAnalysis a = analyzer.analyze(sql, default_schema);
        guard::CallCatalog lookups(catalog_cache, pool);
        auto resolved = policy::resolve_with_catalog(a, lookups, analyzer);
        auto plan = resolved ? (*masking)->plan(*principal, a, lookups)
                             : common::Result<policy::MaskingPlan>(std::unexpected(resolved.error()));
        if (plan)
          problems.push_back("refused by the policy only; masking must refuse on its own");
        else
          masking_message = plan.error().message;
      }
      if (outcome == expect && c["reason_contains"] &&
          (message + "\n" + masking_message).find(c["reason_contains"].as<std::string>()) ==
              std::string::npos) {
        problems.push_back("reason does not contain '" + c["reason_contains"].as<std::string>() + "'");
      }
      if (outcome == "masked" && expect == "masked") {
        for (const auto& col : strings(c["masked_columns"])) {
          bool found = false;
          for (const auto& m : masked_columns) found = found || m.column == col;
          if (!found) problems.push_back("column " + col + " not masked");
        }
        if (c["type_name"]) {
          for (const auto& col : rs.columns) {
            if (col.masked && col.type_name != c["type_name"].as<std::string>()) {
              problems.push_back("masked column " + col.name + " has type " + col.type_name);
            }
          }
        }
      }
      for (const auto& s : strings(c["contains"])) {
        if (reply.find(s) == std::string::npos) problems.push_back("reply lacks '" + s + "'");
      }
      for (const auto& s : strings(c["lacks"])) {
        if (reply.find(s) != std::string::npos) problems.push_back("reply contains '" + s + "'");
      }
      std::vector<std::string> visible;
      bool all_visible = false;
      if (c["visible"]) {
        if (c["visible"].IsScalar() && c["visible"].as<std::string>() == "all")
          all_visible = true;
        else
          visible = strings(c["visible"]);
      }
      if (!all_visible) {
        for (const auto& s : secrets) {
          if (std::find(visible.begin(), visible.end(), s) != visible.end()) continue;
          if (reply.find(s) != std::string::npos) problems.push_back("SECRET LEAKED: " + s);
        }
      }
      if (outcome == expect) {
        for (const auto& s : visible) {
          if (reply.find(s) == std::string::npos)
            problems.push_back("exempt principal does not see '" + s + "'");
        }
        for (const auto& e : strings(c["exemptions"])) {
          const auto& used = exemptions_used;
          if (std::find(used.begin(), used.end(), e) == used.end()) {
            problems.push_back("exemption " + e + " not reported");
          }
        }
      }
      if (problems.empty()) {
        ++totals.passed;
      } else {
        std::string f = file.filename().string() + " " + id + ": ";
        for (const auto& p : problems) f += p + "; ";
        f += "\n  sql: " + sql + "\n  deciding rule: " + deciding_rule + "\n  message: " + message +
             "\n  reply: " + reply.substr(0, 400) + "\n" +
             policy::describe(analyzer.analyze(sql, default_schema));
        failures.push_back(f);
      }
    }
  }
  for (const auto& f : failures) ADD_FAILURE() << f;
  std::cout << "masking corpus: " << totals.passed << "/" << totals.cases << " cases passed (";
  bool first = true;
  for (const auto& [k, v] : totals.by_expect) {
    std::cout << (first ? "" : ", ") << k << " " << v;
    first = false;
  }
  std::cout << ")\n";
  EXPECT_GE(totals.cases, 150);
  // Every call left a verifiable record.
  recorder::VerifyOptions verify;
  verify.dir = audit_dir;
  const auto verified = recorder::verify_log(verify);
  EXPECT_TRUE(verified.ok()) << verified.summary();
  EXPECT_GE(verified.records, 2u * static_cast<uint64_t>(totals.cases));  // an intent and an outcome each
}

}  // namespace
}  // namespace sqlguard::testing
