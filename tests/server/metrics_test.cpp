// The metrics registry's Prometheus text exposition (format 0.0.4), its bounds and thread
// safety, and the MeteredAuditLog decorator's mapping from audit events to metrics.
#include "server/admin/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include "server/admin/metered_audit_log.h"

namespace sqlguard::server {
namespace {

using nlohmann::json;

TEST(MetricsRegistry, CounterAndGaugeExposition) {
  MetricsRegistry r;
  Counter& c = r.counter("sqlguard_tool_calls_total", "Tool calls.", {"tool", "decision"});
  c.inc({"run_sql", "allow"});
  c.inc({"run_sql", "allow"}, 2);
  c.inc({"list_tables", "allow"});
  c.inc({"run_sql", "allow"}, -5);  // ignored: counters only go up
  Gauge& g = r.gauge("sqlguard_audit_healthy", "1 when healthy.");
  g.set({}, 1);
  EXPECT_EQ(c.value({"run_sql", "allow"}), 3);
  EXPECT_EQ(r.render(),
            "# HELP sqlguard_tool_calls_total Tool calls.\n"
            "# TYPE sqlguard_tool_calls_total counter\n"
            "sqlguard_tool_calls_total{tool=\"list_tables\",decision=\"allow\"} 1\n"
            "sqlguard_tool_calls_total{tool=\"run_sql\",decision=\"allow\"} 3\n"
            "# HELP sqlguard_audit_healthy 1 when healthy.\n"
            "# TYPE sqlguard_audit_healthy gauge\n"
            "sqlguard_audit_healthy 1\n");
}

TEST(MetricsRegistry, HistogramExposition) {
  MetricsRegistry r;
  Histogram& h = r.histogram("sqlguard_x_seconds", "X.", {"status"}, {0.005, 0.5, 1});
  h.observe({"ok"}, 0.005);  // le is inclusive
  h.observe({"ok"}, 0.25);
  h.observe({"ok"}, 3);
  EXPECT_EQ(h.count({"ok"}), 3u);
  EXPECT_EQ(r.render(),
            "# HELP sqlguard_x_seconds X.\n"
            "# TYPE sqlguard_x_seconds histogram\n"
            "sqlguard_x_seconds_bucket{status=\"ok\",le=\"0.005\"} 1\n"
            "sqlguard_x_seconds_bucket{status=\"ok\",le=\"0.5\"} 2\n"
            "sqlguard_x_seconds_bucket{status=\"ok\",le=\"1\"} 2\n"
            "sqlguard_x_seconds_bucket{status=\"ok\",le=\"+Inf\"} 3\n"
            "sqlguard_x_seconds_sum{status=\"ok\"} 3.255\n"
            "sqlguard_x_seconds_count{status=\"ok\"} 3\n");
  MetricsRegistry unlabelled;
  unlabelled.histogram("a_seconds", "A.", {}, {1}).observe({}, 0.5);
  EXPECT_EQ(unlabelled.render(),
            "# HELP a_seconds A.\n# TYPE a_seconds histogram\n"
            "a_seconds_bucket{le=\"1\"} 1\na_seconds_bucket{le=\"+Inf\"} 1\n"
            "a_seconds_sum 0.5\na_seconds_count 1\n");
}

TEST(MetricsRegistry, EscapingAndValues) {
  MetricsRegistry r;
  r.counter("odd_total", "Help with \\ and\nnewline.", {"v"}).inc({"a\"b\\c\nd"});
  EXPECT_EQ(r.render(),
            "# HELP odd_total Help with \\\\ and\\nnewline.\n"
            "# TYPE odd_total counter\n"
            "odd_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
  EXPECT_EQ(format_metric_value(0), "0");
  EXPECT_EQ(format_metric_value(42), "42");
  EXPECT_EQ(format_metric_value(0.1), "0.1");
  EXPECT_EQ(format_metric_value(1e-5), "1e-05");
  EXPECT_EQ(format_metric_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_metric_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_metric_value(std::nan("")), "NaN");
}

TEST(MetricsRegistry, SeriesAreBounded) {
  MetricsRegistry r;
  Counter& c = r.counter("bounded_total", "B.", {"reason"}, 2);
  c.inc({"a"});
  c.inc({"b"});
  c.inc({"c"});
  c.inc({"d"});
  c.inc({"a"});
  c.inc({"only", "too many labels"});
  EXPECT_EQ(c.value({"a"}), 2);
  EXPECT_EQ(c.value({"_overflow"}), 3);
  EXPECT_EQ(c.value({"c"}), 0);
}

TEST(MetricsRegistry, RegistrationRules) {
  MetricsRegistry r;
  Counter& a = r.counter("same_total", "S.", {"x"});
  EXPECT_EQ(&a, &r.counter("same_total", "S.", {"x"}));
  EXPECT_THROW(r.counter("same_total", "S.", {"y"}), std::invalid_argument);
  EXPECT_THROW(r.gauge("same_total", "S."), std::invalid_argument);
  EXPECT_THROW(r.counter("1bad", "B."), std::invalid_argument);
  EXPECT_THROW(r.counter("bad-name", "B."), std::invalid_argument);
  EXPECT_THROW(r.counter("ok_total", "B.", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(r.counter("ok_total", "B.", {"a:b"}), std::invalid_argument);
  EXPECT_THROW(r.counter("ok_total", "B.", {"x", "x"}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h_seconds", "H.", {"le"}, {1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h_seconds", "H.", {}, {1, 1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h_seconds", "H.", {}, {2, 1}), std::invalid_argument);
  Histogram& h = r.histogram("h_seconds", "H.", {}, {1, 2});
  EXPECT_EQ(&h, &r.histogram("h_seconds", "H.", {}, {1, 2}));
  EXPECT_THROW(r.histogram("h_seconds", "H.", {}, {1, 3}), std::invalid_argument);
  EXPECT_NO_THROW(r.gauge("colon:name", "Recording-rule style names are valid."));
}

TEST(MetricsRegistry, ConcurrentUpdatesAndRendering) {
  MetricsRegistry r;
  Counter& c = r.counter("c_total", "C.", {"t"});
  Histogram& h = r.histogram("h_seconds", "H.", {"t"}, tool_call_duration_buckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        c.inc({t % 2 == 0 ? "even" : "odd"});
        h.observe({"x"}, 0.001 * i);
        if (i % 1000 == 0) (void)r.render();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value({"even"}) + c.value({"odd"}), 40000);
  EXPECT_EQ(h.count({"x"}), 40000u);
}

TEST(MetricsRegistry, ScrapeTimeGauges) {
  std::string out;
  render_gauge(out, "sqlguard_db_connections", "Pool.", {"state"},
               {{{"open"}, 3}, {{"leased"}, 1}, {{"bad", "arity"}, 9}});
  render_gauge(out, "nothing", "Skipped.", {}, {});
  EXPECT_EQ(out,
            "# HELP sqlguard_db_connections Pool.\n# TYPE sqlguard_db_connections gauge\n"
            "sqlguard_db_connections{state=\"open\"} 3\nsqlguard_db_connections{state=\"leased\"} 1\n");
}

// An in-memory AuditLog that can be told to fail.
class FakeAuditLog : public recorder::AuditLog {
 public:
  std::expected<recorder::AppendReceipt, std::string> append(const json& event) override {
    if (fail) {
      healthy_ = false;
      return std::unexpected(std::string("disk full"));
    }
    events.push_back(event);
    return recorder::AppendReceipt{events.size() - 1, "leaf"};
  }
  bool healthy() const override { return healthy_; }
  std::string reason() const override { return healthy_ ? "" : "disk full"; }
  std::expected<void, std::string> checkpoint() override {
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
  return {{"type", "call.intent"}, {"session", "s"}, {"call", call}, {"tool", tool},
          {"decision", {{"action", action}, {"rule", "r"}, {"reason", "because"}}}};
}

json outcome(const std::string& call, const std::string& status, int duration_us) {
  return {{"type", "call.outcome"}, {"session", "s"}, {"call", call}, {"status", status},
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
  EXPECT_NE(text.find("sqlguard_tool_calls_total{tool=\"run_sql\",decision=\"allow\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sqlguard_tool_calls_total{tool=\"run_sql\",decision=\"deny\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("sqlguard_tool_calls_total{tool=\"describe_table\",decision=\"allow\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("sqlguard_tool_call_duration_seconds_bucket{tool=\"run_sql\",status=\"ok\",le=\"0.001\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("sqlguard_tool_call_duration_seconds_bucket{tool=\"run_sql\",status=\"ok\",le=\"0.0025\"} 1\n"),
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
  EXPECT_EQ(r.error(), "disk full");
  EXPECT_FALSE(log.healthy());
  EXPECT_EQ(log.reason(), "disk full");
  EXPECT_EQ(registry.counter("sqlguard_audit_append_errors_total", "").value(), 1);
  EXPECT_EQ(registry.gauge("sqlguard_audit_healthy", "").value(), 0);
  EXPECT_EQ(registry.counter("sqlguard_tool_calls_total", "", {"tool", "decision"}).value({"run_sql", "allow"}), 0);
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
  EXPECT_EQ(registry.counter("sqlguard_tool_calls_total", "", {"tool", "decision"}).value({"unknown", "unknown"}), 1);
  Histogram& h = registry.histogram("sqlguard_tool_call_duration_seconds", "", {"tool", "status"},
                                    tool_call_duration_buckets());
  EXPECT_EQ(h.count({"unknown", "unknown"}), 1u);
}

}  // namespace
}  // namespace sqlguard::server
