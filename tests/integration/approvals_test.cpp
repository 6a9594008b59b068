// Just-in-time approvals end to end against MariaDB: a held UPDATE runs once another principal
// approves it, self-approval is refused, an approval only runs its exact statement for its
// principal and only once, denials carry the comment, approvals expire, and two sqlguard
// instances sharing a MariaDB approval store execute a statement held on one and approved
// through the other exactly once.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "approvals/mariadb_approval_store.h"
#include "mariadb_fixture.h"
#include "server/cli/app.h"
#include "server/config/config.h"

namespace sqlguard {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::MariaDbFixture;

const char* kPolicy =
    "policy:\n"
    "  defaults: {max_rows: 100, timeout_ms: 5000}\n"
    "  rules:\n"
    "    - {id: read-shop, action: allow, principals: {groups: [analysts]}, kinds: [select], tables: "
    "['shop.*']}\n"
    "    - {id: order-updates, action: approve, kinds: [update], tables: [shop.orders], approvers: [dba]}\n"
    "    - {id: product-updates, action: approve, kinds: [update], tables: [shop.products], approvers: "
    "[dba], approvals_required: 2}\n";

/// The shared approval store's account and schema (created once).
fs::path shared_store_password_file() {
  static const fs::path file = [] {
    auto& db = MariaDbFixture::instance();
    EXPECT_EQ(db.root_script(
                  "CREATE DATABASE IF NOT EXISTS sqlguard_meta;\n"
                  "CREATE USER IF NOT EXISTS 'sqlguard_approvals'@'localhost' IDENTIFIED BY 'appr-pw-123';\n"
                  "GRANT ALL ON sqlguard_meta.* TO 'sqlguard_approvals'@'localhost';\n"),
              0);
    fs::path f = db.dir() / "approvals-password";
    std::ofstream(f) << "appr-pw-123\n";
    ::chmod(f.c_str(), 0600);
    return f;
  }();
  return file;
}

/// A config for the fixture's database with an approvals: section. `store_yaml` is the
/// approvals.store mapping (YAML flow text).
server::Config make_config(const fs::path& dir, const std::string& store_yaml, uint32_t wait_ms,
                           uint32_t expiry_s = 3600) {
  auto& db = MariaDbFixture::instance();
  std::ofstream(dir / "sqlguard.yaml")
      << "database:\n"
      << "  socket: " << db.socket() << "\n"
      << "  user: sqlguard_agent\n"
      << "  password_file: " << db.password_file().string() << "\n"
      << "  database: shop\n"
      << "stdio:\n  principal: {subject: it-agent, groups: [analysts, dba]}\n"
      << kPolicy << "audit:\n  dir: " << (dir / "audit").string() << "\n  origin: it.sqlguard/"
      << dir.filename().string() << "\n"
      << "approvals:\n"
      << "  store: " << store_yaml << "\n"
      << "  wait_ms: " << wait_ms << "\n"
      << "  expiry_s: " << expiry_s << "\n"
      << "  reviewer_groups: [security]\n";
  auto config = server::load_config(dir / "sqlguard.yaml");
  EXPECT_TRUE(config.has_value()) << config.error().message;
  return config.value_or(server::Config{});
}

std::string shared_store_yaml() {
  return "{type: mariadb, socket: " + MariaDbFixture::instance().socket() +
         ", user: sqlguard_approvals, password_file: " + shared_store_password_file().string() +
         ", database: sqlguard_meta}";
}

policy::Principal who(const std::string& subject, std::vector<std::string> groups) {
  policy::Principal p;
  p.subject = subject;
  p.groups = std::move(groups);
  p.auth_method = "test";
  return p;
}

std::vector<nlohmann::json> records(const fs::path& dir, const std::string& type) {
  std::vector<nlohmann::json> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".jsonl") continue;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.value("type", "") == type) out.push_back(j);
    }
  }
  return out;
}

std::string scalar(const std::string& sql) {
  auto rs = MariaDbFixture::instance().root_query(sql);
  return rs.rows.empty() || !rs.rows[0][0] ? "" : *rs.rows[0][0];
}

guard::CallInfo call(const std::string& subject = "it-agent", std::string approval_id = "") {
  guard::CallInfo c;
  c.principal = who(subject, {"analysts", "dba"});
  c.principal.auth_method = "config";
  c.session_id = "it-approvals";
  c.request_id = "1";
  c.transport = "stdio";
  c.tool = "run_sql";
  c.approval_id = std::move(approval_id);
  return c;
}

