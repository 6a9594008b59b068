// A small metrics registry rendered in the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/ "Text-based format"; served as
// `text/plain; version=0.0.4`): counters, gauges and histograms, each a family of series told
// apart by label values.
//
// There is no global registry: `main` creates one MetricsRegistry, hands it to the components
// that observe (MeteredAuditLog) and to the HTTP transport's GET /metrics route.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sqlguard::common {

/// Values of a series' labels, in the order of the family's label names.
using LabelValues = std::vector<std::string>;

/// One sample of a gauge computed at scrape time: label values and the value.
using GaugeSample = std::pair<LabelValues, double>;

/// Fixed histogram buckets for durations, in seconds (upper bounds, ascending; +Inf implied).
/// For tool calls: 1 ms … 60 s.
const std::vector<double>& tool_call_duration_buckets();
/// For one durable audit append (write + fdatasync): 50 µs … 1 s.
const std::vector<double>& audit_append_buckets();

/// A family of series that share a name, help text, type and label names.
/// Thread-safety: every member function is thread-safe.
class MetricFamily {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  virtual ~MetricFamily() = default;
  MetricFamily(const MetricFamily&) = delete;
  MetricFamily& operator=(const MetricFamily&) = delete;

  const std::string& name() const { return name_; }
  Type type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  /// Appends `# HELP`, `# TYPE` and every series to `out`, series ordered by label values.
  virtual void render(std::string& out) const = 0;

 protected:
  MetricFamily(std::string name, std::string help, Type type, std::vector<std::string> label_names,
               std::size_t max_series);
  /// The key of a series: `values` when it has the family's arity and the family has room for
  /// it (or already holds it); otherwise every label "_overflow" (a bounded number of series
  /// whatever the label values). Caller holds mu_.
  LabelValues key_for(const LabelValues& values, std::size_t series_count) const;
  void render_header(std::string& out) const;

  const std::string name_;
  const std::string help_;
  const Type type_;
  const std::vector<std::string> label_names_;
  const std::size_t max_series_;
  mutable std::mutex mu_;
};

/// A monotonically increasing count (Prometheus `counter`; name should end in `_total`).
class Counter final : public MetricFamily {
 public:
  /// Adds `amount` (>= 0; negative or NaN amounts are ignored) to the series `values`.
  void inc(const LabelValues& values = {}, double amount = 1);
  /// The current value of a series (0 when absent). For tests.
  double value(const LabelValues& values = {}) const;
  void render(std::string& out) const override;

 private:
  friend class MetricsRegistry;
  using MetricFamily::MetricFamily;
  std::map<LabelValues, double> series_;
};

/// A value that goes up and down (Prometheus `gauge`).
class Gauge final : public MetricFamily {
 public:
  void set(const LabelValues& values, double value);
  void add(const LabelValues& values, double amount);
  double value(const LabelValues& values = {}) const;
  void render(std::string& out) const override;

 private:
  friend class MetricsRegistry;
  using MetricFamily::MetricFamily;
  std::map<LabelValues, double> series_;
};

/// Observations counted in fixed buckets (Prometheus `histogram`: cumulative `_bucket{le=...}`
/// series ending with le="+Inf", then `_sum` and `_count`).
class Histogram final : public MetricFamily {
 public:
  /// Records one observation (seconds, for the duration histograms here). NaN is ignored.
  void observe(const LabelValues& values, double value);
  /// Number of observations of a series (0 when absent). For tests.
  std::uint64_t count(const LabelValues& values = {}) const;
  double sum(const LabelValues& values = {}) const;
  void render(std::string& out) const override;

 private:
  friend class MetricsRegistry;
  Histogram(std::string name, std::string help, std::vector<std::string> label_names, std::size_t max_series,
            std::vector<double> buckets);
  struct Series {
    std::vector<std::uint64_t> counts;  ///< per bucket (not cumulative), +Inf last
    double sum = 0;
    std::uint64_t count = 0;
  };
  const std::vector<double> buckets_;
  std::map<LabelValues, Series> series_;
};

/// Owns metric families and renders them all.
///
/// Registration (counter/gauge/histogram) validates names — metric `[a-zA-Z_:][a-zA-Z0-9_:]*`,
/// label `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`, no `le` on histograms, buckets
/// strictly ascending and finite — and throws std::invalid_argument on a bad one (a programmer
/// error). Registering the same name again returns the existing family if type, label names
/// (and buckets) match, else throws. Returned references stay valid for the registry's life.
/// A family without labels exposes its one series from registration on (value 0), as
/// Prometheus expects of counters. Each family keeps at most `max_series` series; label sets beyond that are
/// folded into one series whose labels are all "_overflow", so untrusted label values cannot grow memory.
///
/// Thread-safety: every member function is thread-safe; observing and rendering may run
/// concurrently.
class MetricsRegistry {
 public:
  static constexpr std::size_t kDefaultMaxSeries = 1000;

  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  Counter& counter(std::string name, std::string help, std::vector<std::string> label_names = {},
                   std::size_t max_series = kDefaultMaxSeries);
  Gauge& gauge(std::string name, std::string help, std::vector<std::string> label_names = {},
               std::size_t max_series = kDefaultMaxSeries);
  Histogram& histogram(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> buckets, std::size_t max_series = kDefaultMaxSeries);

  /// Every family in registration order, in the text exposition format 0.0.4 (UTF-8, lines
  /// ending in '\n').
  std::string render() const;

 private:
  MetricFamily* find(const std::string& name) const;  // caller holds mu_

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<MetricFamily>> families_;
};

/// Appends one gauge family computed at scrape time (`# HELP`, `# TYPE gauge`, samples) to
/// `out`, in the text exposition format 0.0.4. Samples whose label count differs from
/// `label_names` are skipped. Nothing is appended when `samples` is empty.
void render_gauge(std::string& out, std::string_view name, std::string_view help,
                  const std::vector<std::string>& label_names, const std::vector<GaugeSample>& samples);

/// A sample value as the exposition format writes it: shortest round-trip decimal, "+Inf",
/// "-Inf", "NaN"; locale-independent.
std::string format_metric_value(double value);

/// A label value escaped for the exposition format (backslash, double quote, line feed).
std::string escape_label_value(std::string_view value);

}  // namespace sqlguard::common
