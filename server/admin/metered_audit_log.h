// An AuditLog decorator that turns the events the guard records into Prometheus metrics
// (server/admin/metrics.h), so tool calls, refusals, latencies and rejected credentials are counted
// from the one place every call already passes through, durably, in order.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/metrics.h"
#include "recorder/audit_log.h"

namespace sqlguard::server {

/// Implements recorder::AuditLog by forwarding every call to `inner` unchanged and, for each
/// append, observing into `registry`:
///
/// | metric | type | labels | from |
/// |---|---|---|---|
/// | `sqlguard_tool_calls_total` | counter | tool, decision | each recorded `call.intent` (decision = its
/// `decision.action`: allow, deny, approve) | | `sqlguard_tool_call_duration_seconds` | histogram
/// (common::tool_call_duration_buckets) | tool, status | each recorded `call.outcome`: `duration_us` / 1e6;
/// tool from the intent with the same `call` id; status = `status` (ok, error, refused, ...) | |
/// `sqlguard_auth_rejections_total` | counter | reason | each recorded `auth.rejected` (`reason`, e.g.
/// expired, bad_signature) | | `sqlguard_audit_append_seconds` | histogram (common::audit_append_buckets) | —
/// | wall time of every append, successful or not | | `sqlguard_audit_append_errors_total` | counter | — |
/// appends that returned an error | | `sqlguard_audit_healthy` | gauge | — | 1 while inner.healthy(), else 0
/// (updated after every append and every healthy()) |
///
/// Events are counted only once `inner` has made them durable (a call whose intent could not be
/// recorded did not run). The call id → tool map holds at most `max_tracked_calls` entries;
/// the oldest are dropped first (an outcome whose intent was dropped is labelled tool="unknown").
/// Label values come from the records (tool names, decisions, statuses, rejection reasons); the
/// registry bounds the number of series per family.
///
/// Thread-safety: as recorder::AuditLog — every member function may be called concurrently;
/// metrics are updated after the inner append returns, outside any lock of `inner`.
class MeteredAuditLog final : public recorder::AuditLog {
 public:
  static constexpr std::size_t kDefaultMaxTrackedCalls = 4096;

  /// `inner` must not be null. `registry` must outlive this object; the families above are
  /// registered on it here (registering twice, e.g. for two logs, shares them).
  MeteredAuditLog(std::unique_ptr<recorder::AuditLog> inner, common::MetricsRegistry& registry,
                  std::size_t max_tracked_calls = kDefaultMaxTrackedCalls);

  common::Result<recorder::AppendReceipt> append(const nlohmann::json& event) override;
  common::Result<recorder::AppendReceipt> append_async(const nlohmann::json& event) override;
  /// Also refreshes `sqlguard_audit_healthy` (the guard asks before every call and /healthz on
  /// every probe, so the gauge follows a log that resumed without an append).
  bool healthy() const override { return refresh_health(); }
  void note_refusal() override { inner_->note_refusal(); }
  std::string reason() const override { return inner_->reason(); }
  common::Result<void> checkpoint() override { return inner_->checkpoint(); }
  uint64_t size() const override { return inner_->size(); }

  /// The decorated log.
  recorder::AuditLog& inner() { return *inner_; }

 private:
  /// What an event needs for its metrics, read before the event is moved into inner.
  struct Observation;

  common::Result<recorder::AppendReceipt> observed_append(const nlohmann::json& event, bool durable);
  void remember_tool(const std::string& call, const std::string& tool);
  /// inner.healthy(), written to the gauge only when it changed (hot path: once per call). Two
  /// racing callers may leave a stale value until the next call writes the current one.
  bool refresh_health() const;
  std::string take_tool(const std::string& call);

  std::unique_ptr<recorder::AuditLog> inner_;
  common::Counter& calls_;
  common::Histogram& call_duration_;
  common::Counter& auth_rejections_;
  common::Histogram& append_seconds_;
  common::Counter& append_errors_;
  common::Gauge& healthy_;
  mutable std::atomic<int> reported_health_{-1};  ///< last value written to healthy_
  const std::size_t max_tracked_calls_;

  std::mutex mu_;  ///< guards the two members below
  std::unordered_map<std::string, std::string> tool_of_call_;
  std::deque<std::string> call_order_;  ///< insertion order of tool_of_call_ keys, for eviction
};

}  // namespace sqlguard::server
