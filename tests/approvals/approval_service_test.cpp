// The approval workflow on the SQLite store: reviewers, self-approval, two approvers, denial,
// binding to principal and statement, single use, expiry, waiting (local wake-up and polling),
// decisions made without an audit log (CLI) recorded later, and the audit records.
#include "approvals/approval_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "approvals/sqlite_approval_store.h"
#include "tests/temp_dir.h"

namespace sqlguard::approvals {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Code = ApprovalError::Code;

fs::path temp_dir(const std::string& name) { return test_support::make_temp_dir(name); }

policy::Principal who(const std::string& subject, std::vector<std::string> groups) {
  policy::Principal p;
  p.subject = subject;
  p.groups = std::move(groups);
  p.auth_method = "test";
  return p;
}

/// All audit records of `dir` of the given type.
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

class ApprovalServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir("approvals");
    recorder::AuditLogOptions audit;
    audit.dir = dir_ / "audit";
    audit.checkpoint_every_records = 0;
    audit.checkpoint_every = 0ms;
    auto log = recorder::AuditLog::open(audit);
    ASSERT_TRUE(log.has_value()) << log.error().message;
    audit_ = std::move(*log);
    service_ = make_service(audit_.get());
  }

  std::unique_ptr<ApprovalService> make_service(recorder::AuditLog* audit, bool background = false) {
    auto store = SqliteApprovalStore::open(dir_ / "approvals.db");
    EXPECT_TRUE(store.has_value());
    ApprovalServiceOptions o;
    o.wait = 2000ms;
    o.expiry = 60000ms;
    o.poll_interval = 50ms;
    o.progress_interval = 50ms;
    o.reviewer_groups = {"security"};
    o.known_approver_groups = {"dba"};
    o.background = background;
    o.now_ms = [this] { return clock_.load(); };
    return std::make_unique<ApprovalService>(std::move(*store), audit, o);
  }

  NewApproval held(uint32_t required = 1, std::string sql = "UPDATE shop.orders SET status='x' WHERE id=1") {
    NewApproval n;
    n.principal = who("agent", {"analysts"});
    n.session_id = "s1";
    n.call_id = "c1";
    n.statement = sql;
    n.sha256 = "sha-" + sql;
    n.kind = "update";
    n.tables = {"shop.orders"};
    n.rule = "order-updates";
    n.reason = "order updates need a DBA";
    n.approver_groups = {"dba"};
    n.approvals_required = required;
    return n;
  }

  fs::path dir_;
  std::atomic<int64_t> clock_{1'700'000'000'000};
  std::unique_ptr<recorder::AuditLog> audit_;
  std::unique_ptr<ApprovalService> service_;
};

TEST_F(ApprovalServiceTest, ApproveThenConsumeOnce) {
  auto r = service_->create(held());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->state, ApprovalState::kPending);
  EXPECT_EQ(r->id.rfind("apr_", 0), 0u);
  EXPECT_EQ(r->expires_ms - r->created_ms, 60000);

  auto outsider = service_->approve(r->id, who("mallory", {"analysts"}), "");
  ASSERT_FALSE(outsider.has_value());
  EXPECT_EQ(outsider.error().code, Code::kForbidden);

  auto self = service_->approve(r->id, who("agent", {"analysts", "dba"}), "me");
  ASSERT_FALSE(self.has_value());
  EXPECT_EQ(self.error().code, Code::kConflict);
  EXPECT_NE(self.error().message.find("self-approval"), std::string::npos);

  auto early = service_->consume(r->id, who("agent", {}), "sha-" + held().statement);
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error().code, Code::kConflict);

  auto ok = service_->approve(r->id, who("bob", {"dba"}), "looks fine");
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_EQ(ok->state, ApprovalState::kApproved);
  auto again = service_->approve(r->id, who("carol", {"security"}), "");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, Code::kConflict);

  auto wrong_sql = service_->consume(r->id, who("agent", {}), "sha-DELETE FROM shop.orders");
  ASSERT_FALSE(wrong_sql.has_value());
  EXPECT_EQ(wrong_sql.error().code, Code::kInvalid);
  auto wrong_principal = service_->consume(r->id, who("other-agent", {}), "sha-" + held().statement);
  ASSERT_FALSE(wrong_principal.has_value());
  EXPECT_EQ(wrong_principal.error().code, Code::kInvalid);

  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      if (service_->consume(r->id, who("agent", {}), "sha-" + held().statement)) ++winners;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
  auto used = service_->get(r->id);
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(used->state, ApprovalState::kUsed);

  const auto requests = records(dir_ / "audit", "approval.request");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0]["approval"], r->id);
  EXPECT_EQ(requests[0]["call"], "c1");
  EXPECT_EQ(requests[0]["statement"]["text"], held().statement);
  const auto decisions = records(dir_ / "audit", "approval.decision");
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0]["decision"], "approve");
  EXPECT_EQ(decisions[0]["approver"]["subject"], "bob");
  EXPECT_EQ(decisions[0]["comment"], "looks fine");
}

