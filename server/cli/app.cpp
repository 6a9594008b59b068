#include "server/cli/app.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <thread>

#include "approvals/mariadb_approval_store.h"
#include "approvals/sqlite_approval_store.h"
#include "server/admin/approvals_http.h"
#include "server/admin/console_http.h"
#include "server/admin/metered_audit_log.h"
#include "server/auth/bearer_authenticator.h"
#include "server/auth/bearer_http_authenticator.h"
#include "server/auth/oauth_metadata.h"
#include "server/mcp/http_transport.h"
#include "server/mcp/server_info.h"
#include "server/mcp/stdio_transport.h"
#include "server/mysql/mysql_server.h"

namespace sqlguard::server {
namespace {

/// The `auth.rejected` audit event's `rejection` member (docs/audit.md).
nlohmann::json rejection_json(const AuthRejection& r) {
  nlohmann::json j = {{"status", r.status}, {"error", r.error}, {"reason", r.reason}, {"message", r.message}};
  if (!r.token_alg.empty()) j["token_alg"] = r.token_alg;
  if (!r.token_kid.empty()) j["token_kid"] = r.token_kid;
  if (!r.subject.empty()) j["subject"] = r.subject;
  if (!r.issuer.empty()) j["issuer"] = r.issuer;
  if (!r.client_id.empty()) j["client_id"] = r.client_id;
  return j;
}

bool auth_configured(const Config& config) {
  return config.auth.oidc.has_value() || !config.auth.api_keys.empty();
}

/// The bearer authenticator `auth:` configures; nullptr without `auth:`.
common::Result<std::shared_ptr<BearerAuthenticator>> open_bearer(const Config& config) {
  if (!auth_configured(config)) return std::shared_ptr<BearerAuthenticator>();
  auto bearer = BearerAuthenticator::create(config.http, config.auth);
  if (!bearer) return std::unexpected(common::prefixed("auth: ", bearer.error()));
  return std::move(*bearer);
}

}  // namespace

App::App(Config config, db::CredentialVault vault) : config_(std::move(config)), vault_(std::move(vault)) {}

App::~App() = default;

common::Result<std::unique_ptr<approvals::ApprovalStore>> open_approval_store(const ApprovalsConfig& config) {
  if (config.store == "mariadb") {
    auto vault = db::CredentialVault::open(config.mariadb_credential.password_file,
                                           config.mariadb_credential.password_env);
    if (!vault) return std::unexpected(common::prefixed("approvals.store: ", vault.error()));
    db::DatabaseEndpoint endpoint = config.mariadb;
    endpoint.password = vault->password();
    auto store = approvals::MariaDbApprovalStore::open(std::move(endpoint));
    if (!store) {
      common::Error e = store.error();
      e.message = vault->scrub(std::move(e.message));
      return std::unexpected(std::move(e));
    }
    return std::unique_ptr<approvals::ApprovalStore>(std::move(*store));
  }
  auto store = approvals::SqliteApprovalStore::open(config.sqlite_path);
  if (!store) return std::unexpected(store.error());
  return std::unique_ptr<approvals::ApprovalStore>(std::move(*store));
}

approvals::ApprovalServiceOptions approval_service_options(const Config& config) {
  approvals::ApprovalServiceOptions o;
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

common::Result<std::unique_ptr<App>> App::create(const Config& config, common::MetricsRegistry* metrics) {
  auto vault = db::CredentialVault::open(config.credential.password_file, config.credential.password_env);
  if (!vault) return std::unexpected(vault.error());
  std::unique_ptr<App> app(new App(config, std::move(*vault)));
  app->metrics_ = metrics;
  auto masking = policy::MaskingEngine::create(config.masking);
  if (!masking) return std::unexpected(common::prefixed("masking: ", masking.error()));
  app->masking_ = std::move(*masking);
  auto audit = recorder::AuditLog::open(config.audit.log);
  if (!audit)
    return std::unexpected(
        common::prefixed("audit log " + config.audit.log.dir.string() + ": ", audit.error()));
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
    approvals::ApprovalServiceOptions options = approval_service_options(config);
    if (!config.approvals.webhook_url.empty()) {
      app->webhook_ = std::make_unique<WebhookNotifier>(config.approvals.webhook_url);
      options.on_created = [w = app->webhook_.get()](const approvals::ApprovalRequest& r) { w->announce(r); };
    }
    app->approvals_ = std::make_unique<approvals::ApprovalService>(std::move(*store), app->audit_.get(),
                                                                   std::move(options));
  }
  app->policy_ = std::make_unique<policy::PolicyEngine>(config.policy);
  app->pool_ =
      std::make_unique<db::ConnectionPool>(config.database, app->vault_, config.pool.max_connections,
                                           std::chrono::milliseconds(config.pool.acquire_timeout_ms));
  guard::GuardOptions options;
  options.durability =
      config.audit.strict_durability ? guard::Durability::kStrict : guard::Durability::kIntent;
  options.record_results = config.audit.record_results;
  options.record_results_max_rows = config.audit.record_results_max_rows;
  try {
    app->guard_ = std::make_unique<guard::Guard>(app->analyzer_, *app->policy_, app->masking_, *app->audit_,
                                                 *app->pool_, app->vault_, options, app->approvals_.get());
  } catch (const std::runtime_error& e) {
    return common::fail(common::ErrorCode::kInternal, e.what());  // no randomness for call ids
  }
  app->tools_ = tools::make_sql_tools(*app->guard_);
  app->observer_ = std::make_unique<tools::GuardSessionObserver>(*app->guard_);
  return app;
}

int App::serve_stdio() {
  auto bearer = open_bearer(config_);
  if (!bearer) {
    spdlog::critical("cannot start: {}", bearer.error().message);
    return 1;
  }
  policy::Principal principal = config_.stdio_principal;
  if (*bearer) {
    // MCP: stdio servers take credentials from the environment.
    if (auto token = authenticate_stdio_token(**bearer, config_.auth)) {
      if (!*token) {
        guard_->auth_rejected(rejection_json(token->error()), "stdio");
        spdlog::critical("cannot start: the token in ${} was rejected: {}", config_.auth.stdio_token_env,
                         token->error().message);
        return 1;
      }
      principal = (*token)->principal;
    }
  }
  spdlog::info("sqlguard {} serving over stdio as {}; database {}; audit log {}", server_version(),
               principal.subject, config_.database.describe(), config_.audit.log.dir.string());
  return server::serve_stdio(tools_, observer_.get(), principal);
}

int App::serve_http() {
  auto bearer = open_bearer(config_);
  if (!bearer) {
    spdlog::critical("cannot start: {}", bearer.error().message);
    return 1;
  }
  std::unique_ptr<BearerHttpAuthenticator> authenticator;
  if (*bearer) {
    AuthObserver observer;
    observer.on_rejected = [this](const AuthRejection& r, std::string_view remote) {
      guard_->auth_rejected(rejection_json(r), std::string(remote));
    };
    authenticator = std::make_unique<BearerHttpAuthenticator>(*bearer, observer);
  }
  const HttpConfig& http = config_.http;
  HttpOptions options;
  options.bind_address = http.listen_host;
  options.port = http.port;
  options.allowed_hosts = http.allowed_hosts;
  options.allowed_origins = http.allowed_origins;
  options.session_idle_timeout = std::chrono::seconds(http.session_idle_timeout_s);
  options.tls_cert_file = http.tls_cert_file.string();
  options.tls_key_file = http.tls_key_file.string();
  if (auth_configured(config_)) {
    const auto doc = protected_resource_metadata(http, config_.auth, config_.server_name);
    for (const auto& path : protected_resource_metadata_paths(http))
      options.public_documents.emplace_back(path, doc);
  }
  if (!http.resource_url.empty()) {
    // Serve the endpoint at the path clients are told about (RFC 9728 `resource`).
    const auto scheme_end = http.resource_url.find("://");
    const auto path_start =
        scheme_end == std::string::npos ? std::string::npos : http.resource_url.find('/', scheme_end + 3);
    if (path_start != std::string::npos) options.path = http.resource_url.substr(path_start);
  }
  // The approvals API and the web console, on the same server and behind the same
  // authentication (docs/approvals.md, docs/console.md).
  if (approvals_ != nullptr) {
    ApprovalsHttpOptions ao;
    ao.trust_loopback_reviewer_header = config_.approvals.trust_loopback_reviewer_header;
    ao.allowed_hosts = http.allowed_hosts;
    options.extra_routes.push_back(
        [service = approvals_.get(), ao, auth = authenticator.get()](httplib::Server& svr) {
          register_approval_routes(svr, *service, auth, ao);
        });
  }
  ConsoleOptions console;
  console.audit_dir = config_.audit.log.dir;
  console.reviewer_groups = config_.approvals.reviewer_groups;
  console.trust_loopback_reviewer_header = config_.approvals.trust_loopback_reviewer_header;
  console.allowed_hosts = http.allowed_hosts;
  options.extra_routes.push_back([console, auth = authenticator.get()](httplib::Server& svr) {
    register_console_routes(svr, console, auth);
  });
  // GET /metrics (Prometheus text format 0.0.4): the registry plus scrape-time gauges.
  options.metrics.registry = metrics_;
  options.metrics.pool = [this] { return pool_->stats(); };
  options.metrics.approvals_pending = [this]() -> std::optional<std::uint64_t> {
    if (approvals_ == nullptr) return std::nullopt;
    auto pending = approvals_->count_pending();
    if (!pending) return std::nullopt;
    return *pending;
  };
  auto health = [this]() {
    std::string reason;
    const bool audit_ok = guard_->audit_healthy(&reason);
    const auto pool = pool_->stats();
    nlohmann::json h = {{"status", audit_ok ? "ok" : "unhealthy"},
                        {"audit", {{"writable", audit_ok}, {"records", audit_->size()}}},
                        {"pool", {{"open", pool.open}, {"leased", pool.leased}}}};
    if (!audit_ok) h["audit"]["reason"] = reason;
    return h;
  };
  ServerOptions session_options;
  session_options.max_message_bytes = http.max_request_bytes;
  policy::Principal anonymous = config_.stdio_principal;
  anonymous.auth_method = "loopback";
  spdlog::info("sqlguard {} serving Streamable HTTP on {}:{}{}; database {}; audit log {}", server_version(),
               options.bind_address, options.port,
               authenticator ? " (authentication required)" : " (no authentication: loopback only)",
               config_.database.describe(), config_.audit.log.dir.string());
  return server::serve_http(tools_, observer_.get(), authenticator.get(), anonymous, session_options, options,
                            health);
}

namespace {
volatile std::sig_atomic_t g_mysql_stop = 0;  // set by the SIGINT/SIGTERM handler only
extern "C" void on_mysql_stop(int signal) { g_mysql_stop = signal; }
}  // namespace

int App::serve_mysql(bool with_http) {
  if (!config_.mysql.enabled) {
    spdlog::critical("cannot start: serve --mysql needs a mysql: section in {}", config_.file.string());
    return 1;
  }
  auto bearer = open_bearer(config_);
  if (!bearer) {
    spdlog::critical("cannot start: {}", bearer.error().message);
    return 1;
  }
  MySqlServerOptions options;
  options.config = config_.mysql;
  // "MariaDB" in the version: Connector/C then reads the extended capabilities (masked-column
  // metadata); the database behind is MariaDB, and its SQL dialect is what the guard analyses.
  options.server_version = "5.5.5-10.11.0-MariaDB-sqlguard-" + std::string(server_version());
  options.version_comment = "sqlguard " + std::string(server_version()) + " (governed MySQL front door)";
  MySqlServer mysql(*guard_, bearer->get(), std::move(options));
  auto port = mysql.start();
  if (!port) {
    spdlog::critical("cannot start: {}", port.error().message);
    return 1;
  }
  spdlog::info("sqlguard {} serving the MySQL protocol on {}:{} ({} account(s){}); database {}; audit log {}",
               server_version(), config_.mysql.listen_host, *port, config_.mysql.accounts.size(),
               *bearer ? ", bearer tokens as mysql_clear_password" : "", config_.database.describe(),
               config_.audit.log.dir.string());
  int rc = 0;
  if (with_http) {
    rc = serve_http();
  } else {
    g_mysql_stop = 0;
    const auto old_int = std::signal(SIGINT, on_mysql_stop);
    const auto old_term = std::signal(SIGTERM, on_mysql_stop);
    while (g_mysql_stop == 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    spdlog::info("mysql: signal {} received, shutting down", static_cast<int>(g_mysql_stop));
    std::signal(SIGINT, old_int);
    std::signal(SIGTERM, old_term);
  }
  mysql.stop();
  return rc;
}

}  // namespace sqlguard::server
