// The guard's pipeline, hermetically: a scripted database (tests/mocks/fake_database.h), an
// in-memory audit log and a fixed catalog, so every ordering guarantee is checked in
// milliseconds: intent before execution, outcome before the answer, nothing executes when the
// record cannot be written, one retry on a connection lost before the statement (and every
// connection given back), cancellation kills the statement server-side, outcomes that could not
// be written are appended late, approvals run exactly once.
#include "guard/guard.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <latch>
#include <thread>

#include "approvals/sqlite_approval_store.h"
#include "policy/statement_analyzer.h"
#include "tests/mocks/fake_database.h"
#include "tests/mocks/memory_audit_log.h"
#include "tests/temp_dir.h"

namespace sqlguard::guard {
namespace {

using namespace std::chrono_literals;
using common::ErrorCode;
using test_support::FakeConnection;

policy::Principal who(const std::string& subject, std::vector<std::string> groups) {
  policy::Principal p;
  p.subject = subject;
  p.groups = std::move(groups);
  p.auth_method = "test";
  return p;
}

policy::PolicyConfig shop_policy() {
  policy::PolicyConfig c;
  policy::PolicyRule read;
  read.id = "read-shop";
  read.action = policy::Action::kAllow;
  read.principals.groups = {"analysts"};
  read.kinds = {"select"};
  read.tables = {"shop.*"};
  read.max_rows = 50;
  read.timeout_ms = 3000;
  c.rules.push_back(read);
  policy::PolicyRule crm = read;
  crm.id = "read-crm";
  crm.tables = {"crm.contacts"};
  c.rules.push_back(crm);
  policy::PolicyRule updates;
  updates.id = "order-updates";
  updates.action = policy::Action::kApprove;
  updates.kinds = {"update"};
  updates.tables = {"shop.orders"};
  updates.approver_groups = {"dba"};
  c.rules.push_back(updates);
  return c;
}

policy::MaskingConfig shop_masking() {
  policy::MaskingConfig c;
  c.hash_key = "guard-test-key";
  policy::MaskingRule email;
  email.id = "pii-email";
  email.columns = {"shop.customers.email"};
  email.method = policy::MaskingMethod::kEmail;
  c.rules.push_back(email);
  return c;
}

common::ResultSet customer_emails() {
  common::ResultSet rs;
  rs.has_result_set = true;
  rs.columns.push_back(common::ResultColumn{.name = "email",
                                            .org_name = "email",
                                            .table = "customers",
                                            .org_table = "customers",
                                            .schema = "shop",
                                            .type = common::ColumnType::kVarString,
                                            .type_name = "VARCHAR",
                                            .charset = common::kCharsetUtf8mb4});
  rs.rows.push_back({std::string("alice@example.com")});
  rs.rows.push_back({std::nullopt});
  return rs;
}

common::Error lost_before_statement() {
  common::Error e{ErrorCode::kUnavailable, "the database connection was lost; try again"};
  e.before_statement = true;
  return e;
}

class GuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("SQLGUARD_GUARD_TEST_PASSWORD", "fake-db-secret", 1);
    auto vault = db::CredentialVault::open("", "SQLGUARD_GUARD_TEST_PASSWORD");
    ASSERT_TRUE(vault.has_value()) << vault.error().message;
    vault_.emplace(std::move(*vault));
    catalog_.add_table("shop.customers", {"id", "name", "email"});
    catalog_.add_table("shop.orders", {"id", "status", "total"});
    catalog_.add_view("shop.v_hidden", "", {"id"});
    catalog_.add_table("crm.contacts", {"id", "email"});
    auto masking = policy::MaskingEngine::create(shop_masking());
    ASSERT_TRUE(masking.has_value()) << masking.error().message;
    masking_ = std::move(*masking);
    make_guard(nullptr);
  }

  void make_guard(approvals::ApprovalService* approvals) {
    guard_.reset();
    guard_ = std::make_unique<Guard>(analyzer_, policy_, masking_, audit_, database_, *vault_, GuardOptions{},
                                     approvals, &catalog_source_);
  }

