// The SQLite approval store: persistence, conditional updates (one winner), single-use consume,
// ordering, and the request document round trip.
#include "approvals/sqlite_approval_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/temp_dir.h"

namespace sqlguard::approvals {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) { return test_support::make_temp_dir(name); }

ApprovalRequest request(const std::string& id, int64_t created) {
  ApprovalRequest r;
  r.id = id;
  r.principal.subject = "agent";
  r.principal.issuer = "https://issuer";
  r.principal.groups = {"analysts"};
  r.principal.client_name = "claude-code";
  r.session_id = "s1";
  r.call_id = "c1";
  r.statement = "UPDATE orders SET status='x' WHERE id = 1 -- 'quote' \\ \xc3\xa9";
  r.sha256 = "abc=";
  r.kind = "update";
  r.tables = {"shop.orders"};
  r.rule = "order-updates";
  r.reason = "needs a DBA";
  r.approver_groups = {"dba"};
  r.approvals_required = 2;
  r.created_ms = created;
  r.expires_ms = created + 60000;
  return r;
}

TEST(SqliteApprovalStore, RoundTripAndPersistence) {
  const fs::path dir = temp_dir("store");
  {
    auto store = SqliteApprovalStore::open(dir / "a.db");
    ASSERT_TRUE(store.has_value()) << store.error().message;
    ASSERT_TRUE((*store)->insert(request("apr_1", 1000)).has_value());
    EXPECT_FALSE((*store)->insert(request("apr_1", 1000)).has_value()) << "duplicate id accepted";
  }
  EXPECT_EQ(fs::status(dir / "a.db").permissions() & fs::perms::others_read, fs::perms::none);
  auto store = SqliteApprovalStore::open(dir / "a.db");
  ASSERT_TRUE(store.has_value());
  auto got = (*store)->get("apr_1");
  ASSERT_TRUE(got.has_value() && got->has_value());
  const ApprovalRequest& r = **got;
  EXPECT_EQ(r.state, ApprovalState::kPending);
  EXPECT_EQ(r.statement, request("apr_1", 1000).statement);
  EXPECT_EQ(r.principal.issuer, "https://issuer");
  EXPECT_EQ(r.principal.client_name, "claude-code");
  EXPECT_EQ(r.tables, std::vector<std::string>{"shop.orders"});
  EXPECT_EQ(r.approvals_required, 2u);
  EXPECT_EQ(r.version, 0u);
  auto missing = (*store)->get("apr_none");
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
}

TEST(SqliteApprovalStore, ConditionalUpdateHasOneWinner) {
  auto store = SqliteApprovalStore::open(temp_dir("store") / "a.db");
  ASSERT_TRUE(store.has_value());
  ASSERT_TRUE((*store)->insert(request("apr_2", 1000)).has_value());
  ApprovalRequest a = request("apr_2", 1000);
  a.approvals.push_back({"bob", {"dba"}, "cli", "ok", 1500});
  ApprovalRequest b = request("apr_2", 1000);
  b.denial = ApprovalVote{"carol", {"dba"}, "cli", "no", 1600};
  b.state = ApprovalState::kDenied;
  auto first = (*store)->update(a, 0, ApprovalState::kPending);
  auto second = (*store)->update(b, 0, ApprovalState::kPending);
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second) << "a stale version must lose";
  auto got = (*store)->get("apr_2");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->version, 1u);
  ASSERT_EQ((*got)->approvals.size(), 1u);
  EXPECT_EQ((*got)->approvals[0].reviewer, "bob");
  EXPECT_FALSE((*got)->denial.has_value());
}

TEST(SqliteApprovalStore, ConsumeIsSingleUseAndRespectsExpiry) {
  auto store = SqliteApprovalStore::open(temp_dir("store") / "a.db");
  ASSERT_TRUE(store.has_value());
  ApprovalRequest r = request("apr_3", 1000);
  ASSERT_TRUE((*store)->insert(r).has_value());
  auto pending = (*store)->consume("apr_3", 2000);
  ASSERT_TRUE(pending.has_value());
  EXPECT_FALSE(*pending) << "a pending request cannot be consumed";
  r.state = ApprovalState::kApproved;
  ASSERT_TRUE(*(*store)->update(r, 0, ApprovalState::kPending));
  EXPECT_FALSE(*(*store)->consume("apr_3", r.expires_ms)) << "consumed at expiry";
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto won = (*store)->consume("apr_3", 2000);
      if (won && *won) ++winners;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
  auto got = (*store)->get("apr_3");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->state, ApprovalState::kUsed);
  EXPECT_EQ((*got)->used_ms, 2000);
}

TEST(SqliteApprovalStore, ListsNewestFirst) {
  auto store = SqliteApprovalStore::open(temp_dir("store") / "a.db");
  ASSERT_TRUE(store.has_value());
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE((*store)->insert(request("apr_l" + std::to_string(i), 1000 + i)).has_value());
  auto list = (*store)->list(3);
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].id, "apr_l4");
  EXPECT_EQ((*list)[2].id, "apr_l2");
}

TEST(SqliteApprovalStore, CountsPendingRequestsThatHaveNotExpired) {
  auto store = SqliteApprovalStore::open(temp_dir("store") / "a.db");
  ASSERT_TRUE(store.has_value());
  EXPECT_EQ((*store)->count_pending(0).value(), 0u);
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE((*store)->insert(request("apr_c" + std::to_string(i), 1000 * (i + 1))).has_value());
  EXPECT_EQ((*store)->count_pending(1500).value(), 4u);
  ApprovalRequest denied = request("apr_c0", 1000);
  denied.state = ApprovalState::kDenied;
  ASSERT_TRUE(*(*store)->update(denied, 0, ApprovalState::kPending));
  EXPECT_EQ((*store)->count_pending(1500).value(), 3u);
  // apr_c1 expires at 62 000 ms (created 2000 + 60 000): from then on it is not waiting.
  EXPECT_EQ((*store)->count_pending(61999).value(), 3u);
  EXPECT_EQ((*store)->count_pending(62000).value(), 2u);
}

TEST(SqliteApprovalStore, RefusesAFileThatIsNotADatabase) {
  const fs::path dir = temp_dir("store");
  {
    std::ofstream(dir / "junk.db")
        << "this is not sqlite, just text that is long enough to be a header......";
  }
  auto store = SqliteApprovalStore::open(dir / "junk.db");
  EXPECT_FALSE(store.has_value());
}

TEST(ApprovalRequest, EffectiveStateExpiresPendingAndApproved) {
  ApprovalRequest r = request("apr_e", 1000);
  EXPECT_EQ(r.effective_state(1000), ApprovalState::kPending);
  EXPECT_EQ(r.effective_state(r.expires_ms), ApprovalState::kExpired);
  r.state = ApprovalState::kApproved;
  EXPECT_EQ(r.effective_state(r.expires_ms + 1), ApprovalState::kExpired);
  r.state = ApprovalState::kUsed;
  EXPECT_EQ(r.effective_state(r.expires_ms + 1), ApprovalState::kUsed);
}

}  // namespace
}  // namespace sqlguard::approvals
