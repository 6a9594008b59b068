// The MCP Streamable HTTP transport (MCP 2025-11-25 §basic/transports "Streamable HTTP"; also
// serves clients of 2025-06-18 and 2025-03-26) on cpp-httplib.
//
// One endpoint (HttpOptions::path, default /mcp):
// - POST: one JSON-RPC message (or a batch under 2025-03-26). Notifications/responses only →
//   202 with no body. Requests → 200 `application/json` with the response, or
//   `text/event-stream` (SSE, `event: message`) when notifications (progress) come before the
//   response and the client's Accept allows SSE. A request whose response is suppressed by
//   cancellation → 202 with no body.
// - GET → 405 (no server-initiated stream); DELETE → ends the session (200); other methods →
//   405; OPTIONS → CORS preflight for allowed origins.
// Sessions: `initialize` without Mcp-Session-Id creates a session whose id (128-bit, RAND_bytes)
// is returned in `Mcp-Session-Id`; later requests must carry it (missing → 400, unknown or
// expired or owned by another principal → 404). Idle sessions expire.
// Checks, in order: Host (DNS rebinding: only localhost/127.0.0.1/[::1] plus configured names,
// else 403), Origin (if present: an allowed host or a configured origin, else 403),
// authentication (Authenticator; failures keep their status and WWW-Authenticate),
// Content-Type application/json (415), Accept (406 only if it excludes both JSON and SSE),
// body size (413), MCP-Protocol-Version (400 when present and unsupported), JSON validity
// (400 with -32700).
// Also GET /healthz: {"status":"ok"|"unhealthy",...} from a callback (200 / 503), and
// HttpOptions::public_documents (e.g. RFC 9728 metadata).
//
// Legacy HTTP+SSE (MCP 2024-11-05 §basic/transports "HTTP with SSE"), for clients that predate
// Streamable HTTP (HttpOptions::sse_path, default /sse, and sse_messages_path, default
// /messages; an empty sse_path disables it):
// - GET /sse opens a session and its server→client stream (`text/event-stream`). The first
//   event is `event: endpoint` with `data: /messages?sessionId=<id>`; then every message the
//   session sends (responses, progress, log notifications) is an `event: message`; comment
//   lines keep an idle stream alive. The session ends when the stream closes (client gone,
//   idle expiry, shutdown).
// - POST /messages?sessionId=<id> carries one JSON-RPC message: 202 "Accepted" (the answer
//   goes to the stream); missing sessionId → 400; unknown, expired, or owned by another
//   principal → 404; otherwise the same status codes as POST /mcp (415, 413, 400).
// Same Host/Origin checks, authentication and principal binding as /mcp. Each open stream
// holds one HTTP worker thread, so at most HttpOptions::max_sse_streams are open (503 beyond).
//
// GET /metrics (when HttpOptions::metrics.registry is set): the registry plus scrape-time
// gauges in the Prometheus text exposition format 0.0.4 (`text/plain; version=0.0.4`). With an
// Authenticator the request must authenticate like /mcp (any principal may read metrics);
// without one only loopback peers with an allowed Host are served (403 otherwise).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/metrics.h"
#include "db/connection.h"
#include "policy/principal.h"
#include "server/mcp/authenticator.h"  // forward-declares httplib::Request
#include "server/mcp/mcp_session.h"
#include "tools/tool.h"