  CallInfo call(std::string request_id = "1") const {
    CallInfo c;
    c.principal = who("agent", {"analysts"});
    c.session_id = "s-1";
    c.request_id = std::move(request_id);
    c.transport = "stdio";
    c.tool = "run_sql";
    return c;
  }

  /// Every statement answers one affected row (an UPDATE that ran).
  void one_row_affected() {
    database_.on_execute = [](std::string_view, FakeConnection&) -> common::Result<common::ResultSet> {
      common::ResultSet rs;
      rs.affected_rows = 1;
      return rs;
    };
  }

  /// The call.intent / call.outcome records of `call_id`, in order.
  std::vector<nlohmann::json> records_of(const std::string& call_id) const {
    std::vector<nlohmann::json> out;
    for (const auto& r : audit_.records()) {
      if (r.value("call", "") == call_id) out.push_back(r);
    }
    return out;
  }

  policy::StatementAnalyzer analyzer_;
  policy::PolicyEngine policy_{shop_policy()};
  std::shared_ptr<const policy::MaskingEngine> masking_;
  test_support::MemoryAuditLog audit_;
  test_support::FakeDatabase database_;
  test_support::FixedCatalog catalog_;
  test_support::FixedCatalogSource catalog_source_{catalog_};
  std::optional<db::CredentialVault> vault_;
  std::unique_ptr<Guard> guard_;
};

TEST_F(GuardTest, IntentIsDurableBeforeExecutionAndOutcomeBeforeTheAnswer) {
  bool intent_first = false;
  database_.on_execute = [&](std::string_view, FakeConnection&) -> common::Result<common::ResultSet> {
    const auto intents = audit_.of_type("call.intent");
    intent_first = intents.size() == 1 && audit_.of_type("call.outcome").empty();
    return customer_emails();
  };
  auto r = guard_->run_sql(call(), "SELECT email FROM customers", 10);
  ASSERT_TRUE(r.has_value()) << r.error().error.message;
  EXPECT_TRUE(intent_first);
  // The answer is masked, and its outcome was on record before run_sql returned.
  ASSERT_EQ(r->result.rows.size(), 2u);
  EXPECT_NE(r->result.rows[0][0], std::optional<std::string>("alice@example.com"));
  EXPECT_EQ(r->result.rows[1][0], std::nullopt);
  ASSERT_EQ(r->masked_columns.size(), 1u);
  const auto recs = records_of(r->call_id);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0]["type"], "call.intent");
  EXPECT_EQ(recs[0]["decision"]["rule"], "read-shop");
  EXPECT_EQ(recs[0]["statement"]["tables"], nlohmann::json::array({"shop.customers"}));
  EXPECT_EQ(recs[1]["type"], "call.outcome");
  EXPECT_EQ(recs[1]["status"], "ok");
  EXPECT_EQ(recs[1]["rows"], 2);
  EXPECT_EQ(recs[1]["masked_columns"][0]["rule"], "pii-email");
  // The decision's limits reached the database, lowered by the caller's max_rows.
  const auto executed = database_.executed();
  ASSERT_EQ(executed.size(), 1u);
  EXPECT_EQ(executed[0].options.max_rows, 10u);
  EXPECT_EQ(executed[0].options.timeout_ms, 3000u);
  EXPECT_TRUE(executed[0].options.read_only);
  EXPECT_EQ(database_.leased(), 0u);
}

