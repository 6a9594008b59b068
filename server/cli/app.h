// The object graph of a running sqlguard, built once from the configuration.
#pragma once

#include <expected>
#include <memory>
#include <string>

#include "approvals/approval_service.h"
#include "approvals/approval_store.h"
#include "common/metrics.h"
#include "db/connection_pool.h"
#include "db/credential_vault.h"
#include "guard/guard.h"
#include "policy/masking_engine.h"
#include "policy/policy_engine.h"
#include "policy/statement_analyzer.h"
#include "recorder/audit_log.h"
#include "server/config/config.h"
#include "tools/sql_tools.h"

namespace sqlguard::server {

class WebhookNotifier;

/// Opens the approval store `config` names (SQLite file or shared MariaDB schema; for MariaDB the
/// credential is read from its password_file/password_env). Errors never contain the password.
common::Result<std::unique_ptr<approvals::ApprovalStore>> open_approval_store(const ApprovalsConfig& config);

/// ApprovalService options from the config (wait, expiry, reviewer groups, and every approver
/// group the policy names).
approvals::ApprovalServiceOptions approval_service_options(const Config& config);

/// The composition root: owns every component; members are built in dependency order and
/// destroyed in reverse. `create` builds the governed pipeline (vault, masking, audit log,
/// approvals, policy, pool, guard, tools), which `audit replay` and the tests use; `serve_stdio`
/// and `serve_http` add the front door (bearer authentication, the HTTP routes) from the same
/// config. Nothing else in the code base builds these objects from a config.
/// Creating an App does not connect to the database (sqlguard starts and answers MCP while the
/// database is down; tool calls then fail with a clear error until it is back).
class App {
 public:
  /// Errors: credential source unusable, audit log cannot be opened or recovered, masking rules
  /// invalid, approval store unusable (when `approvals:` is configured). Messages never contain
  /// the credential.
  /// `metrics` (may be nullptr) receives tool-call, decision, auth and audit-latency metrics;
  /// it must outlive the App.
  static common::Result<std::unique_ptr<App>> create(const Config& config,
                                                     common::MetricsRegistry* metrics = nullptr);

  /// Serves MCP over stdio (MCP 2025-11-25 stdio transport) until end of input, as
  /// `config.stdio_principal`, or, when `auth:` is configured and the token variable is set, as
  /// the principal of the bearer token in `auth.stdio_token_env` (checked once, at start).
  /// Returns the exit code: 0 at end of input; 1 when the auth config is unusable or the token
  /// is rejected (recorded as `auth.rejected`); 2 when calls were still running at exit (the
  /// caller must then exit without destroying the App).
  int serve_stdio();

  /// Serves Streamable HTTP (+ legacy SSE) on `http.listen_host:http.port`, with bearer
  /// authentication when `auth:` is configured (RFC 6750, RFC 9728 metadata documents), the
  /// approvals API and web console, GET /healthz, and GET /metrics (Prometheus text 0.0.4) from
  /// `metrics` (the registry given to `create`; may be nullptr). Blocks until SIGINT/SIGTERM.
  /// Returns the exit code as serve_stdio does.
  int serve_http();

  /// Serves the MySQL front door (`mysql:` section, docs/mysql.md) until SIGINT/SIGTERM; with
  /// `with_http`, Streamable HTTP as serve_http() in the same process. Returns the exit code as
  /// serve_http does; 1 when the listener cannot start or `mysql:` is missing.
  int serve_mysql(bool with_http);

  guard::Guard& guard() { return *guard_; }
  tools::ToolRegistry& tools() { return tools_; }
  tools::SessionObserver& session_observer() { return *observer_; }
  recorder::AuditLog& audit() { return *audit_; }
  db::ConnectionPool& pool() { return *pool_; }
  /// nullptr when the config has no `approvals:` section.
  approvals::ApprovalService* approvals() { return approvals_.get(); }
  const Config& config() const { return config_; }

  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

 private:
  explicit App(Config config, db::CredentialVault vault);

  Config config_;
  common::MetricsRegistry* metrics_ = nullptr;
  db::CredentialVault vault_;
  std::unique_ptr<recorder::AuditLog> audit_;
  std::unique_ptr<WebhookNotifier> webhook_;
  std::unique_ptr<approvals::ApprovalService> approvals_;  ///< after audit_ and webhook_: uses both
  std::shared_ptr<const policy::MaskingEngine> masking_;
  std::unique_ptr<policy::PolicyEngine> policy_;
  policy::StatementAnalyzer analyzer_;
  std::unique_ptr<db::ConnectionPool> pool_;
  std::unique_ptr<guard::Guard> guard_;
  tools::ToolRegistry tools_;
  std::unique_ptr<tools::GuardSessionObserver> observer_;
};

}  // namespace sqlguard::server
