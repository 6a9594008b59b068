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
std::expected<std::unique_ptr<approvals::ApprovalStore>, std::string> open_approval_store(
    const ApprovalsConfig& config);

/// ApprovalService options from the config (wait, expiry, reviewer groups, and every approver
/// group the policy names).
approvals::ApprovalServiceOptions approval_service_options(const Config& config);

/// Owns every component; members are built in dependency order and destroyed in reverse.
/// Creating an App does not connect to the database (sqlguard starts and answers MCP while the
/// database is down; tool calls then fail with a clear error until it is back).
class App {
 public:
  /// Errors: credential source unusable, audit log cannot be opened or recovered, masking rules
  /// invalid, approval store unusable (when `approvals:` is configured). Messages never contain
  /// the credential.
  /// `metrics` (may be nullptr) receives tool-call, decision, auth and audit-latency metrics;
  /// it must outlive the App.
  static std::expected<std::unique_ptr<App>, std::string> create(const Config& config,
                                                                 common::MetricsRegistry* metrics = nullptr);

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
