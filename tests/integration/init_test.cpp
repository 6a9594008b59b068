// `sqlguard init` against the private MariaDB: a schema with a column of each detected kind and
// decoys that look like them but fail their checks.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "mariadb_fixture.h"
#include "server/cli/init_command.h"
#include "server/config/config.h"

namespace sqlguard {
namespace {

namespace fs = std::filesystem;

// Every value seeded below; none may appear in anything init writes or prints.
const std::vector<std::string> kSeeded = {"ada.initprobe@example.org",
                                          "grace.initprobe@example.net",
                                          "4111111111111111",
                                          "5500005555555559",
                                          "4111111111111112",
                                          "4000000000000001",
                                          "GB82WEST12345698765432",
                                          "DE89370400440532013000",
                                          "GB82WEST12345698765433",
                                          "DE89370400440532013001",
                                          "+44 20 7946 0958",
                                          "+1 415 555 0132",
                                          "078-05-1120",
                                          "219-09-9999",
                                          "111222333",
                                          "123456782",
                                          "not-an-address-1",
                                          "unknown-initprobe",
                                          "hunter2-initprobe",
                                          "pw-initprobe-2",
                                          "London-initprobe"};

std::string seed_sql() {
  std::string s =
      "DROP DATABASE IF EXISTS initdemo; CREATE DATABASE initdemo; USE initdemo;\n"
      "CREATE TABLE people (id INT PRIMARY KEY, email VARCHAR(100), contact_email VARCHAR(100),"
      " payment VARCHAR(30), order_ref VARCHAR(30), payout VARCHAR(40), ref_code VARCHAR(40),"
      " mobile VARCHAR(30), tax_number VARCHAR(20), bsn_like VARCHAR(20), password VARCHAR(80),"
      " birth_date DATE, city VARCHAR(40));\n"
      "CREATE TABLE empty_accounts (id INT, api_token VARCHAR(80), iban VARCHAR(40));\n"
      "CREATE VIEW people_public AS SELECT id, city FROM people;\n";
  for (int i = 0; i < 10; ++i) {
    const bool a = i % 2 == 0;
    s += "INSERT INTO people VALUES (" + std::to_string(i) + ", '" +
         (a ? "ada.initprobe@example.org" : "grace.initprobe@example.net") + "', '" +
         (a ? "not-an-address-1" : "unknown-initprobe") + "', '" +
         (a ? "4111111111111111" : "5500005555555559") + "', '" +
         (a ? "4111111111111112" : "4000000000000001") + "', '" +
         (a ? "GB82WEST12345698765432" : "DE89370400440532013000") + "', '" +
         (a ? "GB82WEST12345698765433" : "DE89370400440532013001") + "', '" +
         (a ? "+44 20 7946 0958" : "+1 415 555 0132") + "', '" + (a ? "078-05-1120" : "219-09-9999") +
         "', '" + (a ? "111222333" : "123456782") + "', '" + (a ? "hunter2-initprobe" : "pw-initprobe-2") +
         "', '1990-01-0" + std::to_string(i % 9 + 1) + "', 'London-initprobe');\n";
  }
  return s;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(InitIntegration, FlagsExactlyTheSensitiveColumnsAndWritesAConfigThatValidates) {
  auto& db = testing::MariaDbFixture::instance();
  ASSERT_EQ(db.root_script(seed_sql()), 0);
  const fs::path dir = testing::temp_dir("init");
  server::InitOptions o;
  o.socket = db.socket();
  o.user = "root";
  o.schemas = {"initdemo"};
  o.out = dir / "sqlguard.yaml";
  o.account = "init_agent";
  o.apply_grants = true;
  std::ostringstream out, err;
  const int rc = server::run_init(o, out, err);
  ASSERT_EQ(rc, 0) << out.str() << err.str();

  // The masking rules name exactly the flagged columns.
  const YAML::Node cfg = YAML::LoadFile(o.out.string());
  std::set<std::string> masked;
  for (const auto& rule : cfg["masking"]["rules"]) masked.insert(rule["columns"][0].as<std::string>());
  const std::set<std::string> expected = {
      "initdemo.people.email",       "initdemo.people.payment",    "initdemo.people.payout",
      "initdemo.people.mobile",      "initdemo.people.tax_number", "initdemo.people.bsn_like",
      "initdemo.people.password",    "initdemo.people.birth_date", "initdemo.empty_accounts.api_token",
      "initdemo.empty_accounts.iban"};
  EXPECT_EQ(masked, expected) << slurp(o.out);
  const std::string text = slurp(o.out);
  EXPECT_NE(text.find("10 of 10 sampled values are valid IBANs"), std::string::npos) << text;
  EXPECT_NE(text.find("REVIEW: initdemo.empty_accounts.iban: named like an IBAN column (no values sampled)"),
            std::string::npos)
      << text;
  // Decoys: the e-mail-named column of non-addresses is a review note, not a rule.
  EXPECT_NE(out.str().find("initdemo.people.contact_email: named like an e-mail column, but only 0 of 10"),
            std::string::npos)
      << out.str();

  // It validates, and doctor (run because --apply-grants created the account) is satisfied.
  auto config = server::load_config(o.out.string());
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->database.user, "init_agent");
  EXPECT_NE(out.str().find("doctor: OK, grants fit the policy"), std::string::npos) << out.str();
  auto grants = db.root_query("SHOW GRANTS FOR 'init_agent'@'localhost'");
  std::string all;
  for (const auto& row : grants.rows) all += *row[0] + "\n";
  EXPECT_NE(all.find("GRANT SELECT, SHOW VIEW ON `initdemo`.*"), std::string::npos) << all;

  // Secrets are private files; the grants file holds the hash, not the password.
  struct stat st {};
  ASSERT_EQ(::stat((dir / "sqlguard-db-password").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u);
  const std::string password = slurp(dir / "sqlguard-db-password").substr(0, 32);
  EXPECT_EQ(slurp(fs::path(o.out.string() + ".grants.sql")).find(password), std::string::npos);

  // No sampled value anywhere on disk under the output directory, nor in what init printed.
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string content = slurp(entry.path());
    for (const auto& v : kSeeded)
      EXPECT_EQ(content.find(v), std::string::npos) << v << " in " << entry.path();
  }
  for (const auto& v : kSeeded) {
    EXPECT_EQ(out.str().find(v), std::string::npos) << v;
    EXPECT_EQ(err.str().find(v), std::string::npos) << v;
  }

  // A second run refuses to overwrite without --force.
  std::ostringstream out2, err2;
  EXPECT_EQ(server::run_init(o, out2, err2), 2);
  EXPECT_NE(err2.str().find("exists (use --force to overwrite)"), std::string::npos) << err2.str();
  db.root_script("DROP DATABASE initdemo; DROP USER 'init_agent'@'localhost';");
}

TEST(InitIntegration, AnUnknownSchemaIsAClearError) {
  auto& db = testing::MariaDbFixture::instance();
  server::InitOptions o;
  o.socket = db.socket();
  o.user = "root";
  o.schemas = {"no_such_schema"};
  o.out = testing::temp_dir("init-unknown") / "sqlguard.yaml";
  std::ostringstream out, err;
  EXPECT_EQ(server::run_init(o, out, err), 2);
  EXPECT_NE(err.str().find("schema 'no_such_schema' does not exist"), std::string::npos) << err.str();
  EXPECT_FALSE(fs::exists(o.out));
}

}  // namespace
}  // namespace sqlguard