/// Polls `service` until a pending request for `sql` appears; returns its id ("" after 10 s).
std::string pending_id(approvals::ApprovalService& service, const std::string& sql) {
  for (int i = 0; i < 200; ++i) {
    auto list = service.list(approvals::ApprovalState::kPending);
    if (list) {
      for (const auto& r : *list) {
        if (r.statement == sql) return r.id;
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  return "";
}

class ApprovalsIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    MariaDbFixture::instance().reset_data();
    dir_ = testing::temp_dir("approvals");
  }

  std::unique_ptr<server::App> app(const server::Config& config) {
    auto a = server::App::create(config);
    EXPECT_TRUE(a.has_value()) << (a ? "" : a.error().message);
    return a ? std::move(*a) : nullptr;
  }

  fs::path dir_;
};

TEST_F(ApprovalsIntegration, HeldCallRunsWhenAnotherPrincipalApproves) {
  auto a = app(make_config(dir_, "{type: sqlite, path: " + (dir_ / "approvals.db").string() + "}", 15000));
  ASSERT_TRUE(a && a->approvals());
  const std::string sql = "UPDATE orders SET status = 'cancelled' WHERE id = 1";
  std::atomic<int> progress{0};
  auto info = call();
  info.progress = [&](double, double, std::string_view) { ++progress; };
  auto pending = std::async(std::launch::async, [&] { return a->guard().run_sql(info, sql, std::nullopt); });
  const std::string id = pending_id(*a->approvals(), sql);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(scalar("SELECT status FROM shop.orders WHERE id = 1"), "delivered") << "ran before approval";

  // The requester is in dba too, but may not approve their own statement.
  auto self = a->approvals()->approve(id, who("it-agent", {"dba"}), "");
  ASSERT_FALSE(self.has_value());
  EXPECT_EQ(self.error().code, approvals::ApprovalError::Code::kConflict);
  std::this_thread::sleep_for(2200ms);  // one progress notification
  auto ok = a->approvals()->approve(id, who("bob", {"dba"}), "ticket OPS-1");
  ASSERT_TRUE(ok.has_value()) << ok.error().message;

  ASSERT_EQ(pending.wait_for(10s), std::future_status::ready);
  auto r = pending.get();
  ASSERT_TRUE(r.has_value()) << r.error().error.message;
  EXPECT_EQ(r->result.affected_rows, 1u);
  EXPECT_EQ(r->approval_id, id);
  EXPECT_GE(progress.load(), 1);
  EXPECT_EQ(scalar("SELECT status FROM shop.orders WHERE id = 1"), "cancelled");
  EXPECT_EQ(a->approvals()->get(id)->state, approvals::ApprovalState::kUsed);

  const auto intents = records(dir_ / "audit", "call.intent");
  bool found = false;
  for (const auto& i : intents) {
    if (i.contains("approval") && i["approval"].value("id", "") == id &&
        i["approval"].contains("approvers")) {
      EXPECT_EQ(i["approval"]["approvers"], nlohmann::json::array({"bob"}));
      found = true;
    }
  }
  EXPECT_TRUE(found) << "the executed call's intent names the approval";
  EXPECT_EQ(records(dir_ / "audit", "approval.request").size(), 1u);
  EXPECT_EQ(records(dir_ / "audit", "approval.decision").size(), 1u);
}

TEST_F(ApprovalsIntegration, ApprovalIdRunsOnlyItsStatementForItsPrincipalOnce) {
  auto a = app(make_config(dir_, "{type: sqlite, path: " + (dir_ / "approvals.db").string() + "}", 200));
  ASSERT_TRUE(a);
  const std::string sql = "UPDATE orders SET quantity = quantity + 1 WHERE id = 2";
  const std::string before = scalar("SELECT quantity FROM shop.orders WHERE id = 2");
  auto held = a->guard().run_sql(call(), sql, std::nullopt);
  ASSERT_FALSE(held.has_value());
  ASSERT_TRUE(held.error().approval.has_value());
  const std::string id = held.error().approval->id;
  EXPECT_EQ(held.error().approval->state, approvals::ApprovalState::kPending);
  const std::string& text = held.error().error.message;
  EXPECT_NE(text.find("held for approval"), std::string::npos) << text;
  EXPECT_NE(text.find(id), std::string::npos) << text;
  EXPECT_NE(text.find("pending"), std::string::npos) << text;
  EXPECT_NE(text.find("approval_id"), std::string::npos) << text;

  // Still pending: a call with the id waits again and stays held.
  auto still = a->guard().run_sql(call("it-agent", id), sql, std::nullopt);
  ASSERT_FALSE(still.has_value());
  ASSERT_TRUE(a->approvals()->approve(id, who("carol", {"security"}), "").has_value());

  auto other_sql =
      a->guard().run_sql(call("it-agent", id), "UPDATE orders SET quantity = 0 WHERE id = 2", std::nullopt);
  ASSERT_FALSE(other_sql.has_value());
  EXPECT_NE(other_sql.error().error.message.find("different statement"), std::string::npos);
  auto other_principal = a->guard().run_sql(call("someone-else", id), sql, std::nullopt);
  ASSERT_FALSE(other_principal.has_value());
  EXPECT_EQ(scalar("SELECT quantity FROM shop.orders WHERE id = 2"), before);

  auto ran = a->guard().run_sql(call("it-agent", id), sql, std::nullopt);
  ASSERT_TRUE(ran.has_value()) << ran.error().error.message;
  auto again = a->guard().run_sql(call("it-agent", id), sql, std::nullopt);
  ASSERT_FALSE(again.has_value());
  EXPECT_NE(again.error().error.message.find("already used"), std::string::npos)
      << again.error().error.message;
  EXPECT_EQ(std::stoi(scalar("SELECT quantity FROM shop.orders WHERE id = 2")), std::stoi(before) + 1);
}

TEST_F(ApprovalsIntegration, DenialReturnsTheComment) {
  auto a = app(make_config(dir_, "{type: sqlite, path: " + (dir_ / "approvals.db").string() + "}", 10000));
  ASSERT_TRUE(a);
  const std::string sql = "UPDATE orders SET status = 'lost' WHERE id = 3";
  auto pending =
      std::async(std::launch::async, [&] { return a->guard().run_sql(call(), sql, std::nullopt); });
  const std::string id = pending_id(*a->approvals(), sql);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(
      a->approvals()->deny(id, who("bob", {"dba"}), "orders are never 'lost'; use 'cancelled'").has_value());
  auto r = pending.get();
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().error.message.find("denied by bob"), std::string::npos) << r.error().error.message;
  EXPECT_NE(r.error().error.message.find("use 'cancelled'"), std::string::npos) << r.error().error.message;
  ASSERT_TRUE(r.error().approval.has_value());
  EXPECT_EQ(r.error().approval->state, approvals::ApprovalState::kDenied);
  EXPECT_NE(scalar("SELECT status FROM shop.orders WHERE id = 3"), "lost");
}