TEST_F(ApprovalServiceTest, TwoDistinctApproversWhenRequired) {
  auto r = service_->create(held(2));
  ASSERT_TRUE(r.has_value());
  auto first = service_->approve(r->id, who("bob", {"dba"}), "one");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->state, ApprovalState::kPending);
  auto twice = service_->approve(r->id, who("bob", {"dba"}), "two");
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code, Code::kConflict);
  auto second = service_->approve(r->id, who("carol", {"security"}), "");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->state, ApprovalState::kApproved);
  EXPECT_EQ(second->approvals.size(), 2u);
}

TEST_F(ApprovalServiceTest, DenialCarriesTheComment) {
  auto r = service_->create(held());
  ASSERT_TRUE(r.has_value());
  auto denied = service_->deny(r->id, who("bob", {"dba"}), "use a WHERE on customer_id");
  ASSERT_TRUE(denied.has_value());
  EXPECT_EQ(denied->state, ApprovalState::kDenied);
  ASSERT_TRUE(denied->denial.has_value());
  EXPECT_EQ(denied->denial->comment, "use a WHERE on customer_id");
  auto late = service_->approve(r->id, who("carol", {"dba"}), "");
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, Code::kConflict);
  auto consume = service_->consume(r->id, who("agent", {}), "sha-" + held().statement);
  EXPECT_FALSE(consume.has_value());
  EXPECT_FALSE(service_->deny("apr_missing", who("bob", {"dba"}), "").has_value());
  EXPECT_EQ(service_->deny("apr_missing", who("bob", {"dba"}), "").error().code, Code::kNotFound);
  EXPECT_EQ(service_->deny(r->id, who("bob", {"dba"}), std::string(5000, 'x')).error().code, Code::kInvalid);
}

TEST_F(ApprovalServiceTest, ExpiryAppliesToPendingAndUnusedApprovals) {
  auto pending = service_->create(held());
  auto approved = service_->create(held(1, "UPDATE shop.orders SET status='y' WHERE id=2"));
  ASSERT_TRUE(pending && approved);
  ASSERT_TRUE(service_->approve(approved->id, who("bob", {"dba"}), "").has_value());
  clock_ += 60001;
  EXPECT_EQ(service_->get(pending->id)->state, ApprovalState::kExpired);
  EXPECT_EQ(service_->get(approved->id)->state, ApprovalState::kExpired);
  EXPECT_EQ(service_->approve(pending->id, who("bob", {"dba"}), "").error().code, Code::kConflict);
  auto consume =
      service_->consume(approved->id, who("agent", {}), "sha-UPDATE shop.orders SET status='y' WHERE id=2");
  ASSERT_FALSE(consume.has_value());
  EXPECT_EQ(consume.error().code, Code::kConflict);
  EXPECT_EQ(service_->sweep(), 2u);
  EXPECT_EQ(service_->sweep(), 0u);
  auto expired = service_->list(ApprovalState::kExpired);
  ASSERT_TRUE(expired.has_value());
  EXPECT_EQ(expired->size(), 2u);
  size_t expiries = 0;
  for (const auto& d : records(dir_ / "audit", "approval.decision")) expiries += d["decision"] == "expire";
  EXPECT_EQ(expiries, 2u);
}

