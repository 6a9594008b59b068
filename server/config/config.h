// The sqlguard configuration file (YAML), validated on load with exact error locations.
// Schema: schemas/config.schema.json; reference: docs/configuration.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "db/endpoint.h"
#include "policy/masking_config.h"
#include "policy/policy_config.h"
#include "policy/principal.h"
#include "recorder/audit_log.h"

namespace sqlguard::server {

/// Where the database password comes from. Exactly one is set; inline passwords are refused.
struct CredentialSource {
  std::filesystem::path password_file;  ///< absolute; first line is the password
  std::string password_env;             ///< name of an environment variable
};

struct PoolOptions {
  uint32_t max_connections = 8;
  uint32_t acquire_timeout_ms = 5000;  ///< wait for a free connection, then kUnavailable
};

/// `http:` — Streamable HTTP (+ legacy HTTP+SSE) transport.
struct HttpConfig {
  bool enabled = false;
  std::string listen_host = "127.0.0.1";
  uint16_t port = 8080;
  std::string resource_url;  ///< canonical URL of the MCP endpoint (RFC 8707 audience / RFC 9728)
  std::vector<std::string> allowed_origins;  ///< exact Origin values; loopback origins always ok
  std::vector<std::string> allowed_hosts;    ///< extra Host header values
  std::filesystem::path tls_cert_file;
  std::filesystem::path tls_key_file;
  uint64_t max_request_bytes = 4ull << 20;
  uint32_t session_idle_timeout_s = 1800;
};

/// `auth.oidc:` — OAuth 2.1 resource server validating bearer JWTs.
struct OidcConfig {
  std::string issuer;                  ///< exact `iss`
  std::string discovery_url;           ///< default: issuer + "/.well-known/openid-configuration"
  std::string jwks_uri;                ///< overrides discovery
  std::filesystem::path jwks_file;     ///< static JWKS (no network)
  std::vector<std::string> audiences;  ///< accepted `aud` values; default: http.resource_url
  std::vector<std::string> algorithms = {"RS256", "ES256", "EdDSA"};
  std::vector<std::string> required_scopes;
  uint32_t clock_skew_s = 60;
  std::string subject_claim = "sub";
  std::string groups_claim = "groups";  ///< dotted path, e.g. "realm_access.roles"
  std::string client_id_claim = "azp";  ///< falls back to "client_id"
  bool accept_id_tokens = false;
  uint32_t jwks_min_refresh_interval_s = 30;
};

/// `auth.api_keys[]` — static keys for service accounts, stored only as SHA-256 hashes.
struct ApiKeyConfig {
  std::string id;
  std::string sha256_hex;  ///< lower-case hex SHA-256 of the key
  std::string subject;
  std::vector<std::string> groups;
};

struct AuthConfig {
  std::optional<OidcConfig> oidc;
  std::vector<ApiKeyConfig> api_keys;
  std::string stdio_token_env;  ///< env var holding a bearer token for stdio identity
};

/// `audit:` beyond the recorder's own options.
struct AuditConfig {
  recorder::AuditLogOptions log;
  /// `durability`: "strict" (true, the default): every call.outcome is durable before the answer
  /// leaves; "intent" (false): intents stay durable before execution, outcomes are group-
  /// committed right after the answer (docs/audit.md "Durability").
  bool strict_durability = true;
  bool record_results = false;  ///< include masked result rows in outcome records
  uint32_t record_results_max_rows = 100;
};

/// `approvals:` — just-in-time approvals (docs/approvals.md). Absent: statements an `approve`
/// rule matches are refused.
struct ApprovalsConfig {
  bool enabled = false;                      ///< true when the section is present
  std::string store = "sqlite";              ///< "sqlite" (one instance) or "mariadb" (shared by instances)
  std::filesystem::path sqlite_path;         ///< default: approvals.db next to the config file
  db::DatabaseEndpoint mariadb;              ///< store.* for mariadb; password left empty
  CredentialSource mariadb_credential;       ///< store.password_file / store.password_env
  uint32_t wait_ms = 25000;                  ///< run_sql waits this long for a decision
  uint32_t expiry_s = 3600;                  ///< requests (and unused approvals) expire after this
  std::vector<std::string> reviewer_groups;  ///< global reviewers, besides each rule's approvers
  std::string webhook_url;                   ///< Slack-compatible webhook announcing new requests
  bool trust_loopback_reviewer_header = false;  ///< X-Sqlguard-Reviewer without authentication
};

/// `mysql.accounts[]` — a named gateway account for clients that can only send a password
/// (mysql_native_password). The config holds the verifier SHA1(SHA1(password)) ("*" + 40 hex
/// digits, as MariaDB's PASSWORD() prints it), never the password.
struct MySqlAccountConfig {
  std::string user;
  std::string password_verifier;  ///< "*" + 40 hex digits
  policy::Principal principal;    ///< auth_method "mysql-account"
};

/// `mysql:` — the MySQL wire-protocol front door (docs/mysql.md). Present: `serve --mysql`
/// listens on listen_host:port.
struct MySqlConfig {
  bool enabled = false;
  std::string listen_host = "127.0.0.1";  ///< a non-loopback address requires tls_cert_file
  uint16_t port = 3307;
  std::filesystem::path tls_cert_file;  ///< PEM certificate chain; set: TLS is offered (and
  std::filesystem::path tls_key_file;   ///< required of clients that are not on loopback)
  uint32_t max_connections = 64;
  uint32_t idle_timeout_s = 3600;         ///< a connection silent this long is closed
  uint32_t handshake_timeout_s = 10;      ///< the whole handshake must finish within this
  uint64_t max_packet_bytes = 16u << 20;  ///< largest message accepted (max_allowed_packet)
  uint32_t max_auth_failures = 10;        ///< per source address per minute; more are refused unchecked
  std::vector<MySqlAccountConfig> accounts;
};

/// The whole file.
struct Config {
  std::filesystem::path file;  ///< absolute path of the file that was loaded
  std::string server_name = "sqlguard";
  db::DatabaseEndpoint database;  ///< password left empty; the credential vault fills it
  CredentialSource credential;
  PoolOptions pool;
  policy::Principal stdio_principal;
  policy::PolicyConfig policy;
  policy::MaskingConfig masking;  ///< hash_key loaded from masking.hash_key_file
  AuditConfig audit;
  HttpConfig http;
  AuthConfig auth;
  ApprovalsConfig approvals;
  MySqlConfig mysql;
};

/// Loads and validates `file`. Relative paths inside are resolved against the file's directory.
/// Errors: kUnavailable when `file` cannot be read; else kInvalidInput, one message per problem
/// (an unreadable secret file included), newline-separated, each "file:line:col: key.path:
/// problem", e.g. "sqlguard.yaml:14:9: policy.rules[2].action: expected allow, deny or approve".
/// Secret files (password_file, hash_key_file) must not be readable by others (mode o-r).
common::Result<Config> load_config(const std::filesystem::path& file);

/// As load_config(), from text; `file_name` is used in messages, `base_dir` resolves paths.
common::Result<Config> parse_config(std::string_view yaml_text, const std::string& file_name,
                                    const std::filesystem::path& base_dir);

}  // namespace sqlguard::server