TEST_F(GuardTest, SessionEffectsProvenFromTheAnalysisReachTheConnection) {
  // A plain read: the connection may skip both resets (policy/session_effects.h).
  ASSERT_TRUE(guard_->run_sql(call("1"), "SELECT id, total FROM orders WHERE id = 1", 10).has_value());
  // Reads what an earlier statement left behind: reset before, not after.
  ASSERT_TRUE(guard_->run_sql(call("2"), "SELECT id FROM orders WHERE id = ROW_COUNT()", 10).has_value());
  // Changes session state (LAST_INSERT_ID(expr)) and reads it: reset before and after.
  ASSERT_TRUE(guard_->run_sql(call("3"), "SELECT LAST_INSERT_ID(7) FROM orders", 10).has_value());
  const auto executed = database_.executed();
  ASSERT_EQ(executed.size(), 3u);
  EXPECT_TRUE(executed[0].options.leaves_session_unchanged);
  EXPECT_TRUE(executed[0].options.ignores_session_residue);
  EXPECT_TRUE(executed[1].options.leaves_session_unchanged);
  EXPECT_FALSE(executed[1].options.ignores_session_residue);
  EXPECT_FALSE(executed[2].options.leaves_session_unchanged);
  EXPECT_FALSE(executed[2].options.ignores_session_residue);
}

TEST_F(GuardTest, RefusedStatementsNeverReachTheDatabase) {
  for (const char* sql : {"DROP TABLE shop.customers", "SELECT * FROM mysql.user", "SELECT id FROM v_hidden",
                          "SELECT 1; DROP TABLE shop.orders"}) {
    auto r = guard_->run_sql(call(), sql, std::nullopt);
    ASSERT_FALSE(r.has_value()) << sql;
    EXPECT_EQ(r.error().error.code, ErrorCode::kRefused) << sql;
    ASSERT_FALSE(r.error().call_id.empty()) << sql;
    const auto recs = records_of(r.error().call_id);
    ASSERT_EQ(recs.size(), 2u) << sql;
    EXPECT_EQ(recs[0]["decision"]["action"], "deny") << sql;
    EXPECT_EQ(recs[1]["status"], "refused") << sql;
  }
  // The hidden view is refused by the catalog step, not by a rule.
  EXPECT_EQ(audit_.of_type("call.intent")[2]["decision"]["rule"], "builtin:catalog");
  EXPECT_TRUE(database_.executed().empty());
  EXPECT_EQ(database_.leased(), 0u);
}

TEST_F(GuardTest, RetriesOnceOnAConnectionLostBeforeTheStatementAndGivesEveryConnectionBack) {
  int attempts = 0;
  database_.on_execute = [&](std::string_view, FakeConnection& c) -> common::Result<common::ResultSet> {
    if (++attempts == 1) {
      c.broken_ = true;
      return std::unexpected(lost_before_statement());
    }
    return customer_emails();
  };
  auto r = guard_->run_sql(call(), "SELECT email FROM customers", std::nullopt);
  ASSERT_TRUE(r.has_value()) << r.error().error.message;
  const auto executed = database_.executed();
  ASSERT_EQ(executed.size(), 2u);
  EXPECT_NE(executed[0].thread_id, executed[1].thread_id);  // on a new connection
  EXPECT_EQ(database_.leased(), 0u) << "a connection was dropped without being given back to its source";
  // Lost after the statement was sent: no retry (it may have run).
  attempts = 0;
  database_.on_execute = [&](std::string_view, FakeConnection& c) -> common::Result<common::ResultSet> {
    ++attempts;
    c.broken_ = true;
    return std::unexpected(common::Error{ErrorCode::kUnavailable, "lost"});
  };
  auto lost = guard_->run_sql(call(), "SELECT email FROM customers", std::nullopt);
  ASSERT_FALSE(lost.has_value());
  EXPECT_EQ(lost.error().error.code, ErrorCode::kUnavailable);
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(database_.leased(), 0u);
}

TEST_F(GuardTest, CancellationKillsTheRunningStatementServerSide) {
  std::latch started(1);
  database_.on_execute = [&](std::string_view, FakeConnection& c) -> common::Result<common::ResultSet> {
    started.count_down();
    database_.wait_for_kill(c.thread_id());
    return std::unexpected(
        common::Error{ErrorCode::kDatabase, "Query execution was interrupted", 1317, "70100"});
  };
  std::stop_source stop;
  CallInfo c = call();
  c.cancel = stop.get_token();
  std::thread canceller([&] {
    started.wait();
    stop.request_stop();
  });
  auto r = guard_->run_sql(c, "SELECT email FROM customers", std::nullopt);
  canceller.join();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().error.code, ErrorCode::kCancelled);
  ASSERT_EQ(database_.killed().size(), 1u);
  EXPECT_EQ(database_.killed()[0], database_.executed()[0].thread_id);
  const auto recs = records_of(r.error().call_id);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1]["error_class"], "cancelled");
  EXPECT_EQ(database_.leased(), 0u);
}

