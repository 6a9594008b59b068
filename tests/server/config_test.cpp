// The config loader: every section parses, and every mistake is reported with its location.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "server/config/config.h"

namespace sqlguard::server {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sg-config-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "pw") << "s3cret-password\n";
    ::chmod((dir_ / "pw").c_str(), 0600);
    std::ofstream(dir_ / "key") << "masking-key\n";
    ::chmod((dir_ / "key").c_str(), 0600);
  }
  void TearDown() override { fs::remove_all(dir_); }

  common::Result<Config> parse(const std::string& yaml) { return parse_config(yaml, "sqlguard.yaml", dir_); }
  // minimal() with its audit section replaced, e.g. "audit: {dir: audit, durability: intent}".
  common::Result<Config> parse_with_audit(const std::string& audit) {
    std::string yaml = minimal();
    yaml.replace(yaml.find("audit: {dir: audit}"), 19, audit);
    return parse(yaml);
  }

  static std::string minimal(const std::string& extra = "") {
    return "database: {socket: db.sock, user: agent, password_file: pw, database: shop}\n"
           "policy:\n  rules:\n    - {id: r1, action: allow, kinds: [select], tables: ['shop.*']}\n"
           "audit: {dir: audit}\n" +
           extra;
  }

  fs::path dir_;
};

TEST_F(ConfigTest, ParsesEverySection) {
  auto c = parse(
      minimal("stdio: {principal: {subject: alice, groups: [analysts]}}\n"
              "masking:\n  hash_key_file: key\n  rules:\n"
              "    - {id: m1, columns: [shop.customers.email], method: hash, exempt: {groups: [compliance]}, "
              "allow: [where_equality]}\n"
              "  detectors:\n    - {id: d1, kind: card, method: redact}\n"
              "http: {port: 9000, allowed_hosts: [sqlguard.internal]}\n"
              "auth:\n  oidc: {issuer: 'https://idp.example', jwks_file: jwks.json, required_scopes: [sql]}\n"
              "  api_keys:\n    - {id: k1, sha256: " +
              std::string(64, 'a') + ", subject: svc}\n"));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->database.user, "agent");
  EXPECT_EQ(c->database.socket, (dir_ / "db.sock").string());
  EXPECT_EQ(c->database.password, "") << "the vault reads the password, not the loader";
  EXPECT_EQ(c->credential.password_file, dir_ / "pw");
  EXPECT_EQ(c->stdio_principal.subject, "alice");
  EXPECT_EQ(c->policy.rules.size(), 1u);
  EXPECT_EQ(c->masking.hash_key, "masking-key");
  EXPECT_EQ(c->masking.rules[0].exempt_groups, std::vector<std::string>{"compliance"});
  EXPECT_TRUE(c->http.enabled);
  EXPECT_EQ(c->http.resource_url, "http://127.0.0.1:9000/mcp");
  ASSERT_TRUE(c->auth.oidc.has_value());
  EXPECT_EQ(c->auth.oidc->audiences, std::vector<std::string>{"http://127.0.0.1:9000/mcp"});
  EXPECT_EQ(c->audit.log.dir, dir_ / "audit");
}

TEST_F(ConfigTest, ErrorsNameFileLineColumnAndPath) {
  auto c = parse(
      "database: {socket: db.sock, user: agent, password_file: pw}\n"
      "policy:\n"
      "  rules:\n"
      "    - id: r1\n"
      "      action: alow\n"
      "      kinds: [selec]\n"
      "audit: {dir: audit}\n");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find(
                "sqlguard.yaml:5:15: policy.rules[0].action: expected allow, deny or approve, got 'alow'"),
            std::string::npos)
      << c.error().message;
  EXPECT_NE(c.error().message.find("policy.rules[0].kinds[0]: unknown statement kind 'selec'"),
            std::string::npos)
      << c.error().message;
}

TEST_F(ConfigTest, RefusesInlinePasswordsUnknownKeysAndLooseSecrets) {
  auto inline_pw = parse("database: {user: a, password: hunter2}\npolicy: {}\naudit: {dir: a}\n");
  ASSERT_FALSE(inline_pw.has_value());
  EXPECT_NE(inline_pw.error().message.find("inline passwords are not allowed"), std::string::npos);
  EXPECT_EQ(inline_pw.error().message.find("hunter2"), std::string::npos)
      << "the error must not echo the password";

  auto unknown = parse(minimal("polcy: {}\n"));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message.find("unknown key 'polcy'"), std::string::npos)
      << unknown.error().message;

  ::chmod((dir_ / "key").c_str(), 0644);
  auto loose =
      parse(minimal("masking: {hash_key_file: key, rules: [{id: m, columns: [a.b.c], method: hash}]}\n"));
  ASSERT_FALSE(loose.has_value());
  EXPECT_EQ(loose.error().code, common::ErrorCode::kInvalidInput);
  EXPECT_NE(loose.error().message.find("accessible by others"), std::string::npos) << loose.error().message;
}

TEST_F(ConfigTest, AnUnreadableFileIsUnavailable) {
  auto c = load_config(dir_ / "missing.yaml");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, common::ErrorCode::kUnavailable);
  EXPECT_EQ(c.error().message, (dir_ / "missing.yaml").string() + ": cannot read the configuration file");
}

TEST_F(ConfigTest, RequiresTheAuditAndPolicySections) {
  auto c = parse("database: {user: a, password_file: pw}\n");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find("policy: required section is missing"), std::string::npos);
  EXPECT_NE(c.error().message.find("audit: required section is missing"), std::string::npos);
}