namespace sqlguard::server {

/// GET /metrics: what it renders.
struct MetricsRoute {
  /// nullptr → no /metrics route. Must outlive the transport.
  const common::MetricsRegistry* registry = nullptr;
  std::string path = "/metrics";
  /// Scrape-time connection pool usage → `sqlguard_db_connections{state="open"|"leased"}`.
  /// Empty → not rendered. Called on HTTP worker threads; must be thread-safe.
  std::function<db::SourceStats()> pool;
  /// Scrape-time number of pending approval requests → `sqlguard_approvals_pending`; empty or
  /// std::nullopt (approvals off, store unreachable) → not rendered. Thread-safe, quick.
  std::function<std::optional<std::uint64_t>()> approvals_pending;
};

/// Network settings of the HTTP transport.
struct HttpOptions {
  /// Address to listen on. Anything other than a loopback address (127.0.0.0/8, ::1,
  /// "localhost") is refused unless an Authenticator is configured.
  std::string bind_address = "127.0.0.1";
  int port = 8080;            ///< 0 = any free port (tests); see HttpTransport::port()
  std::string path = "/mcp";  ///< the MCP endpoint, matched exactly (no trailing-slash variant)
  /// Host names (without port, lower case) accepted in the Host and Origin headers in addition
  /// to localhost, 127.0.0.1 and [::1] — e.g. the public name behind a reverse proxy. "*"
  /// accepts any Host (only sensible behind a proxy that checks it; weakens DNS-rebinding
  /// protection).
  std::vector<std::string> allowed_hosts;
  /// Exact Origin values (e.g. "https://console.example.com") accepted in addition to
  /// http(s)://<accepted host>[:port]. Allowed origins also get CORS headers.
  std::vector<std::string> allowed_origins;
  std::chrono::seconds session_idle_timeout{1800};  ///< no request and no call running this long → closed
  std::size_t max_sessions = 256;                   ///< live sessions; initialize beyond → 503
  std::size_t worker_threads = 64;         ///< HTTP worker threads (a POST holds one while its call runs)
  std::chrono::seconds sse_keepalive{15};  ///< comment line on an idle SSE stream
  /// PEM certificate chain and private key: both set → HTTPS (httplib::SSLServer); both empty
  /// → plain HTTP. A bad pair is a start() error.
  std::string tls_cert_file;
  std::string tls_key_file;
  /// JSON documents served on GET at exact paths, without authentication or Host checks and
  /// with `Access-Control-Allow-Origin: *` — for RFC 9728 protected resource metadata
  /// (/.well-known/oauth-protected-resource[/mcp]), which clients fetch before they have a
  /// token.
  std::vector<std::pair<std::string, nlohmann::json>> public_documents;
  /// Legacy HTTP+SSE (MCP 2024-11-05) stream endpoint; "" disables the legacy transport.
  std::string sse_path = "/sse";
  /// Legacy HTTP+SSE message endpoint, announced in the `endpoint` event with `?sessionId=`.
  std::string sse_messages_path = "/messages";
  /// Open legacy SSE streams at once (each holds a worker thread); beyond → 503.
  std::size_t max_sse_streams = 16;
  /// Messages queued on one legacy SSE stream that the client does not read fast enough; beyond
  /// either bound the stream (and its session) is closed.
  std::size_t max_sse_queued_messages = 1024;
  std::size_t max_sse_queued_bytes = 64u * 1024u * 1024u;
  /// GET /metrics.
  MetricsRoute metrics;
  /// Further routes mounted on the same server at start() (the approvals API and the web
  /// console). Each registers its own handlers and does its own authentication; they run
  /// after the built-in routes, so they cannot shadow /mcp, /healthz or /metrics. Requests to
  /// them pass the transport's Host/Origin check first (403 otherwise), as /mcp requests do.
  std::vector<std::function<void(httplib::Server&)>> extra_routes;
};

/// Returns the health document for /healthz: {"status":"ok"} or {"status":"unhealthy", ...}.
/// Called on HTTP worker threads; must be thread-safe and should be quick.
using HealthCheck = std::function<nlohmann::json()>;

/// A running Streamable HTTP endpoint with its sessions.
/// Thread-safety: start()/stop() from one controlling thread; everything else is internal.
class HttpTransport {
 public:
  /// `tools`, `observer` (may be nullptr) and `authenticator` (nullptr = no authentication;
  /// then only loopback binds are allowed) must outlive the transport. `anonymous` is the
  /// principal of every session when `authenticator` is nullptr. `health` may be empty
  /// (then /healthz always says ok).
  HttpTransport(tools::ToolRegistry& tools, tools::SessionObserver* observer, Authenticator* authenticator,
                policy::Principal anonymous, ServerOptions options, HttpOptions http, HealthCheck health);
  /// Calls stop().
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  /// Binds and starts serving on background threads. Returns the bound port. Errors:
  /// kInvalidInput for a non-loopback bind without authenticator or half a TLS configuration;
  /// kUnavailable when the TLS certificate/key cannot be loaded, the address is in use, or
  /// sqlguard was built without cpp-httplib; kInternal when already started.
  common::Result<int> start();
  /// Stops accepting requests, closes every session (McpSession::close, "server shutdown"),
  /// and joins the background threads. Idempotent. Returns the number of tool calls (over the
  /// transport's lifetime) that were still running when their session's close() gave up; they
  /// keep running detached, so the caller must not destroy `tools` while the process lives.
  std::size_t stop();
  /// The bound port (0 before start()).
  int port() const;
  /// Number of live sessions (Streamable HTTP and legacy HTTP+SSE).
  std::size_t session_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Entry point for `sqlguard serve --http`: starts an HttpTransport, logs the URL, and blocks
/// until SIGINT or SIGTERM (handlers installed for the duration of the call), then stops it.
/// Returns the process exit code: 0 after a signal, 1 when the endpoint cannot start, 2 when
/// calls were abandoned at shutdown (see HttpTransport::stop(); then end the process with
/// std::_Exit(2) instead of destroying `tools` under them).
int serve_http(tools::ToolRegistry& tools, tools::SessionObserver* observer, Authenticator* authenticator,
               const policy::Principal& anonymous, ServerOptions options, HttpOptions http,
               HealthCheck health);

}  // namespace sqlguard::server
