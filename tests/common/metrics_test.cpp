// The metrics registry's Prometheus text exposition (format 0.0.4), its bounds and thread
// safety, and the MeteredAuditLog decorator's mapping from audit events to metrics.
#include "common/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

namespace sqlguard::common {
namespace {

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
  common::render_gauge(out, "sqlguard_db_connections", "Pool.", {"state"},
                       {{{"open"}, 3}, {{"leased"}, 1}, {{"bad", "arity"}, 9}});
  common::render_gauge(out, "nothing", "Skipped.", {}, {});
  EXPECT_EQ(out,
            "# HELP sqlguard_db_connections Pool.\n# TYPE sqlguard_db_connections gauge\n"
            "sqlguard_db_connections{state=\"open\"} 3\nsqlguard_db_connections{state=\"leased\"} 1\n");
}

// An in-memory AuditLog that can be told to fail.
}  // namespace
}  // namespace sqlguard::common