TEST_F(ApprovalServiceTest, WaitWakesOnALocalDecisionAndSendsProgress) {
  auto r = service_->create(held());
  ASSERT_TRUE(r.has_value());
  std::atomic<int> progress{0};
  std::thread reviewer([&] {
    std::this_thread::sleep_for(300ms);
    ASSERT_TRUE(service_->approve(r->id, who("bob", {"dba"}), "").has_value());
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto w = service_->wait(r->id, {}, [&](double, double total, std::string_view msg) {
    ++progress;
    EXPECT_EQ(total, 2000.0);
    EXPECT_NE(msg.find(r->id), std::string_view::npos);
  });
  reviewer.join();
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->state, ApprovalState::kApproved);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
  EXPECT_GE(progress.load(), 1);
}

TEST_F(ApprovalServiceTest, WaitTimesOutPendingAndStopsOnCancel) {
  auto r = service_->create(held());
  ASSERT_TRUE(r.has_value());
  auto w = service_->wait(r->id, {}, nullptr, 200ms);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->state, ApprovalState::kPending);
  std::stop_source stop;
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    stop.request_stop();
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto c = service_->wait(r->id, stop.get_token(), nullptr, 5000ms);
  canceller.join();
  ASSERT_TRUE(c.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2000ms);
}

TEST_F(ApprovalServiceTest, DecisionsFromAnotherProcessAreSeenAndRecorded) {
  auto r = service_->create(held());
  ASSERT_TRUE(r.has_value());
  // The CLI: same store, no audit log, no background threads.
  auto cli = make_service(nullptr);
  std::thread reviewer([&] {
    std::this_thread::sleep_for(200ms);
    auto a = cli->approve(r->id, who("bob", {"dba"}), "via cli");
    EXPECT_TRUE(a.has_value());
  });
  auto w = service_->wait(r->id, {}, nullptr);  // polls the store
  reviewer.join();
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->state, ApprovalState::kApproved);
  auto decisions = records(dir_ / "audit", "approval.decision");
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0]["approver"]["subject"], "bob");
  EXPECT_EQ(decisions[0]["comment"], "via cli");
  EXPECT_EQ(service_->sweep(), 0u) << "recorded twice";

  // A CLI denial nobody waits for is recorded by the sweeper.
  auto r2 = service_->create(held(1, "UPDATE shop.orders SET status='z' WHERE id=3"));
  ASSERT_TRUE(r2.has_value());
  ASSERT_TRUE(cli->deny(r2->id, who("carol", {"security"}), "no").has_value());
  EXPECT_EQ(service_->sweep(), 1u);
  decisions = records(dir_ / "audit", "approval.decision");
  ASSERT_EQ(decisions.size(), 2u);
  EXPECT_EQ(decisions[1]["decision"], "deny");
  EXPECT_EQ(decisions[1]["via"], "sweep");
}

TEST_F(ApprovalServiceTest, ReviewerChecks) {
  ApprovalRequest r;
  r.approver_groups = {"dba"};
  EXPECT_TRUE(service_->is_reviewer_for(who("x", {"dba"}), r));
  EXPECT_TRUE(service_->is_reviewer_for(who("x", {"security"}), r));
  EXPECT_FALSE(service_->is_reviewer_for(who("x", {"analysts"}), r));
  EXPECT_TRUE(service_->is_reviewer(who("x", {"dba"})));
  EXPECT_FALSE(service_->is_reviewer(who("x", {"analysts"})));
}

TEST_F(ApprovalServiceTest, NotifiesNewRequestsOffThePath) {
  auto store = SqliteApprovalStore::open(dir_ / "notify.db");
  ASSERT_TRUE(store.has_value());
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> seen;
  ApprovalServiceOptions o;
  o.background = false;
  o.on_created = [&](const ApprovalRequest& r) {
    std::lock_guard lock(m);
    seen.push_back(r.id);
    cv.notify_all();
  };
  ApprovalService s(std::move(*store), nullptr, o);
  auto r = s.create(held());
  ASSERT_TRUE(r.has_value());
  std::unique_lock lock(m);
  ASSERT_TRUE(cv.wait_for(lock, 2s, [&] { return !seen.empty(); }));
  EXPECT_EQ(seen[0], r->id);
}

}  // namespace
}  // namespace sqlguard::approvals
