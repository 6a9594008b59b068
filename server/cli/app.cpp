#include "server/cli/app.h"

#include <algorithm>

#include "guard/mariadb_approval_store.h"
#include "guard/sqlite_approval_store.h"
#include "server/admin/approvals_http.h"
#include "server/admin/metered_audit_log.h"

namespace sqlguard::server {

App::App(Config config, db::CredentialVault vault) : config_(std::move(config)), vault_(std::move(vault)) {}

App::~App() = default;

std::expected<std::unique_ptr<guard::ApprovalStore>, std::string> open_approval_store(
    const ApprovalsConfig& config) {
  if (config.store == "mariadb") {
    auto vault = db::CredentialVault::open(config.mariadb_credential.password_file,
                                           config.mariadb_credential.password_env);
    if (!vault) return std::unexpected("approvals.store: " + vault.error().message);
    db::DatabaseEndpoint endpoint = config.mariadb;
    endpoint.password = vault->password();
    auto store = guard::MariaDbApprovalStore::open(std::move(endpoint));
    if (!store) return std::unexpected(vault->scrub(store.error()));
    return std::unique_ptr<guard::ApprovalStore>(std::move(*store));
  }
  auto store = guard::SqliteApprovalStore::open(config.sqlite_path);
  if (!store) return std::unexpected(store.error());
  return std::unique_ptr<guard::ApprovalStore>(std::move(*store));
}

guard::ApprovalServiceOptions approval_service_options(const Config& config) {
  guard::ApprovalServiceOptions o;
  o.wait = std::chrono::milliseconds(config.approvals.wait_ms);
  o.expiry = std::chrono::milliseconds(uint64_t{config.approvals.expiry_s} * 1000);
  o.reviewer_groups = config.approvals.reviewer_groups;
  for (const auto& rule : config.policy.rules) {
    for (const auto& g : rule.approver_groups) {
      if (std::find(o.known_approver_groups.begin(), o.known_approver_groups.end(), g) ==
          o.known_approver_groups.end()) {
        o.known_approver_groups.push_back(g);
      }
    }
  }
  return o;
}

std::expected<std::unique_ptr<App>, std::string> App::create(const Config& config,
                                                             common::MetricsRegistry* metrics) {
  auto vault = db::CredentialVault::open(config.credential.password_file, config.credential.password_env);
  if (!vault) return std::unexpected(vault.error().message);
  std::unique_ptr<App> app(new App(config, std::move(*vault)));
  auto masking = policy::MaskingEngine::create(config.masking);
  if (!masking) return std::unexpected("masking: " + masking.error().message);
  app->masking_ = std::move(*masking);
  auto audit = recorder::AuditLog::open(config.audit.log);
  if (!audit)
    return std::unexpected("audit log " + config.audit.log.dir.string() + ": " + audit.error().message);
  // With a metrics registry, every record passes through MeteredAuditLog on its way to disk:
  // calls by tool and decision, durations, auth rejections and append latency (/metrics).
  if (metrics != nullptr) {
    app->audit_ = std::make_unique<MeteredAuditLog>(std::move(*audit), *metrics);
  } else {
    app->audit_ = std::move(*audit);
  }
  if (config.approvals.enabled) {
    auto store = open_approval_store(config.approvals);
    if (!store) return std::unexpected(store.error());
    guard::ApprovalServiceOptions options = approval_service_options(config);
    if (!config.approvals.webhook_url.empty()) {
      app->webhook_ = std::make_unique<WebhookNotifier>(config.approvals.webhook_url);
      options.on_created = [w = app->webhook_.get()](const guard::ApprovalRequest& r) { w->announce(r); };
    }
    app->approvals_ =
        std::make_unique<guard::ApprovalService>(std::move(*store), app->audit_.get(), std::move(options));
  }
  app->policy_ = std::make_unique<policy::PolicyEngine>(config.policy);
  app->pool_ =
      std::make_unique<db::ConnectionPool>(config.database, app->vault_, config.pool.max_connections,
                                           std::chrono::milliseconds(config.pool.acquire_timeout_ms));
  guard::GuardOptions options;
  options.record_results = config.audit.record_results;
  options.record_results_max_rows = config.audit.record_results_max_rows;
  try {
    app->guard_ = std::make_unique<guard::Guard>(app->analyzer_, *app->policy_, app->masking_, *app->audit_,
                                                 *app->pool_, app->vault_, options, app->approvals_.get());
  } catch (const std::runtime_error& e) {
    return std::unexpected(e.what());  // no randomness for call ids
  }
  app->tools_ = tools::make_sql_tools(*app->guard_);
  app->observer_ = std::make_unique<tools::GuardSessionObserver>(*app->guard_);
  return app;
}

}  // namespace sqlguard::server
