#include "common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace sqlguard::common {

namespace {

bool valid_name(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

// HELP text escaping (exposition format 0.0.4: backslash and line feed).
std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void append_labels(std::string& out, const std::vector<std::string>& names, const LabelValues& values,
                   std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out.push_back('{');
  bool first = true;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (!first) out.push_back(',');
    first = false;
    out += names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out.push_back('"');
  }
  if (!extra_name.empty()) {
    if (!first) out.push_back(',');
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out.push_back('"');
  }
  out.push_back('}');
}

void append_sample(std::string& out, std::string_view name, const std::vector<std::string>& label_names,
                   const LabelValues& values, double value, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  out += name;
  append_labels(out, label_names, values, extra_name, extra_value);
  out.push_back(' ');
  out += format_metric_value(value);
  out.push_back('\n');
}

const char* type_name(MetricFamily::Type type) {
  switch (type) {
    case MetricFamily::Type::kCounter: return "counter";
    case MetricFamily::Type::kGauge: return "gauge";
    case MetricFamily::Type::kHistogram: return "histogram";
  }
  return "untyped";
}

void validate(const std::string& name, const std::vector<std::string>& label_names, bool histogram) {
  if (!valid_name(name, true)) throw std::invalid_argument("invalid metric name: " + name);
  for (const auto& l : label_names) {
    if (!valid_name(l, false) || l.starts_with("__") || (histogram && l == "le")) {
      throw std::invalid_argument("invalid label name for " + name + ": " + l);
    }
  }
  auto sorted = label_names;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    throw std::invalid_argument("duplicate label name for " + name);
  }
}

}  // namespace

const std::vector<double>& tool_call_duration_buckets() {
  static const std::vector<double> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                               0.5,   1,      2.5,   5,    10,    30,   60};
  return kBuckets;
}

const std::vector<double>& audit_append_buckets() {
  static const std::vector<double> kBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                               0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1};
  return kBuckets;
}

std::string format_metric_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, r.ptr);
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

MetricFamily::MetricFamily(std::string name, std::string help, Type type,
                           std::vector<std::string> label_names, std::size_t max_series)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      max_series_(std::max<std::size_t>(max_series, 1)) {}

LabelValues MetricFamily::key_for(const LabelValues& values, std::size_t series_count) const {
  if (values.size() == label_names_.size() && series_count < max_series_) return values;
  return LabelValues(label_names_.size(), "_overflow");
}

void MetricFamily::render_header(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out.push_back(' ');
  out += escape_help(help_);
  out += "\n# TYPE ";
  out += name_;
  out.push_back(' ');
  out += type_name(type_);
  out.push_back('\n');
}

void Counter::inc(const LabelValues& values, double amount) {
  if (!(amount >= 0)) return;  // also NaN
  std::lock_guard lock(mu_);
  auto it = series_.find(values);
  if (it == series_.end()) it = series_.try_emplace(key_for(values, series_.size()), 0.0).first;
  it->second += amount;
}

double Counter::value(const LabelValues& values) const {
  std::lock_guard lock(mu_);
  const auto it = series_.find(values);
  return it == series_.end() ? 0.0 : it->second;
}

void Counter::render(std::string& out) const {
  std::lock_guard lock(mu_);
  render_header(out);
  for (const auto& [values, v] : series_) append_sample(out, name_, label_names_, values, v);
}

void Gauge::set(const LabelValues& values, double value) {
  std::lock_guard lock(mu_);
  auto it = series_.find(values);
  if (it == series_.end()) it = series_.try_emplace(key_for(values, series_.size()), 0.0).first;
  it->second = value;
}

void Gauge::add(const LabelValues& values, double amount) {
  std::lock_guard lock(mu_);
  auto it = series_.find(values);
  if (it == series_.end()) it = series_.try_emplace(key_for(values, series_.size()), 0.0).first;
  it->second += amount;
}

double Gauge::value(const LabelValues& values) const {
  std::lock_guard lock(mu_);
  const auto it = series_.find(values);
  return it == series_.end() ? 0.0 : it->second;
}

void Gauge::render(std::string& out) const {
  std::lock_guard lock(mu_);
  render_header(out);
  for (const auto& [values, v] : series_) append_sample(out, name_, label_names_, values, v);
}

Histogram::Histogram(std::string name, std::string help, std::vector<std::string> label_names,
                     std::size_t max_series, std::vector<double> buckets)
    : MetricFamily(std::move(name), std::move(help), Type::kHistogram, std::move(label_names), max_series),
      buckets_(std::move(buckets)) {}

