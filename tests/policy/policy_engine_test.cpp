#include "policy/policy_engine.h"

#include <gtest/gtest.h>

#include "policy/principal_spec.h"
#include "policy/statement_analyzer.h"

namespace sqlguard::policy {
namespace {

PolicyRule rule(std::string id, Action action, std::vector<std::string> kinds,
                std::vector<std::string> tables) {
  PolicyRule r;
  r.id = std::move(id);
  r.action = action;
  r.kinds = std::move(kinds);
  r.tables = std::move(tables);
  return r;
}

class PolicyEngineTest : public ::testing::Test {
 protected:
  PolicyEngineTest() {
    PolicyConfig c;
    auto read = rule("read", Action::kAllow, {"select", "show"}, {"shop.*"});
    read.principals.groups = {"analysts"};
    read.max_rows = 50;
    c.rules.push_back(read);
    auto write = rule("write", Action::kApprove, {"update", "delete"}, {"shop.orders"});
    write.principals.groups = {"analysts"};
    write.approver_groups = {"dba"};
    write.approvals_required = 2;
    c.rules.push_back(write);
    auto deny = rule("no-secrets", Action::kDeny, {}, {"*.secrets"});
    c.rules.push_back(deny);
    auto cols = rule("no-ssn", Action::kDeny, {}, {});
    cols.columns = {"shop.customers.ssn"};
    cols.principals.subjects = {"intern*"};
    c.rules.push_back(cols);
    auto client = rule("bad-client", Action::kDeny, {}, {});
    client.principals.clients = {"evil-*"};
    c.rules.push_back(client);
    c.defaults.max_rows = 1000;
    engine_ = std::make_unique<PolicyEngine>(c);
  }
  Decision decide(std::string_view who, std::string_view sql, std::string client = "") {
    auto p = parse_principal_spec(who);
    EXPECT_TRUE(p.has_value());
    p->client_name = std::move(client);
    return engine_->decide(*p, StatementAnalyzer().analyze(sql, "shop"));
  }
  std::unique_ptr<PolicyEngine> engine_;
};

TEST_F(PolicyEngineTest, AllowWithTightestLimits) {
  const Decision d = decide("alice:analysts", "SELECT * FROM orders");
  EXPECT_EQ(d.action, Action::kAllow);
  EXPECT_EQ(d.rule, "read");
  EXPECT_EQ(d.limits.max_rows, 50u);
  EXPECT_TRUE(d.read_only);
}

TEST_F(PolicyEngineTest, DefaultDeny) {
  const Decision d = decide("bob", "SELECT * FROM orders");
  EXPECT_EQ(d.action, Action::kDeny);
  EXPECT_EQ(d.rule, "default-deny");
  EXPECT_NE(d.reason.find("select on shop.orders"), std::string::npos) << d.reason;
  EXPECT_EQ(decide("alice:analysts", "SELECT * FROM hr.pay").rule, "default-deny");
}

TEST_F(PolicyEngineTest, DenyOverridesApproveOverridesAllow) {
  EXPECT_EQ(decide("alice:analysts", "SELECT * FROM secrets").rule, "no-secrets");
  const Decision d = decide("alice:analysts", "DELETE FROM orders WHERE id = 1");
  EXPECT_EQ(d.action, Action::kApprove);
  EXPECT_EQ(d.approvals_required, 2u);
  EXPECT_EQ(d.approver_groups, std::vector<std::string>{"dba"});
  EXPECT_FALSE(d.read_only);
  EXPECT_EQ(decide("alice:analysts", "DELETE FROM orders WHERE id IN (SELECT id FROM secrets)").rule,
            "no-secrets");
}

TEST_F(PolicyEngineTest, ColumnDenyInEveryClause) {
  EXPECT_EQ(decide("intern1:analysts", "SELECT name FROM customers ORDER BY ssn").rule, "no-ssn");
  EXPECT_EQ(decide("intern1:analysts", "SELECT * FROM customers").rule, "no-ssn");
  EXPECT_EQ(decide("intern1:analysts", "SELECT name FROM customers").action, Action::kAllow);
  EXPECT_EQ(decide("alice:analysts", "SELECT ssn FROM customers").action, Action::kAllow);
}

TEST_F(PolicyEngineTest, ClientGlob) {
  EXPECT_EQ(decide("alice:analysts", "SELECT 1", "evil-bot").rule, "bad-client");
  EXPECT_EQ(decide("alice:analysts", "SELECT 1", "claude-ai").action, Action::kAllow);
}

TEST_F(PolicyEngineTest, BuiltinsAndUnsafeAllow) {
  EXPECT_EQ(decide("alice:analysts", "SELECT 1; SELECT 2").rule, "builtin:not-understood");
  EXPECT_EQ(decide("alice:analysts", "SELECT sleep(1)").rule, "builtin:sleep-and-lock-functions");
  EXPECT_EQ(decide("alice:analysts", "SELECT load_file('/x')").rule, "builtin:file-io");
  EXPECT_EQ(decide("alice:analysts", "SET @a = 1").rule, "builtin:session-control");
  EXPECT_EQ(decide("alice:analysts", "SELECT @@datadir").rule, "builtin:system-variables");
  EXPECT_EQ(decide("alice:analysts", "SELECT 1 /*!50000 , 2 */").rule, "builtin:executable-comment");
  PolicyConfig c;
  PolicyRule all = rule("all", Action::kAllow, {}, {});
  all.functions = {"*"};
  c.rules.push_back(all);
  c.unsafe_allow.sleep_and_lock_functions = true;
  c.unsafe_allow.executable_comments = true;
  PolicyEngine e(c);
  Principal p;
  p.subject = "x";
  EXPECT_EQ(e.decide(p, StatementAnalyzer().analyze("SELECT sleep(1)", "")).action, Action::kAllow);
  EXPECT_EQ(e.decide(p, StatementAnalyzer().analyze("SELECT 1 /*!50000 , 2 */", "")).action, Action::kAllow);
  EXPECT_EQ(e.decide(p, StatementAnalyzer().analyze("SELECT load_file('x')", "")).rule, "builtin:file-io");
}

TEST_F(PolicyEngineTest, StoredFunctionsNeedNaming) {
  EXPECT_EQ(decide("alice:analysts", "SELECT shop.purge()").rule, "default-deny");
}

TEST_F(PolicyEngineTest, MayReadTable) {
  auto p = parse_principal_spec("alice:analysts");
  EXPECT_TRUE(engine_->may_read_table(*p, "shop", "orders"));
  EXPECT_FALSE(engine_->may_read_table(*p, "shop", "secrets"));
  EXPECT_FALSE(engine_->may_read_table(*p, "hr", "pay"));
}

TEST(PrincipalSpecTest, Parses) {
  auto p = parse_principal_spec("agent:analysts, compliance");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->subject, "agent");
  EXPECT_EQ(p->groups, (std::vector<std::string>{"analysts", "compliance"}));
  EXPECT_FALSE(parse_principal_spec("").has_value());
  EXPECT_FALSE(parse_principal_spec("a:").has_value());
  EXPECT_FALSE(parse_principal_spec("a:b,,c").has_value());
  EXPECT_TRUE(parse_principal_spec("bob").has_value());
}

}  // namespace
}  // namespace sqlguard::policy