TEST_F(ApprovalsIntegration, TwoApproversAndExpiry) {
  auto a = app(make_config(dir_, "{type: sqlite, path: " + (dir_ / "approvals.db").string() + "}", 100, 2));
  ASSERT_TRUE(a);
  const std::string sql = "UPDATE products SET price = price WHERE id = 1";
  auto held = a->guard().run_sql(call(), sql, std::nullopt);
  ASSERT_FALSE(held.has_value());
  ASSERT_TRUE(held.error().approval.has_value());
  const std::string id = held.error().approval->id;
  EXPECT_EQ(a->approvals()->get(id)->approvals_required, 2u);
  ASSERT_TRUE(a->approvals()->approve(id, who("bob", {"dba"}), "").has_value());
  EXPECT_FALSE(a->guard().run_sql(call("it-agent", id), sql, std::nullopt).has_value())
      << "one of two approvals ran it";
  ASSERT_TRUE(a->approvals()->approve(id, who("carol", {"dba"}), "").has_value());
  // Approved: it runs (the agent account has no UPDATE grant on products: the database refuses,
  // which shows the statement was sent; the approval is used either way).
  auto ran = a->guard().run_sql(call("it-agent", id), sql, std::nullopt);
  if (!ran) {
    EXPECT_EQ(ran.error().error.code, common::ErrorCode::kDatabase) << ran.error().error.message;
  }
  EXPECT_EQ(a->approvals()->get(id)->state, approvals::ApprovalState::kUsed);

  // Expiry (2 s): a request nobody decided cannot be approved or run afterwards.
  const std::string sql2 = "UPDATE orders SET status = 'shipped' WHERE id = 4";
  auto held2 = a->guard().run_sql(call(), sql2, std::nullopt);
  ASSERT_FALSE(held2.has_value());
  const std::string id2 = held2.error().approval->id;
  std::this_thread::sleep_for(2100ms);
  auto late = a->approvals()->approve(id2, who("bob", {"dba"}), "");
  ASSERT_FALSE(late.has_value());
  EXPECT_NE(late.error().message.find("expired"), std::string::npos);
  auto expired = a->guard().run_sql(call("it-agent", id2), sql2, std::nullopt);
  ASSERT_FALSE(expired.has_value());
  EXPECT_NE(expired.error().error.message.find("expired"), std::string::npos);
}

