// Just-in-time approvals: the approval request and the durable store that holds it
// (docs/approvals.md). Two backends: an embedded SQLite file (sqlite_approval_store.h, one
// instance) and a MySQL/MariaDB schema shared by several instances (mariadb_approval_store.h).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "policy/principal.h"

namespace sqlguard::approvals {

/// Where a request stands. pending → approved | denied | expired; approved → used | expired.
/// "used" means the approved statement ran (the approval was consumed, exactly once).
enum class ApprovalState : uint8_t { kPending, kApproved, kDenied, kExpired, kUsed };
std::string_view to_string(ApprovalState state);  ///< "pending", "approved", ...
/// Parses "pending", "approved", "denied", "expired", "used"; nullopt otherwise.
std::optional<ApprovalState> approval_state_from_string(std::string_view s);

/// One reviewer's decision on a request.
struct ApprovalVote {
  std::string reviewer;             ///< the reviewer's subject
  std::vector<std::string> groups;  ///< the reviewer's groups when deciding
  std::string auth;     ///< how the reviewer was authenticated: "oidc", "api-key", "cli", "loopback-header"
  std::string comment;  ///< free text; may be empty
  int64_t at_ms = 0;    ///< Unix time, ms
};

/// A statement held for approval, bound to its principal and the exact statement text.
struct ApprovalRequest {
  std::string id;  ///< "apr_" + 24 hex digits (random)
  ApprovalState state = ApprovalState::kPending;
  policy::Principal principal;  ///< who asked (subject, issuer, groups, client)
  std::string session_id;       ///< MCP session of the held call
  std::string call_id;          ///< audit call id of the held call
  std::string statement;        ///< the exact SQL text
  std::string sha256;           ///< base64 SHA-256 of `statement` (as statement.sha256 in audit records)
  std::string kind;             ///< statement kind, e.g. "update"
  std::vector<std::string> tables;
  /// The schema the statement's unqualified names resolve to when it is not the database's
  /// default (a MySQL session after USE); "" = the default. Part of what the approval binds.
  std::string schema;
  std::string rule;    ///< the approve rule
  std::string reason;  ///< the decision's reason
  std::vector<std::string>
      approver_groups;              ///< from the rule(s); global reviewer groups are added by the service
  uint32_t approvals_required = 1;  ///< distinct approvers needed
  int64_t created_ms = 0;           ///< Unix time, ms
  int64_t expires_ms = 0;           ///< Unix time, ms; pending or approved-but-unused requests expire then
  std::vector<ApprovalVote> approvals;
  std::optional<ApprovalVote> denial;
  int64_t used_ms = 0;    ///< when it was consumed (state kUsed)
  uint32_t recorded = 0;  ///< decisions (approvals + denial + expiry) already written to an audit log
  uint64_t version = 0;   ///< optimistic-concurrency counter, bumped by every update

  /// `state`, but a pending or approved request past its expiry reads as kExpired.
  ApprovalState effective_state(int64_t now_ms) const;
  /// Decisions so far: approvals, the denial, and a persisted expiry (state kExpired) count one each.
  uint32_t decision_count() const;
  /// Everything except `state`, `version` and `used` as one JSON document (the store's `doc`).
  nlohmann::json to_doc() const;
  /// Inverse of to_doc(); `state`/`version` are set by the store from their own columns.
  static common::Result<ApprovalRequest> from_doc(const nlohmann::json& doc);
};

/// Durable storage of approval requests. State transitions are atomic across threads, processes
/// and (for the shared backend) sqlguard instances: every write is a conditional UPDATE that
/// exactly one writer wins.
/// Thread-safety: implementations are thread-safe. Errors are messages (never credentials); the
/// caller fails closed on them.
class ApprovalStore {
 public:
  virtual ~ApprovalStore() = default;

  /// Stores a new request (state pending, version 0). Errors: duplicate id, store failure.
  virtual common::Result<void> insert(const ApprovalRequest& request) = 0;

  /// The request with `id`, or nullopt when there is none.
  virtual common::Result<std::optional<ApprovalRequest>> get(std::string_view id) = 0;

  /// The newest `limit` requests, newest first (all states; the caller filters).
  virtual common::Result<std::vector<ApprovalRequest>> list(size_t limit) = 0;

  /// Number of requests still waiting for a decision at `now_ms` (state pending, not expired):
  /// one COUNT query, for the scrape-time gauge.
  virtual common::Result<uint64_t> count_pending(int64_t now_ms) = 0;

  /// Replaces the stored request with `next` (state and document) and bumps its version, iff the
  /// stored version is `expected_version` and its state is `expected_state`.
  /// Returns true when this caller won, false when someone else changed it first.
  virtual common::Result<bool> update(const ApprovalRequest& next, uint64_t expected_version,
                                      ApprovalState expected_state) = 0;

  /// Consumes an approved request: state approved → used, iff it is approved, not yet used and
  /// `now_ms` < its expiry. Returns true for exactly one caller (single use).
  virtual common::Result<bool> consume(std::string_view id, int64_t now_ms) = 0;
};

/// The columns both SQL stores read back, in this order: state, version, doc (JSON), used_ms.
inline constexpr const char* kSelectApprovalRows =
    "SELECT state, version, doc, used_ms FROM sqlguard_approvals";

}  // namespace sqlguard::approvals