TEST_F(GuardTest, ACallCancelledBeforeItRunsIsRecordedAndNeverExecuted) {
  std::stop_source stop;
  stop.request_stop();
  CallInfo c = call();
  c.cancel = stop.get_token();
  auto r = guard_->run_sql(c, "SELECT email FROM customers", std::nullopt);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().error.code, ErrorCode::kCancelled);
  EXPECT_TRUE(database_.executed().empty());
  EXPECT_EQ(records_of(r.error().call_id).size(), 2u);
}

TEST_F(GuardTest, NothingRunsWhenTheIntentCannotBeRecorded) {
  audit_.accept = [](const nlohmann::json&) { return false; };
  auto r = guard_->run_sql(call(), "SELECT email FROM customers", std::nullopt);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().error.code, ErrorCode::kAuditFailure);
  // While the log is down, calls are refused before analysis, and counted.
  auto again = guard_->run_sql(call("2"), "SELECT email FROM customers", std::nullopt);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().error.code, ErrorCode::kAuditFailure);
  EXPECT_EQ(audit_.refusals(), 1);
  EXPECT_TRUE(database_.executed().empty());
  EXPECT_TRUE(audit_.records().empty());
}

TEST_F(GuardTest, AnOutcomeThatCannotBeWrittenIsAppendedLateOnceTheLogResumes) {
  audit_.accept = [](const nlohmann::json& e) { return e.value("type", "") != "call.outcome"; };
  auto r = guard_->run_sql(call(), "SELECT email FROM customers", std::nullopt);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().error.code, ErrorCode::kAuditFailure);  // the result is not handed out unrecorded
  EXPECT_EQ(database_.executed().size(), 1u);                 // it ran: its intent was durable
  EXPECT_EQ(guard_->deferred_outcomes(), 1u);
  const std::string first = r.error().call_id;

  audit_.heal();
  auto next = guard_->run_sql(call("2"), "SELECT email FROM customers", std::nullopt);
  ASSERT_TRUE(next.has_value()) << next.error().error.message;
  EXPECT_EQ(guard_->deferred_outcomes(), 0u);
  const auto recs = audit_.records();
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[0]["call"], first);  // intent of the first call
  EXPECT_EQ(recs[1]["call"], first);  // its outcome, late, before anything else
  EXPECT_EQ(recs[1]["type"], "call.outcome");
  EXPECT_TRUE(recs[1].contains("late"));
  EXPECT_EQ(recs[2]["call"], next->call_id);
  EXPECT_EQ(recs[3]["call"], next->call_id);
}

TEST_F(GuardTest, AnUnavailableDatabaseIsRecordedAsSuch) {
  database_.unavailable = true;
  auto r = guard_->run_sql(call(), "SELECT email FROM customers", std::nullopt);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().error.code, ErrorCode::kUnavailable);
  const auto recs = records_of(r.error().call_id);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1]["error_class"], "unavailable");
  EXPECT_EQ(recs[1]["error"].get<std::string>().find("fake-db-secret"), std::string::npos);
}

TEST_F(GuardTest, DatabaseErrorsNeverCarryTheCredential) {
  database_.on_execute = [&](std::string_view, FakeConnection&) -> common::Result<common::ResultSet> {
    return std::unexpected(common::Error{ErrorCode::kDatabase, "error near 'fake-db-secret'", 1064, "42000"});
  };
  auto r = guard_->run_sql(call(), "SELECT email FROM customers", std::nullopt);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().error.message.find("fake-db-secret"), std::string::npos) << r.error().error.message;
  for (const auto& rec : audit_.records()) EXPECT_EQ(rec.dump().find("fake-db-secret"), std::string::npos);
}

