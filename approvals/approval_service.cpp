#include "approvals/approval_service.h"

#include "common/random.h"
#include "common/time.h"
#include "policy/principal_json.h"
#include "recorder/record_types.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace sqlguard::approvals {
namespace {

using Code = ApprovalError::Code;
using nlohmann::json;

constexpr size_t kMaxComment = 4096;

ApprovalError error(Code code, std::string message) { return ApprovalError{code, std::move(message)}; }

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

ApprovalService::ApprovalService(std::unique_ptr<ApprovalStore> store, recorder::AuditLog* audit,
                                 ApprovalServiceOptions options)
    : store_(std::move(store)), audit_(audit), options_(std::move(options)) {
  if (options_.on_created) notifier_ = std::jthread([this](std::stop_token st) { notifier_loop(st); });
  if (options_.background) sweeper_ = std::jthread([this](std::stop_token st) { background_loop(st); });
}

ApprovalService::~ApprovalService() {
  // Join the threads before the members they use go away.
  if (sweeper_.joinable()) {
    sweeper_.request_stop();
    sweeper_.join();
  }
  if (notifier_.joinable()) {
    notifier_.request_stop();
    notifier_.join();
  }
}

int64_t ApprovalService::now_ms() const {
  if (options_.now_ms) return options_.now_ms();
  return common::unix_ms_now();
}

void ApprovalService::notify_local() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
}

bool ApprovalService::is_reviewer_for(const policy::Principal& reviewer,
                                      const ApprovalRequest& request) const {
  for (const auto& g : request.approver_groups) {
    if (reviewer.in_group(g)) return true;
  }
  for (const auto& g : options_.reviewer_groups) {
    if (reviewer.in_group(g)) return true;
  }
  return false;
}

bool ApprovalService::is_reviewer(const policy::Principal& principal) const {
  for (const auto& g : options_.reviewer_groups) {
    if (principal.in_group(g)) return true;
  }
  for (const auto& g : options_.known_approver_groups) {
    if (principal.in_group(g)) return true;
  }
  return false;
}

std::expected<ApprovalRequest, ApprovalError> ApprovalService::create(const NewApproval& n) {
  ApprovalRequest r;
  auto id = common::random_hex_id("apr_", 12);
  if (!id) return std::unexpected(error(Code::kStore, "cannot make an approval id: " + id.error().message));
  r.id = std::move(*id);
  r.state = ApprovalState::kPending;
  r.principal = n.principal;
  r.session_id = n.session_id;
  r.call_id = n.call_id;
  r.statement = n.statement;
  r.sha256 = n.sha256;
  r.kind = n.kind;
  r.tables = n.tables;
  r.schema = n.schema;
  r.rule = n.rule;
  r.reason = n.reason;
  r.approver_groups = n.approver_groups;
  r.approvals_required = std::max<uint32_t>(1, n.approvals_required);
  r.created_ms = now_ms();
  r.expires_ms = r.created_ms + options_.expiry.count();
  if (auto ins = store_->insert(r); !ins) return std::unexpected(error(Code::kStore, ins.error().message));
  if (audit_) {
    json ev = {
        {"type", std::string(recorder::record_type::kApprovalRequest)},
        {"session", r.session_id},
        {"call", r.call_id},
        {"approval", r.id},
        {"principal", policy::principal_to_json(r.principal)},
        {"statement", {{"text", r.statement}, {"sha256", r.sha256}, {"kind", r.kind}, {"tables", r.tables}}},
        {"rule", r.rule},
        {"reason", r.reason},
        {"approver_groups", r.approver_groups},
        {"approvals_required", r.approvals_required},
        {"expires", common::rfc3339_ms(r.expires_ms)}};
    if (!r.schema.empty()) ev["statement"]["schema"] = r.schema;
    if (auto a = audit_->append(std::move(ev)); !a) {
      return std::unexpected(
          error(Code::kStore, "the audit log cannot record the approval request: " + a.error().message));
    }
  }
  if (options_.on_created) {
    {
      std::lock_guard lock(mu_);
      to_notify_.push_back(r);
    }
    notify_cv_.notify_all();
  }
  return r;
}

