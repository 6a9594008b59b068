// Just-in-time approvals (docs/approvals.md): creates approval requests for statements a rule
// holds, lets reviewers approve or deny them, lets the held call wait for the decision, and
// consumes an approval exactly once for the exact statement and principal it was granted for.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "approvals/approval_store.h"
#include "policy/principal.h"
#include "recorder/audit_log.h"

namespace sqlguard::approvals {

/// Why an approval operation failed. The HTTP API maps codes to 404/403/409/400/503.
struct ApprovalError {
  enum class Code : uint8_t {
    kNotFound,   ///< no request with that id
    kForbidden,  ///< the caller may not do this (not a reviewer for the rule)
    kConflict,   ///< self-approval, already decided, expired, used, already approved by this reviewer
    kInvalid,    ///< bad input (comment too long, wrong statement or principal for the id)
    kStore,      ///< the store (or the audit log) failed: fail closed
  };
  Code code = Code::kStore;
  std::string message;  ///< safe to show the caller
};

/// Settings of the approval service (config `approvals:`).
struct ApprovalServiceOptions {
  std::chrono::milliseconds wait{25000};      ///< how long run_sql waits for a decision
  std::chrono::milliseconds expiry{3600000};  ///< request lifetime from creation
  std::chrono::milliseconds poll_interval{
      500};  ///< store polling while waiting (shared store) and sweep cadence
  std::chrono::milliseconds progress_interval{2000};  ///< MCP progress notifications while waiting
  std::vector<std::string> reviewer_groups;  ///< global reviewers, in addition to each rule's approvers
  /// Every approver group any rule names (for whoami's "reviewer": true); optional.
  std::vector<std::string> known_approver_groups;
  /// Called (on a service thread, never on the call path) for each new request; e.g. a webhook.
  std::function<void(const ApprovalRequest&)> on_created;
  /// Run the background sweeper (expiry, recording decisions made by the CLI). Off for the CLI.
  bool background = true;
  /// Clock (Unix ms) for tests; empty = system clock.
  std::function<int64_t()> now_ms;
};

/// What a new request is made of (the service fills id, times and state).
struct NewApproval {
  policy::Principal principal;
  std::string session_id;
  std::string call_id;
  std::string statement;
  std::string sha256;  ///< base64 SHA-256 of `statement`
  std::string kind;
  std::vector<std::string> tables;
  std::string schema;  ///< the session's schema when not the database's default (MySQL USE), else ""
  std::string rule;
  std::string reason;
  std::vector<std::string> approver_groups;
  uint32_t approvals_required = 1;
};

/// Progress while waiting: (elapsed ms, wait ms, message).
using ApprovalProgress = std::function<void(double, double, std::string_view)>;

/// The approval workflow over an ApprovalStore.
/// Audit: with an AuditLog, every request is written as "approval.request" and every decision
/// as "approval.decision" (reviewer, id, decision, comment). Without one (the CLI), decisions are
/// stored unrecorded and the next sqlguard instance's sweeper records them.
/// Thread-safety: thread-safe. Local decisions wake local waiters at once (condition
/// variable); decisions made elsewhere (another instance, the CLI) are seen by polling the store.
class ApprovalService {
 public:
  /// `audit` may be nullptr (CLI); it must outlive the service.
  ApprovalService(std::unique_ptr<ApprovalStore> store, recorder::AuditLog* audit,
                  ApprovalServiceOptions options);
  /// Stops the sweeper and the notifier thread.
  ~ApprovalService();
  ApprovalService(const ApprovalService&) = delete;
  ApprovalService& operator=(const ApprovalService&) = delete;

  /// Creates and stores a pending request, records "approval.request" (durably, before this
  /// returns) and queues on_created. Errors: kStore (store or audit failure: refuse the call).
  std::expected<ApprovalRequest, ApprovalError> create(const NewApproval& request);

  /// Waits up to options.wait (or `wait` when given) for `id` to leave pending, calling
  /// `progress` every progress_interval. Returns the request as it then stands (its
  /// effective state; still kPending on timeout or cancellation). Errors: kNotFound, kStore.
  std::expected<ApprovalRequest, ApprovalError> wait(
      std::string_view id, std::stop_token cancel, const ApprovalProgress& progress,
      std::optional<std::chrono::milliseconds> wait = std::nullopt);