TEST_F(GuardTest, AnApprovedStatementRunsExactlyOnceEvenWhenTwoCallsRaceForIt) {
  const auto dir = test_support::make_temp_dir("guard-approvals");
  auto store = approvals::SqliteApprovalStore::open(dir / "approvals.db");
  ASSERT_TRUE(store.has_value()) << store.error().message;
  approvals::ApprovalServiceOptions o;
  o.wait = 0ms;  // answer "held" at once
  o.background = false;
  approvals::ApprovalService approvals(std::move(*store), &audit_, o);
  make_guard(&approvals);
  one_row_affected();
  const std::string sql = "UPDATE orders SET status = 'shipped' WHERE id = 7";
  CallInfo writer = call();
  writer.principal = who("agent", {"analysts"});
  auto held = guard_->run_sql(writer, sql, std::nullopt);
  ASSERT_FALSE(held.has_value());
  ASSERT_TRUE(held.error().approval.has_value());
  EXPECT_EQ(held.error().approval->state, approvals::ApprovalState::kPending);
  EXPECT_TRUE(database_.executed().empty());
  const std::string id = held.error().approval->id;

  // The same approval cannot carry a different statement.
  writer.approval_id = id;
  auto other = guard_->run_sql(writer, "UPDATE orders SET status = 'lost' WHERE id = 7", std::nullopt);
  ASSERT_FALSE(other.has_value());
  EXPECT_TRUE(database_.executed().empty());

  ASSERT_TRUE(approvals.approve(id, who("dba-1", {"dba"}), "ok").has_value());
  std::atomic<int> ran{0}, refused{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < 4; ++i) {
    racers.emplace_back([&, i] {
      CallInfo c = writer;
      c.request_id = std::to_string(10 + i);
      auto r = guard_->run_sql(c, sql, std::nullopt);
      (r.has_value() ? ran : refused)++;
    });
  }
  for (auto& t : racers) t.join();
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(refused.load(), 3);
  ASSERT_EQ(database_.executed().size(), 1u);
  EXPECT_FALSE(database_.executed()[0].options.read_only);
  EXPECT_EQ(database_.leased(), 0u);
}

TEST_F(GuardTest, ASessionSchemaResolvesUnqualifiedNamesAndIsWhereTheStatementRuns) {
  // A MySQL session after USE crm: `contacts` is crm.contacts, `orders` is crm.orders (not shop's).
  CallInfo in_crm = call();
  in_crm.schema = "crm";
  auto r = guard_->run_sql(in_crm, "SELECT id FROM contacts", 10);
  ASSERT_TRUE(r.has_value()) << r.error().error.message;
  auto recs = records_of(r->call_id);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0]["statement"]["tables"], nlohmann::json::array({"crm.contacts"}));
  EXPECT_EQ(recs[0]["statement"]["schema"], "crm");
  EXPECT_EQ(recs[0]["decision"]["rule"], "read-crm");
  auto executed = database_.executed();
  ASSERT_EQ(executed.size(), 1u);
  EXPECT_EQ(executed[0].schema, "crm") << "the connection runs it in the schema it was analysed in";

  auto other = guard_->run_sql(in_crm, "SELECT id FROM orders", 10);
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().error.code, ErrorCode::kRefused);
  EXPECT_NE(other.error().error.message.find("crm.orders"), std::string::npos) << other.error().error.message;
  EXPECT_EQ(database_.executed().size(), 1u);

  // The MCP tools leave the schema alone: the default, and no statement.schema in the record.
  auto plain = guard_->run_sql(call("2"), "SELECT id FROM orders", 10);
  ASSERT_TRUE(plain.has_value()) << plain.error().error.message;
  recs = records_of(plain->call_id);
  EXPECT_EQ(recs[0]["statement"]["tables"], nlohmann::json::array({"shop.orders"}));
  EXPECT_FALSE(recs[0]["statement"].contains("schema"));
  executed = database_.executed();
  ASSERT_EQ(executed.size(), 2u);
  EXPECT_EQ(executed[1].schema, "");
}