std::expected<ApprovalRequest, ApprovalError> ApprovalService::load(std::string_view id) {
  auto r = store_->get(id);
  if (!r) return std::unexpected(error(Code::kStore, r.error().message));
  if (!*r) return std::unexpected(error(Code::kNotFound, "no approval request '" + std::string(id) + "'"));
  ApprovalRequest out = std::move(**r);
  return out;
}

std::expected<ApprovalRequest, ApprovalError> ApprovalService::get(std::string_view id) {
  auto r = load(id);
  if (r) r->state = r->effective_state(now_ms());
  return r;
}

std::expected<uint64_t, ApprovalError> ApprovalService::count_pending() {
  auto n = store_->count_pending(now_ms());
  if (!n) return std::unexpected(error(Code::kStore, n.error().message));
  return *n;
}

std::expected<std::vector<ApprovalRequest>, ApprovalError> ApprovalService::list(
    std::optional<ApprovalState> state, size_t limit) {
  auto all = store_->list(std::max<size_t>(limit, 1) * (state ? 4 : 1));
  if (!all) return std::unexpected(error(Code::kStore, all.error().message));
  const int64_t now = now_ms();
  std::vector<ApprovalRequest> out;
  for (auto& r : *all) {
    r.state = r.effective_state(now);
    if (state && r.state != *state) continue;
    if (out.size() >= limit) break;
    out.push_back(std::move(r));
  }
  return out;
}

std::expected<std::optional<ApprovalRequest>, ApprovalError> ApprovalService::find_open(
    const policy::Principal& principal, std::string_view sha256, std::string_view schema) {
  auto all = store_->list(kFindOpenScan);
  if (!all) return std::unexpected(error(Code::kStore, all.error().message));
  const int64_t now = now_ms();
  for (auto& r : *all) {
    r.state = r.effective_state(now);
    if (r.state != ApprovalState::kPending && r.state != ApprovalState::kApproved) continue;
    if (r.principal.subject != principal.subject || r.principal.issuer != principal.issuer) continue;
    if (r.sha256 != sha256 || r.schema != schema) continue;
    return std::optional<ApprovalRequest>(std::move(r));
  }
  return std::optional<ApprovalRequest>();
}

std::expected<ApprovalRequest, ApprovalError> ApprovalService::wait(
    std::string_view id, std::stop_token cancel, const ApprovalProgress& progress,
    std::optional<std::chrono::milliseconds> wait) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto total = wait.value_or(options_.wait);
  const auto deadline = start + total;
  auto next_progress = start + options_.progress_interval;
  for (;;) {
    uint64_t gen;
    {
      std::lock_guard lock(mu_);
      gen = generation_;
    }
    auto r = get(id);
    if (!r) return r;
    // A decision made elsewhere (CLI, another instance) is recorded here as soon as it is seen.
    if (audit_ && r->recorded < r->decision_count()) {
      auto raw = load(id);
      if (raw && raw->recorded < raw->decision_count()) {
        ApprovalRequest next = *raw;
        next.recorded = next.decision_count();
        auto won = store_->update(next, raw->version, raw->state);
        if (won && *won) (void)record_decisions(next, raw->recorded, "observed");
      }
    }
    const auto now = Clock::now();
    if (r->state != ApprovalState::kPending || now >= deadline || cancel.stop_requested()) return r;
    if (progress && now >= next_progress) {
      const double elapsed =
          static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(now - start).count());
      progress(elapsed, static_cast<double>(total.count()),
               "waiting for approval " + r->id + " (" + std::to_string(r->approvals.size()) + "/" +
                   std::to_string(r->approvals_required) + " approvals)");
      next_progress = now + options_.progress_interval;
    }
    const auto until = std::min({deadline, next_progress, Clock::now() + options_.poll_interval});
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, cancel, until, [&] { return generation_ != gen; });
  }
}

