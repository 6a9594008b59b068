// The reviewers' HTTP API for just-in-time approvals (docs/approvals.md §HTTP API), mounted on
// an httplib::Server, and the webhook that announces new requests.
//
//   GET  /api/approvals?state=pending|approved|denied|expired|used|all  → {"approvals":[Approval...]} newest
//   first GET  /api/approvals/{id}                                           → Approval POST
//   /api/approvals/{id}/approve   {"comment": "..."}              → Approval POST /api/approvals/{id}/deny
//   {"comment": "..."}              → Approval GET  /api/whoami → {"subject","groups","reviewer"}
//
// JSON everywhere; errors are {"error": "..."} with 400 (bad input), 401 (no or bad
// credential), 403 (not a reviewer for this rule), 404 (no such request, or not yours to see),
// 409 (self-approval, already decided, expired, already approved by you), 503 (store failure).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "approvals/approval_service.h"
#include "approvals/approval_store.h"
#include "server/mcp/authenticator.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace sqlguard::server {

/// Options of the approvals API.
struct ApprovalsHttpOptions {
  /// Without an Authenticator: accept the reviewer identity from `X-Sqlguard-Reviewer:
  /// SUBJECT[:group,group]` on requests from a loopback peer with a loopback Host header
  /// (config approvals.trust_loopback_reviewer_header). Anyone who can reach the loopback port
  /// can then claim any identity: only for single-user hosts. Off: 401 without an Authenticator.
  bool trust_loopback_reviewer_header = false;
  /// Extra Host names (lower case, without port) accepted in header-trust mode besides
  /// localhost, 127.0.0.1 and [::1] (DNS-rebinding protection).
  std::vector<std::string> allowed_hosts;
  std::size_t max_body_bytes = 64 * 1024;  ///< larger request bodies → 400
};

/// The API's Approval object: {"id","state","principal":{"subject","groups","client"},
/// "statement","sha256","kind","tables","rule","reason","created_at","expires_at" (RFC 3339),
/// "approvals_required","approver_groups","approvals":[{"reviewer","comment","at"}],
/// "denial":{"reviewer","comment","at"}|null}. `state` is the effective state.
nlohmann::json approval_json(const approvals::ApprovalRequest& request);

/// HTTP status for an approval error: kNotFound 404, kForbidden 403, kConflict 409,
/// kInvalid 400, kStore 503.
int http_status(const approvals::ApprovalError& error);

/// Adds the routes above to `server`. `service` and `auth` must outlive the server.
/// `auth` == nullptr: loopback-only deployment; the reviewer comes from X-Sqlguard-Reviewer
/// when options.trust_loopback_reviewer_header, otherwise every request gets 401.
/// Every request is authenticated; list and show return every request to reviewers and only
/// their own requests to others. Decisions write "approval.decision" audit records (through the
/// service). Handlers never throw.
void register_approval_routes(httplib::Server& server, approvals::ApprovalService& service,
                              Authenticator* auth, const ApprovalsHttpOptions& options);

/// Announces new approval requests to a Slack-compatible incoming webhook: POST {"text": "..."}
/// (application/json) to `url`, best effort (2 s connect, 3 s read/write timeouts; failures are
/// logged, never retried). announce() blocks for at most those timeouts; the ApprovalService
/// calls it on its own notifier thread, never on a tool call's path.
/// Thread-safety: announce() may be called concurrently.
class WebhookNotifier {
 public:
  /// `url`: http(s)://host[:port][/path].
  explicit WebhookNotifier(std::string url);
  /// Sends one announcement; returns false when it could not be delivered (2xx).
  bool announce(const approvals::ApprovalRequest& request) const;
  /// The message text for `request` (statement cut at 500 characters).
  static std::string message(const approvals::ApprovalRequest& request);

 private:
  std::string base_;  ///< scheme://host[:port]
  std::string path_;  ///< "/..." (default "/")
};

}  // namespace sqlguard::server