TEST_F(GuardTest, AHeldStatementSentAgainUsesItsApprovalOnlyInTheSameSchemaAndOnlyOnce) {
  const auto dir = test_support::make_temp_dir("guard-reuse-approvals");
  const std::string sql = "UPDATE shop.orders SET status = 'shipped' WHERE id = 7";
  approvals::ApprovalServiceOptions o;
  o.wait = 0ms;
  o.background = false;
  std::string id;
  {
    auto store = approvals::SqliteApprovalStore::open(dir / "approvals.db");
    ASSERT_TRUE(store.has_value()) << store.error().message;
    approvals::ApprovalService approvals(std::move(*store), &audit_, o);
    make_guard(&approvals);
    CallInfo c = call();
    c.reuse_held_approval = true;  // as the MySQL front door sets it
    auto held = guard_->run_sql(c, sql, std::nullopt);
    ASSERT_FALSE(held.has_value());
    ASSERT_TRUE(held.error().approval.has_value());
    id = held.error().approval->id;
    // Sent again while pending: the same request, not a second one.
    auto again = guard_->run_sql(c, sql, std::nullopt);
    ASSERT_FALSE(again.has_value());
    ASSERT_TRUE(again.error().approval.has_value());
    EXPECT_EQ(again.error().approval->id, id);
    ASSERT_TRUE(approvals.approve(id, who("dba-1", {"dba"}), "ok").has_value());
    guard_.reset();
  }
  // A new process (the store survives): the approval is found again from the store.
  auto store = approvals::SqliteApprovalStore::open(dir / "approvals.db");
  ASSERT_TRUE(store.has_value()) << store.error().message;
  approvals::ApprovalService approvals(std::move(*store), &audit_, o);
  make_guard(&approvals);
  one_row_affected();
  // Another schema is another statement: a new request there, and the id is refused there.
  CallInfo in_crm = call("2");
  in_crm.schema = "crm";
  in_crm.reuse_held_approval = true;
  auto elsewhere = guard_->run_sql(in_crm, sql, std::nullopt);
  ASSERT_FALSE(elsewhere.has_value());
  ASSERT_TRUE(elsewhere.error().approval.has_value());
  EXPECT_NE(elsewhere.error().approval->id, id);
  in_crm.approval_id = id;
  auto named = guard_->run_sql(in_crm, sql, std::nullopt);
  ASSERT_FALSE(named.has_value());
  EXPECT_NE(named.error().error.message.find("different statement"), std::string::npos)
      << named.error().error.message;
  // Another principal does not find it either.
  CallInfo stranger = call("3");
  stranger.principal = who("other-agent", {"analysts"});
  stranger.reuse_held_approval = true;
  auto theirs = guard_->run_sql(stranger, sql, std::nullopt);
  ASSERT_FALSE(theirs.has_value());
  ASSERT_TRUE(theirs.error().approval.has_value());
  EXPECT_NE(theirs.error().approval->id, id);
  EXPECT_TRUE(database_.executed().empty());

  CallInfo c = call("4");
  c.reuse_held_approval = true;
  auto ran = guard_->run_sql(c, sql, std::nullopt);
  ASSERT_TRUE(ran.has_value()) << ran.error().error.message;
  EXPECT_EQ(ran->approval_id, id);
  ASSERT_EQ(database_.executed().size(), 1u);
  auto after = guard_->run_sql(c, sql, std::nullopt);
  ASSERT_FALSE(after.has_value());
  ASSERT_TRUE(after.error().approval.has_value());
  EXPECT_NE(after.error().approval->id, id) << "a used approval is never found again";
  EXPECT_EQ(database_.executed().size(), 1u);
}

}  // namespace
}  // namespace sqlguard::guard
