// The web console (docs/console.md): a single page served at /console from files embedded in
// the binary (server/admin/console/*, turned into a generated header at build time), and the
// read-only audit API it uses next to the approvals API (server/admin/approvals_http.h).
//
// Routes registered on the caller's httplib::Server:
// - GET /console, /console/, /console/index.html, /console/app.js, /console/app.css: the
//   static assets. No authentication (they hold no data); headers on every console response:
//   `Content-Security-Policy: default-src 'self'; ...`, `X-Content-Type-Options: nosniff`,
//   `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`.
// - GET /api/audit/sessions?limit=N → {"sessions":[{"session","subject","client","transport",
//   "started","ended","calls","refusals"}]}, newest first (N: 1..1000, default 100).
// - GET /api/audit/sessions/{id} → {"session","records":[record...],"truncated"} in log order
//   (404 when the log has no record of that session).
// - GET /api/audit/verify → {"ok","summary","records","segments","checkpoints",
//   "latest_checkpoint_size","latest_signer","origin","warnings","failure"} (recorder::verify_log).
// Every /api/audit/* request is authenticated with the Authenticator (its AuthFailure status and
// WWW-Authenticate are passed through) and then authorized: the principal must be in one of
// ConsoleOptions::auditor_groups (403 otherwise). Errors are {"error":"..."} with 400, 401,
// 403, 404, 500 or 503. Credentials travel only in the Authorization / X-API-Key headers, never
// in cookies, so a foreign page cannot make the browser send them (no CSRF surface).
//
// Thread-safety: the handlers run concurrently on httplib worker threads; they share only
// immutable options and read the log files (verify runs one at a time).
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/mcp/authenticator.h"

namespace httplib {
class Server;
struct Response;
}  // namespace httplib

namespace sqlguard::server {

/// Settings of the console and its audit API.
struct ConsoleOptions {
  std::filesystem::path audit_dir;  ///< the audit log directory (config audit.dir)
  /// Groups whose members may read the audit API. Empty → reviewer_groups. Both empty → nobody
  /// (every /api/audit/* request is refused with 403: fail closed).
  std::vector<std::string> auditor_groups;
  /// The approvals reviewer groups (config approvals.reviewer_groups); the default auditors.
  std::vector<std::string> reviewer_groups;
  /// Passed to recorder::verify_log for GET /api/audit/verify.
  std::vector<std::filesystem::path> audit_public_keys;
  std::vector<std::filesystem::path> audit_external_checkpoints;
  /// Only consulted when the Authenticator is nullptr (a loopback-only deployment without
  /// authentication), with the same rule as the approvals API (config
  /// approvals.trust_loopback_reviewer_header): true → the principal comes from
  /// `X-Sqlguard-Reviewer: SUBJECT[:group,group]` on requests from a loopback peer with a
  /// loopback Host (or one of `allowed_hosts`), and must still be in an auditor group; false →
  /// every /api/audit/* request is refused with 401. Anyone who can reach the port can claim
  /// any identity in this mode: single-user hosts only. The browser console itself always
  /// sends a bearer token, so it needs an Authenticator.
  bool trust_loopback_reviewer_header = false;
  /// Extra Host names (lower case, without port) accepted in header-trust mode.
  std::vector<std::string> allowed_hosts;
  /// Most records returned by GET /api/audit/sessions/{id}; later ones are cut and
  /// "truncated" is true.
  std::size_t max_session_records = 5000;
  /// Optional check run first on every console and audit API request (e.g. the HTTP transport's
  /// Host/Origin check against DNS rebinding). Returns false after filling the response to
  /// refuse the request.
  std::function<bool(const httplib::Request&, httplib::Response&)> request_filter;
};

/// Registers the console's routes (above) on `server`. `auth` may be nullptr (see
/// ConsoleOptions::trust_loopback_without_auth); when set it must outlive `server`'s use.
/// Call before the server starts listening. Does not throw on requests.
void register_console_routes(httplib::Server& server, ConsoleOptions options, Authenticator* auth);

/// Summaries of the sessions in `records` (the log in order, as parsed JSON objects), newest
/// first, at most `limit`: {"session","subject","client","transport","started","ended","calls",
/// "refusals"}. A session is known from its session.start record or, failing that, from its
/// first record carrying `session`. `calls` counts call.intent records, `refusals` call.outcome
/// records with status "refused" (or intents with decision action "deny" that have no outcome).
/// Exposed for tests.
nlohmann::json summarize_sessions(const std::vector<nlohmann::json>& records, std::size_t limit);

}  // namespace sqlguard::server