std::expected<ApprovalRequest, ApprovalError> ApprovalService::approve(std::string_view id,
                                                                       const policy::Principal& reviewer,
                                                                       std::string comment) {
  return decide(id, reviewer, std::move(comment), true);
}

std::expected<ApprovalRequest, ApprovalError> ApprovalService::deny(std::string_view id,
                                                                    const policy::Principal& reviewer,
                                                                    std::string comment) {
  return decide(id, reviewer, std::move(comment), false);
}

std::expected<ApprovalRequest, ApprovalError> ApprovalService::decide(std::string_view id,
                                                                      const policy::Principal& reviewer,
                                                                      std::string comment, bool approve) {
  if (comment.size() > kMaxComment) {
    return std::unexpected(error(Code::kInvalid, "comment is longer than 4096 bytes"));
  }
  if (reviewer.subject.empty()) return std::unexpected(error(Code::kForbidden, "no reviewer identity"));
  // Optimistic concurrency: re-read and retry when another reviewer changed the request first.
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto loaded = load(id);
    if (!loaded) return loaded;
    const ApprovalRequest& r = *loaded;
    const int64_t now = now_ms();
    if (!is_reviewer_for(reviewer, r)) {
      return std::unexpected(
          error(Code::kForbidden, reviewer.subject + " is not a reviewer for rule " + r.rule +
                                      " (approver groups: " + join(r.approver_groups) + ")"));
    }
    if (approve && reviewer.subject == r.principal.subject) {
      return std::unexpected(
          error(Code::kConflict, "self-approval is not allowed: " + reviewer.subject + " requested " + r.id));
    }
    const ApprovalState state = r.effective_state(now);
    if (state != ApprovalState::kPending) {
      return std::unexpected(error(Code::kConflict, "approval " + r.id + " is " +
                                                        std::string(to_string(state)) +
                                                        "; only pending requests can be decided"));
    }
    if (approve) {
      for (const auto& v : r.approvals) {
        if (v.reviewer == reviewer.subject) {
          return std::unexpected(error(Code::kConflict, reviewer.subject + " already approved " + r.id +
                                                            "; another reviewer must approve"));
        }
      }
    }
    ApprovalRequest next = r;
    ApprovalVote vote{reviewer.subject, reviewer.groups, reviewer.auth_method, comment, now};
    if (approve) {
      next.approvals.push_back(std::move(vote));
      if (next.approvals.size() >= next.approvals_required) next.state = ApprovalState::kApproved;
    } else {
      next.denial = std::move(vote);
      next.state = ApprovalState::kDenied;
    }
    if (audit_) next.recorded = next.decision_count();
    auto won = store_->update(next, r.version, ApprovalState::kPending);
    if (!won) return std::unexpected(error(Code::kStore, won.error().message));
    if (!*won) continue;
    next.version = r.version + 1;
    notify_local();
    if (audit_) {
      if (auto rec = record_decisions(next, r.recorded, "api"); !rec) return std::unexpected(rec.error());
    }
    return next;
  }
  return std::unexpected(
      error(Code::kConflict, "approval " + std::string(id) + " is being changed concurrently; retry"));
}

std::expected<void, ApprovalError> ApprovalService::record_decisions(const ApprovalRequest& r, uint32_t from,
                                                                     std::string_view via) {
  if (!audit_) return {};
  const uint32_t total = r.decision_count();
  for (uint32_t i = from; i < total; ++i) {
    json ev = {{"type", std::string(recorder::record_type::kApprovalDecision)},
               {"session", r.session_id},
               {"call", r.call_id},
               {"approval", r.id},
               {"state", std::string(to_string(r.state))},
               {"via", std::string(via)}};
    const ApprovalVote* vote = nullptr;
    if (i < r.approvals.size()) {
      vote = &r.approvals[i];
      ev["decision"] = "approve";
    } else if (r.denial && i == r.approvals.size()) {
      vote = &*r.denial;
      ev["decision"] = "deny";
    } else {
      ev["decision"] = "expire";
    }
    if (vote) {
      ev["approver"] = {{"subject", vote->reviewer}, {"groups", vote->groups}, {"auth", vote->auth}};
      ev["comment"] = vote->comment;
      ev["at"] = common::rfc3339_ms(vote->at_ms);
    }
    if (auto a = audit_->append(std::move(ev)); !a) {
      return std::unexpected(error(
          Code::kStore, "the decision is stored but the audit log cannot record it: " + a.error().message));
    }
  }
  return {};
}

