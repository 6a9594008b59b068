#include "server/admin/metered_audit_log.h"

#include <chrono>
#include <optional>
#include <utility>

namespace sqlguard::server {

namespace {

std::string string_field(const nlohmann::json& object, const char* key, std::string fallback) {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

std::string call_id(const nlohmann::json& event) {
  const auto it = event.find("call");
  if (it == event.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return it->dump();
  return {};
}

}  // namespace

struct MeteredAuditLog::Observation {
  enum class Kind { kOther, kIntent, kOutcome, kAuthRejected } kind = Kind::kOther;
  std::string call;
  std::string tool;                  // intent
  std::string decision;              // intent
  std::string status;                // outcome
  std::optional<double> duration_s;  // outcome
  std::string reason;                // auth.rejected
};

MeteredAuditLog::MeteredAuditLog(std::unique_ptr<recorder::AuditLog> inner, common::MetricsRegistry& registry,
                                 std::size_t max_tracked_calls)
    : inner_(std::move(inner)),
      calls_(registry.counter("sqlguard_tool_calls_total",
                              "Tool calls whose intent was recorded, by tool and policy decision.",
                              {"tool", "decision"})),
      call_duration_(registry.histogram(
          "sqlguard_tool_call_duration_seconds",
          "Duration of tool calls as recorded in their outcome (duration_us), by tool and status.",
          {"tool", "status"}, common::tool_call_duration_buckets())),
      auth_rejections_(registry.counter("sqlguard_auth_rejections_total",
                                        "Rejected credentials recorded in the audit log, by reason.",
                                        {"reason"})),
      append_seconds_(registry.histogram("sqlguard_audit_append_seconds",
                                         "Wall time of one durable audit append (write + fdatasync).", {},
                                         common::audit_append_buckets())),
      append_errors_(registry.counter("sqlguard_audit_append_errors_total",
                                      "Audit appends that failed (the log then refuses every call).")),
      healthy_(registry.gauge("sqlguard_audit_healthy",
                              "1 while the audit log can record, 0 after a write or sync failure.")),
      max_tracked_calls_(max_tracked_calls == 0 ? 1 : max_tracked_calls) {
  refresh_health();
}

bool MeteredAuditLog::refresh_health() const {
  const bool h = inner_->healthy();
  if (reported_health_.exchange(h ? 1 : 0) != (h ? 1 : 0)) healthy_.set({}, h ? 1 : 0);
  return h;
}

common::Result<recorder::AppendReceipt> MeteredAuditLog::append(const nlohmann::json& event) {
  return observed_append(event, true);
}

common::Result<recorder::AppendReceipt> MeteredAuditLog::append_async(const nlohmann::json& event) {
  return observed_append(event, false);
}

common::Result<recorder::AppendReceipt> MeteredAuditLog::observed_append(const nlohmann::json& event,
                                                                         bool durable) {
  Observation o;
  const std::string type = string_field(event, "type", "");
  if (type == "call.intent") {
    o.kind = Observation::Kind::kIntent;
    o.call = call_id(event);
    o.tool = string_field(event, "tool", "unknown");
    const auto d = event.find("decision");
    o.decision = d == event.end() ? "unknown" : string_field(*d, "action", "unknown");
  } else if (type == "call.outcome") {
    o.kind = Observation::Kind::kOutcome;
    o.call = call_id(event);
    o.status = string_field(event, "status", "unknown");
    const auto d = event.find("duration_us");
    if (d != event.end() && d->is_number()) o.duration_s = d->get<double>() / 1e6;
  } else if (type == "auth.rejected") {
    o.kind = Observation::Kind::kAuthRejected;
    o.reason = string_field(event, "reason", "unknown");
  }

  const auto t0 = std::chrono::steady_clock::now();
  auto receipt = durable ? inner_->append(event) : inner_->append_async(event);
  append_seconds_.observe({}, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  refresh_health();
  if (!receipt) {
    append_errors_.inc();
    return receipt;
  }

  switch (o.kind) {
    case Observation::Kind::kIntent:
      calls_.inc({o.tool, o.decision});
      if (!o.call.empty()) remember_tool(o.call, o.tool);
      break;
    case Observation::Kind::kOutcome:
      if (o.duration_s) {
        std::string tool = o.call.empty() ? std::string() : take_tool(o.call);
        call_duration_.observe({tool.empty() ? "unknown" : tool, o.status}, *o.duration_s);
      }
      break;
    case Observation::Kind::kAuthRejected: auth_rejections_.inc({o.reason}); break;
    case Observation::Kind::kOther: break;
  }
  return receipt;
}

void MeteredAuditLog::remember_tool(const std::string& call, const std::string& tool) {
  std::lock_guard lock(mu_);
  if (tool_of_call_.insert_or_assign(call, tool).second) call_order_.push_back(call);
  while (call_order_.size() > max_tracked_calls_) {
    tool_of_call_.erase(call_order_.front());
    call_order_.pop_front();
  }
}

std::string MeteredAuditLog::take_tool(const std::string& call) {
  std::lock_guard lock(mu_);
  const auto it = tool_of_call_.find(call);
  if (it == tool_of_call_.end()) return {};
  std::string tool = std::move(it->second);
  tool_of_call_.erase(it);
  return tool;
}

}  // namespace sqlguard::server