void Histogram::observe(const LabelValues& values, double value) {
  if (std::isnan(value)) return;
  // Buckets are upper bounds (le = "less than or equal").
  const auto bucket =
      static_cast<std::size_t>(std::lower_bound(buckets_.begin(), buckets_.end(), value) - buckets_.begin());
  std::lock_guard lock(mu_);
  auto it = series_.find(values);
  if (it == series_.end()) {
    Series fresh;
    fresh.counts.assign(buckets_.size() + 1, 0);
    it = series_.try_emplace(key_for(values, series_.size()), std::move(fresh)).first;
  }
  ++it->second.counts[bucket];
  it->second.sum += value;
  ++it->second.count;
}

std::uint64_t Histogram::count(const LabelValues& values) const {
  std::lock_guard lock(mu_);
  const auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second.count;
}

double Histogram::sum(const LabelValues& values) const {
  std::lock_guard lock(mu_);
  const auto it = series_.find(values);
  return it == series_.end() ? 0.0 : it->second.sum;
}

void Histogram::render(std::string& out) const {
  std::lock_guard lock(mu_);
  render_header(out);
  const std::string bucket_name = name_ + "_bucket";
  for (const auto& [values, s] : series_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      cumulative += s.counts[i];
      append_sample(out, bucket_name, label_names_, values, static_cast<double>(cumulative), "le",
                    format_metric_value(buckets_[i]));
    }
    append_sample(out, bucket_name, label_names_, values, static_cast<double>(s.count), "le", "+Inf");
    append_sample(out, name_ + "_sum", label_names_, values, s.sum);
    append_sample(out, name_ + "_count", label_names_, values, static_cast<double>(s.count));
  }
}

MetricFamily* MetricsRegistry::find(const std::string& name) const {
  for (const auto& f : families_) {
    if (f->name() == name) return f.get();
  }
  return nullptr;
}

Counter& MetricsRegistry::counter(std::string name, std::string help, std::vector<std::string> label_names,
                                  std::size_t max_series) {
  validate(name, label_names, false);
  std::lock_guard lock(mu_);
  if (MetricFamily* f = find(name)) {
    auto* c = dynamic_cast<Counter*>(f);
    if (c == nullptr || c->label_names() != label_names) {
      throw std::invalid_argument("metric " + name + " already registered differently");
    }
    return *c;
  }
  auto* c = new Counter(std::move(name), std::move(help), MetricFamily::Type::kCounter,
                        std::move(label_names), max_series);
  // A family without labels has exactly one series; expose it (as 0) from the start.
  if (c->label_names().empty()) c->series_.emplace(LabelValues{}, 0.0);
  families_.emplace_back(c);
  return *c;
}

Gauge& MetricsRegistry::gauge(std::string name, std::string help, std::vector<std::string> label_names,
                              std::size_t max_series) {
  validate(name, label_names, false);
  std::lock_guard lock(mu_);
  if (MetricFamily* f = find(name)) {
    auto* g = dynamic_cast<Gauge*>(f);
    if (g == nullptr || g->label_names() != label_names) {
      throw std::invalid_argument("metric " + name + " already registered differently");
    }
    return *g;
  }
  auto* g = new Gauge(std::move(name), std::move(help), MetricFamily::Type::kGauge, std::move(label_names),
                      max_series);
  if (g->label_names().empty()) g->series_.emplace(LabelValues{}, 0.0);
  families_.emplace_back(g);
  return *g;
}

Histogram& MetricsRegistry::histogram(std::string name, std::string help,
                                      std::vector<std::string> label_names, std::vector<double> buckets,
                                      std::size_t max_series) {
  validate(name, label_names, true);
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (!std::isfinite(buckets[i]) || (i > 0 && !(buckets[i - 1] < buckets[i]))) {
      throw std::invalid_argument("histogram " + name + ": buckets must be finite and ascending");
    }
  }
  std::lock_guard lock(mu_);
  if (MetricFamily* f = find(name)) {
    auto* h = dynamic_cast<Histogram*>(f);
    if (h == nullptr || h->label_names() != label_names || h->buckets_ != buckets) {
      throw std::invalid_argument("metric " + name + " already registered differently");
    }
    return *h;
  }
  auto* h =
      new Histogram(std::move(name), std::move(help), std::move(label_names), max_series, std::move(buckets));
  if (h->label_names().empty()) {
    Histogram::Series empty;
    empty.counts.assign(h->buckets_.size() + 1, 0);
    h->series_.emplace(LabelValues{}, std::move(empty));
  }
  families_.emplace_back(h);
  return *h;
}

std::string MetricsRegistry::render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& f : families_) f->render(out);
  return out;
}

void render_gauge(std::string& out, std::string_view name, std::string_view help,
                  const std::vector<std::string>& label_names, const std::vector<GaugeSample>& samples) {
  if (samples.empty()) return;
  out += "# HELP ";
  out += name;
  out.push_back(' ');
  out += escape_help(help);
  out += "\n# TYPE ";
  out += name;
  out += " gauge\n";
  for (const auto& [values, v] : samples) {
    if (values.size() != label_names.size()) continue;
    append_sample(out, name, label_names, values, v);
  }
}

}  // namespace sqlguard::common