std::expected<ApprovalRequest, ApprovalError> ApprovalService::consume(std::string_view id,
                                                                       const policy::Principal& principal,
                                                                       std::string_view sha256) {
  auto loaded = load(id);
  if (!loaded) return loaded;
  ApprovalRequest r = std::move(*loaded);
  if (r.principal.subject != principal.subject || r.principal.issuer != principal.issuer) {
    return std::unexpected(error(Code::kInvalid, "approval " + r.id + " was requested by another principal"));
  }
  if (r.sha256 != sha256) {
    return std::unexpected(
        error(Code::kInvalid,
              "approval " + r.id + " was granted for a different statement; send the exact same sql"));
  }
  const int64_t now = now_ms();
  const ApprovalState state = r.effective_state(now);
  if (state != ApprovalState::kApproved) {
    return std::unexpected(
        error(Code::kConflict, "approval " + r.id + " is " + std::string(to_string(state))));
  }
  if (audit_ && r.recorded < r.decision_count()) {
    // Record decisions made through the CLI before the statement they allow runs.
    ApprovalRequest next = r;
    next.recorded = next.decision_count();
    auto won = store_->update(next, r.version, r.state);
    if (!won) return std::unexpected(error(Code::kStore, won.error().message));
    if (*won) {
      if (auto rec = record_decisions(next, r.recorded, "observed"); !rec)
        return std::unexpected(rec.error());
    }
  }
  auto won = store_->consume(r.id, now);
  if (!won) return std::unexpected(error(Code::kStore, won.error().message));
  if (!*won) return std::unexpected(error(Code::kConflict, "approval " + r.id + " was already used"));
  r.state = ApprovalState::kUsed;
  r.used_ms = now;
  notify_local();
  return r;
}

size_t ApprovalService::sweep() {
  auto all = store_->list(1000);
  if (!all) {
    spdlog::warn("approvals: sweep: {}", all.error().message);
    return 0;
  }
  const int64_t now = now_ms();
  size_t changed = 0;
  for (const auto& r : *all) {
    ApprovalRequest next = r;
    if (r.effective_state(now) == ApprovalState::kExpired && r.state != ApprovalState::kExpired) {
      next.state = ApprovalState::kExpired;
    } else if (!audit_ || r.recorded >= r.decision_count()) {
      continue;
    }
    if (audit_) next.recorded = next.decision_count();
    auto won = store_->update(next, r.version, r.state);
    if (!won || !*won) continue;
    ++changed;
    if (auto rec = record_decisions(next, r.recorded, "sweep"); !rec)
      spdlog::error("approvals: {}", rec.error().message);
  }
  if (changed) notify_local();
  return changed;
}

void ApprovalService::background_loop(std::stop_token stop) {
  const auto interval = std::max(options_.poll_interval * 4, std::chrono::milliseconds(1000));
  std::mutex m;
  std::condition_variable_any cv;
  for (;;) {
    {
      std::unique_lock lock(m);
      cv.wait_for(lock, stop, interval, [] { return false; });
    }
    if (stop.stop_requested()) return;
    sweep();
  }
}

void ApprovalService::notifier_loop(std::stop_token stop) {
  for (;;) {
    std::vector<ApprovalRequest> batch;
    {
      std::unique_lock lock(mu_);
      notify_cv_.wait(lock, stop, [&] { return !to_notify_.empty(); });
      if (stop.stop_requested()) return;
      batch.swap(to_notify_);
    }
    for (const auto& r : batch) options_.on_created(r);
  }
}

}  // namespace sqlguard::approvals