TEST_F(ApprovalsIntegration, MariaDbStoreConditionalUpdatesAndSingleUse) {
  db::DatabaseEndpoint ep;
  ep.socket = MariaDbFixture::instance().socket();
  ep.user = "sqlguard_approvals";
  ep.password = "appr-pw-123";
  ep.database = "sqlguard_meta";
  (void)shared_store_password_file();
  auto store = approvals::MariaDbApprovalStore::open(ep);
  ASSERT_TRUE(store.has_value()) << store.error().message;
  approvals::ApprovalRequest r;
  r.id = "apr_it_store_" + std::to_string(::getpid());
  r.principal = who("agent", {"analysts"});
  r.statement = "UPDATE t SET a = 'it''s \\ é' WHERE id = 1";
  r.sha256 = "x";
  r.created_ms = 1000;
  r.expires_ms = 4'000'000'000'000;
  const uint64_t pending_before = (*store)->count_pending(2000).value();  // other tests share the table
  ASSERT_TRUE((*store)->insert(r).has_value());
  EXPECT_EQ((*store)->count_pending(2000).value(), pending_before + 1);
  auto got = (*store)->get(r.id);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->statement, r.statement);
  approvals::ApprovalRequest approved = r;
  approved.state = approvals::ApprovalState::kApproved;
  EXPECT_TRUE(*(*store)->update(approved, 0, approvals::ApprovalState::kPending));
  EXPECT_FALSE(*(*store)->update(approved, 0, approvals::ApprovalState::kPending)) << "stale version won";
  EXPECT_EQ((*store)->count_pending(2000).value(), pending_before) << "approved is not pending";
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      auto s = approvals::MariaDbApprovalStore::open(ep);  // separate connections, as separate instances
      if (s) {
        auto won = (*s)->consume(r.id, 2000);
        if (won && *won) ++winners;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ((*(*store)->get(r.id))->state, approvals::ApprovalState::kUsed);
  auto bad = ep;
  bad.password = "wrong-password-xyz";
  auto refused = approvals::MariaDbApprovalStore::open(bad);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message.find("wrong-password-xyz"), std::string::npos);
}

TEST_F(ApprovalsIntegration, TwoInstancesShareOneMariaDbStore) {
  fs::create_directories(dir_ / "a");
  fs::create_directories(dir_ / "b");
  auto a = app(make_config(dir_ / "a", shared_store_yaml(), 15000));
  auto b = app(make_config(dir_ / "b", shared_store_yaml(), 15000));
  ASSERT_TRUE(a && b);
  const std::string sql = "UPDATE orders SET quantity = quantity + 10 WHERE id = 5";
  const int before = std::stoi(scalar("SELECT quantity FROM shop.orders WHERE id = 5"));
  auto held_on_a =
      std::async(std::launch::async, [&] { return a->guard().run_sql(call(), sql, std::nullopt); });
  const std::string id = pending_id(*b->approvals(), sql);  // seen through B
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(b->approvals()->approve(id, who("bob", {"dba"}), "approved on B").has_value());
  // Meanwhile the agent also retries through B with the id: only one of the two executes.
  auto retry_on_b = std::async(std::launch::async,
                               [&] { return b->guard().run_sql(call("it-agent", id), sql, std::nullopt); });
  ASSERT_EQ(held_on_a.wait_for(10s), std::future_status::ready) << "A did not see B's decision";
  auto ra = held_on_a.get();
  auto rb = retry_on_b.get();
  EXPECT_NE(ra.has_value(), rb.has_value()) << "executed " << (ra.has_value() + rb.has_value()) << " times";
  EXPECT_EQ(std::stoi(scalar("SELECT quantity FROM shop.orders WHERE id = 5")), before + 10);
  EXPECT_EQ(a->approvals()->get(id)->state, approvals::ApprovalState::kUsed);
  // B recorded the decision; A recorded the request (and the execution if it won).
  EXPECT_EQ(records(dir_ / "b" / "audit", "approval.decision").size(), 1u);
  EXPECT_EQ(records(dir_ / "a" / "audit", "approval.request").size(), 1u);
}

}  // namespace
}  // namespace sqlguard
