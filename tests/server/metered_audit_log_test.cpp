// MeteredAuditLog: the audit-record stream turned into Prometheus metrics.
#include "server/admin/metered_audit_log.h"
#include "common/error.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sqlguard::server {
namespace {

using common::audit_append_buckets;
using common::Histogram;
using common::MetricsRegistry;
using common::tool_call_duration_buckets;
using nlohmann::json;

class FakeAuditLog : public recorder::AuditLog {
 public:
  common::Result<recorder::AppendReceipt> append(const json& event) override {
    if (fail) {
      healthy_ = false;
      return common::fail(common::ErrorCode::kAuditFailure, "disk full");
    }
    events.push_back(event);
    return recorder::AppendReceipt{events.size() - 1, "leaf"};
  }
  bool healthy() const override { return healthy_; }
  std::string reason() const override { return healthy_ ? "" : "disk full"; }
  common::Result<void> checkpoint() override {
    ++checkpoints;
    return {};
  }
  uint64_t size() const override { return events.size(); }

  std::vector<json> events;
  bool fail = false;
  bool healthy_ = true;
  int checkpoints = 0;
};

json intent(const std::string& call, const std::string& tool, const std::string& action) {
  return {{"type", "call.intent"},
          {"session", "s"},
          {"call", call},
          {"tool", tool},
          {"decision", {{"action", action}, {"rule", "r"}, {"reason", "because"}}}};
}

json outcome(const std::string& call, const std::string& status, int duration_us) {
  return {{"type", "call.outcome"},
          {"session", "s"},
          {"call", call},
          {"status", status},
          {"duration_us", duration_us}};
}

TEST(MeteredAuditLog, ForwardsEverythingAndCountsEvents) {
  MetricsRegistry registry;
  auto fake = std::make_unique<FakeAuditLog>();
  FakeAuditLog* inner = fake.get();
  MeteredAuditLog log(std::move(fake), registry);

  ASSERT_TRUE(log.append(intent("c1", "run_sql", "allow")));
  ASSERT_TRUE(log.append(intent("c2", "run_sql", "deny")));
  ASSERT_TRUE(log.append(intent("c3", "describe_table", "allow")));
  ASSERT_TRUE(log.append(outcome("c1", "ok", 1500)));
  ASSERT_TRUE(log.append(outcome("c2", "refused", 200)));
  ASSERT_TRUE(log.append(outcome("zz", "ok", 10)));  // its intent was never seen
  ASSERT_TRUE(log.append({{"type", "auth.rejected"}, {"reason", "expired"}, {"status", 401}}));
  ASSERT_TRUE(log.append({{"type", "auth.rejected"}, {"reason", "expired"}}));
  ASSERT_TRUE(log.append({{"type", "session.start"}, {"session", "s"}}));

  // The inner log got every event unchanged.
  ASSERT_EQ(inner->events.size(), 9u);
  EXPECT_EQ(inner->events[0], intent("c1", "run_sql", "allow"));
  EXPECT_EQ(log.size(), 9u);
  EXPECT_TRUE(log.checkpoint());
  EXPECT_EQ(inner->checkpoints, 1);

  const std::string text = registry.render();
  EXPECT_NE(text.find("sqlguard_tool_calls_total{tool=\"run_sql\",decision=\"allow\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("sqlguard_tool_calls_total{tool=\"run_sql\",decision=\"deny\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("sqlguard_tool_calls_total{tool=\"describe_table\",decision=\"allow\"} 1\n"),
            std::string::npos);
  EXPECT_NE(
      text.find(
          "sqlguard_tool_call_duration_seconds_bucket{tool=\"run_sql\",status=\"ok\",le=\"0.001\"} 0\n"),
      std::string::npos);
  EXPECT_NE(
      text.find(
          "sqlguard_tool_call_duration_seconds_bucket{tool=\"run_sql\",status=\"ok\",le=\"0.0025\"} 1\n"),
      std::string::npos);
  EXPECT_NE(text.find("sqlguard_tool_call_duration_seconds_sum{tool=\"run_sql\",status=\"ok\"} 0.0015\n"),
            std::string::npos);
  EXPECT_NE(text.find("sqlguard_tool_call_duration_seconds_count{tool=\"run_sql\",status=\"refused\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("sqlguard_tool_call_duration_seconds_count{tool=\"unknown\",status=\"ok\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("sqlguard_auth_rejections_total{reason=\"expired\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("sqlguard_audit_append_seconds_count 9\n"), std::string::npos);
  EXPECT_NE(text.find("sqlguard_audit_healthy 1\n"), std::string::npos);
  EXPECT_NE(text.find("sqlguard_audit_append_errors_total 0\n"), std::string::npos);
}

TEST(MeteredAuditLog, FailuresAreCountedAndNothingElse) {
  MetricsRegistry registry;
  auto fake = std::make_unique<FakeAuditLog>();
  FakeAuditLog* inner = fake.get();
  MeteredAuditLog log(std::move(fake), registry);
  inner->fail = true;
  auto r = log.append(intent("c1", "run_sql", "allow"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "disk full");
  EXPECT_FALSE(log.healthy());
  EXPECT_EQ(log.reason(), "disk full");
  EXPECT_EQ(registry.counter("sqlguard_audit_append_errors_total", "").value(), 1);
  EXPECT_EQ(registry.gauge("sqlguard_audit_healthy", "").value(), 0);
  EXPECT_EQ(
      registry.counter("sqlguard_tool_calls_total", "", {"tool", "decision"}).value({"run_sql", "allow"}), 0);
  EXPECT_EQ(registry.histogram("sqlguard_audit_append_seconds", "", {}, audit_append_buckets()).count(), 1u);
  // The log resumes on its own (recovery probe): the gauge follows at the next healthy().
  inner->fail = false;
  inner->healthy_ = true;
  EXPECT_TRUE(log.healthy());
  EXPECT_EQ(registry.gauge("sqlguard_audit_healthy", "").value(), 1);
}

TEST(MeteredAuditLog, CallMapIsBounded) {
  MetricsRegistry registry;
  MeteredAuditLog log(std::make_unique<FakeAuditLog>(), registry, 2);
  ASSERT_TRUE(log.append(intent("c1", "list_tables", "allow")));
  ASSERT_TRUE(log.append(intent("c2", "list_tables", "allow")));
  ASSERT_TRUE(log.append(intent("c3", "list_tables", "allow")));  // evicts c1
  ASSERT_TRUE(log.append(outcome("c1", "ok", 5)));
  ASSERT_TRUE(log.append(outcome("c3", "ok", 5)));
  Histogram& h = registry.histogram("sqlguard_tool_call_duration_seconds", "", {"tool", "status"},
                                    tool_call_duration_buckets());
  EXPECT_EQ(h.count({"unknown", "ok"}), 1u);
  EXPECT_EQ(h.count({"list_tables", "ok"}), 1u);
}

TEST(MeteredAuditLog, MalformedEventsAreForwardedAndLabelledUnknown) {
  MetricsRegistry registry;
  auto fake = std::make_unique<FakeAuditLog>();
  FakeAuditLog* inner = fake.get();
  MeteredAuditLog log(std::move(fake), registry);
  ASSERT_TRUE(log.append({{"type", "call.intent"}, {"call", 7}, {"tool", 3}}));
  ASSERT_TRUE(log.append({{"type", "call.outcome"}, {"call", 7}, {"duration_us", "soon"}}));
  ASSERT_TRUE(log.append({{"type", "call.outcome"}, {"call", 7}, {"duration_us", 10}}));
  ASSERT_TRUE(log.append({{"type", 5}}));
  EXPECT_EQ(inner->events.size(), 4u);
  EXPECT_EQ(
      registry.counter("sqlguard_tool_calls_total", "", {"tool", "decision"}).value({"unknown", "unknown"}),
      1);
  Histogram& h = registry.histogram("sqlguard_tool_call_duration_seconds", "", {"tool", "status"},
                                    tool_call_duration_buckets());
  EXPECT_EQ(h.count({"unknown", "unknown"}), 1u);
}

}  // namespace
}  // namespace sqlguard::server