  /// Adds `reviewer`'s approval; the request becomes approved once approvals_required distinct
  /// reviewers approved. Errors: kNotFound; kForbidden (not in the rule's approver groups nor a
  /// global reviewer group); kConflict (self-approval, this reviewer already approved, not
  /// pending, expired); kInvalid (comment over 4096 bytes); kStore.
  std::expected<ApprovalRequest, ApprovalError> approve(std::string_view id,
                                                        const policy::Principal& reviewer,
                                                        std::string comment);
  /// Denies the request (one reviewer suffices). Errors as approve(); denying your own request
  /// is allowed (withdrawal).
  std::expected<ApprovalRequest, ApprovalError> deny(std::string_view id, const policy::Principal& reviewer,
                                                     std::string comment);

  /// Consumes an approved request for one execution: the request must belong to `principal`
  /// (same subject and issuer) and `sha256` must be its statement's hash. Returns the request
  /// (state kUsed) for exactly one caller. Errors: kNotFound; kInvalid (other statement or
  /// principal); kConflict (not approved, already used, expired); kStore.
  std::expected<ApprovalRequest, ApprovalError> consume(std::string_view id,
                                                        const policy::Principal& principal,
                                                        std::string_view sha256);

  /// The newest request of `principal` (same subject and issuer) for the statement with hash
  /// `sha256` in `schema` ("" = the default) that is still pending or approved (not expired nor
  /// used), among the newest kFindOpenScan requests; nullopt when there is none. For transports
  /// that cannot name an approval id (MySQL). Errors: kStore.
  std::expected<std::optional<ApprovalRequest>, ApprovalError> find_open(const policy::Principal& principal,
                                                                         std::string_view sha256,
                                                                         std::string_view schema);
  static constexpr size_t kFindOpenScan = 2000;

  /// One request with its effective state. Errors: kNotFound, kStore.
  std::expected<ApprovalRequest, ApprovalError> get(std::string_view id);
  /// Requests waiting for a decision now (pending, not expired). Errors: kStore.
  std::expected<uint64_t, ApprovalError> count_pending();
  /// Newest first, filtered by effective state (nullopt = all), at most `limit`.
  std::expected<std::vector<ApprovalRequest>, ApprovalError> list(std::optional<ApprovalState> state,
                                                                  size_t limit = 500);

  /// True when `reviewer` may decide `request` (in one of its approver groups or a global
  /// reviewer group). Self-approval is checked separately.
  bool is_reviewer_for(const policy::Principal& reviewer, const ApprovalRequest& request) const;
  /// True when `principal` is in any global reviewer group or any known approver group.
  bool is_reviewer(const policy::Principal& principal) const;

  /// Persists expiries and records decisions that were stored unrecorded (CLI). Called by the
  /// background sweeper; public for tests and the CLI. Returns the number of requests changed.
  size_t sweep();

  int64_t now_ms() const;
  const ApprovalServiceOptions& options() const { return options_; }

 private:
  std::expected<ApprovalRequest, ApprovalError> decide(std::string_view id, const policy::Principal& reviewer,
                                                       std::string comment, bool approve);
  std::expected<ApprovalRequest, ApprovalError> load(std::string_view id);
  /// Appends "approval.decision" records for votes [from, to) of `r` (and denial / expiry).
  std::expected<void, ApprovalError> record_decisions(const ApprovalRequest& r, uint32_t from,
                                                      std::string_view via);
  void notify_local();
  void background_loop(std::stop_token stop);
  void notifier_loop(std::stop_token stop);

  std::unique_ptr<ApprovalStore> store_;
  recorder::AuditLog* audit_;
  ApprovalServiceOptions options_;

  std::mutex mu_;                   ///< guards generation_ and the notification queue
  std::condition_variable_any cv_;  ///< decisions made in this process
  uint64_t generation_ = 0;
  std::vector<ApprovalRequest> to_notify_;
  std::condition_variable_any notify_cv_;
  std::jthread notifier_;
  std::jthread sweeper_;
};

}  // namespace sqlguard::approvals
