#include "server/app.h"

namespace sqlguard::server {

App::App(Config config, guard::CredentialVault vault)
    : config_(std::move(config)), vault_(std::move(vault)) {}

std::expected<std::unique_ptr<App>, std::string> App::create(const Config& config) {
  auto vault = guard::CredentialVault::open(config.credential.password_file, config.credential.password_env);
  if (!vault) return std::unexpected(vault.error());
  std::unique_ptr<App> app(new App(config, std::move(*vault)));
  auto masking = policy::MaskingEngine::create(config.masking);
  if (!masking) return std::unexpected("masking: " + masking.error());
  app->masking_ = std::move(*masking);
  auto audit = recorder::AuditLog::open(config.audit.log);
  if (!audit) return std::unexpected("audit log " + config.audit.log.dir.string() + ": " + audit.error());
  app->audit_ = std::move(*audit);
  app->policy_ = std::make_unique<policy::PolicyEngine>(config.policy);
  app->pool_ = std::make_unique<guard::ConnectionPool>(
      config.database, app->vault_, config.pool.max_connections,
      std::chrono::milliseconds(config.pool.acquire_timeout_ms));
  guard::GuardOptions options;
  options.record_results = config.audit.record_results;
  options.record_results_max_rows = config.audit.record_results_max_rows;
  app->guard_ = std::make_unique<guard::Guard>(app->analyzer_, *app->policy_, app->masking_,
                                               *app->audit_, *app->pool_, app->vault_, options);
  app->tools_ = tools::make_sql_tools(*app->guard_);
  app->observer_ = std::make_unique<tools::GuardSessionObserver>(*app->guard_);
  return app;
}

}  // namespace sqlguard::server