TEST_F(ConfigTest, RejectsBadMaskingTargetsAndAlgorithms) {
  auto c =
      parse(minimal("masking: {rules: [{id: m, columns: [customers.email], method: redact}, {id: n, "
                    "column_pattern: '(', method: redact}]}\n"
                    "auth: {oidc: {issuer: x, algorithms: [HS256]}}\n"));
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find("expected schema.table.column"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("invalid RE2 pattern"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("never none or HS*"), std::string::npos) << c.error().message;
}

TEST_F(ConfigTest, AuditDurabilityIsStrictUnlessIntentIsChosen) {
  auto with = [&](const std::string& audit) { return parse_with_audit(audit); };
  auto by_default = with("audit: {dir: audit}");
  ASSERT_TRUE(by_default.has_value()) << by_default.error().message;
  EXPECT_TRUE(by_default->audit.strict_durability);
  auto strict = with("audit: {dir: audit, durability: strict}");
  ASSERT_TRUE(strict.has_value()) << strict.error().message;
  EXPECT_TRUE(strict->audit.strict_durability);
  auto intent = with("audit: {dir: audit, durability: intent}");
  ASSERT_TRUE(intent.has_value()) << intent.error().message;
  EXPECT_FALSE(intent->audit.strict_durability);
  auto bad = with("audit: {dir: audit, durability: none}");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("audit.durability: expected strict or intent, got 'none'"),
            std::string::npos)
      << bad.error().message;
}

TEST_F(ConfigTest, AuditPreallocationIsOffUnlessSizedAndBounded) {
  auto with = [&](const std::string& audit) { return parse_with_audit(audit); };
  auto by_default = with("audit: {dir: audit}");
  ASSERT_TRUE(by_default.has_value()) << by_default.error().message;
  EXPECT_EQ(by_default->audit.log.preallocate_bytes, 0u);
  auto sized = with("audit: {dir: audit, preallocate_bytes: 1048576}");
  ASSERT_TRUE(sized.has_value()) << sized.error().message;
  EXPECT_EQ(sized->audit.log.preallocate_bytes, 1048576u);
  auto huge = with("audit: {dir: audit, preallocate_bytes: 4294967296}");
  ASSERT_FALSE(huge.has_value());
  EXPECT_NE(huge.error().message.find("audit.preallocate_bytes"), std::string::npos) << huge.error().message;
}

TEST_F(ConfigTest, MySqlFrontDoorAccountsHoldVerifiersAndListenOnLoopback) {
  auto c =
      parse(minimal("mysql:\n  port: 3310\n  max_auth_failures: 3\n  accounts:\n"
                    "    - {user: alice, password_verifier: '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19',"
                    " principal: {subject: alice@example.com, groups: [analysts]}}\n"));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_TRUE(c->mysql.enabled);
  EXPECT_EQ(c->mysql.listen_host, "127.0.0.1");
  EXPECT_EQ(c->mysql.port, 3310);
  EXPECT_EQ(c->mysql.max_auth_failures, 3u);
  ASSERT_EQ(c->mysql.accounts.size(), 1u);
  EXPECT_EQ(c->mysql.accounts[0].principal.subject, "alice@example.com");
  EXPECT_EQ(c->mysql.accounts[0].principal.auth_method, "mysql-account");
  EXPECT_FALSE(parse(minimal())->mysql.enabled);

  auto expect_error = [&](const std::string& mysql, const std::string& message) {
    auto bad = parse(minimal("mysql:\n" + mysql));
    ASSERT_FALSE(bad.has_value()) << mysql;
    EXPECT_NE(bad.error().message.find(message), std::string::npos) << bad.error().message;
  };
  expect_error("  listen: 0.0.0.0\n", "mysql.listen: a non-loopback address needs mysql.tls");
  expect_error("  tls: {cert_file: cert.pem}\n", "mysql.tls: set both cert_file and key_file");
  auto remote = parse(minimal("mysql: {listen: 0.0.0.0, tls: {cert_file: cert.pem, key_file: key.pem}}\n"));
  ASSERT_TRUE(remote.has_value()) << remote.error().message;
  EXPECT_EQ(remote->mysql.tls_cert_file, dir_ / "cert.pem");
  expect_error("  accounts:\n    - {user: a, password: hunter2, principal: {subject: a}}\n",
               "mysql.accounts[0].password: not allowed");
  expect_error("  accounts:\n    - {user: a, password_verifier: hunter2, principal: {subject: a}}\n",
               "mysql.accounts[0].password_verifier: expected \"*\" + 40 hex digits");
  expect_error(
      "  accounts:\n    - {user: a, password_verifier: '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19', "
      "principal: {subject: a}}\n"
      "    - {user: a, password_verifier: '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19', principal: {subject: "
      "b}}\n",
      "duplicate user 'a'");
  expect_error(
      "  accounts:\n    - {user: a, password_verifier: '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'}\n",
      "mysql.accounts[0].principal.subject: required");
}

TEST_F(ConfigTest, ShippedExampleIsValid) {
  // The demo config points at secrets that scripts/demo creates; parse the policy/masking parts
  // by loading it with its secret files replaced.
  std::ifstream in(fs::path(SQLGUARD_SOURCE_DIR) / "examples" / "demo" / "sqlguard.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  for (auto [from, to] : {std::pair{"../../.sandbox/demo/db-password", "pw"},
                          std::pair{"../../.sandbox/demo/masking.key", "key"}}) {
    text.replace(text.find(from), std::string(from).size(), to);
  }
  auto c = parse(text);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_GE(c->policy.rules.size(), 3u);
  EXPECT_GE(c->masking.rules.size(), 4u);
}

}  // namespace
}  // namespace sqlguard::server
