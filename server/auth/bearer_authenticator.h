// HTTP caller authentication for the MCP endpoint, independent of the HTTP library: an OAuth 2.1
// resource server (OAuth 2.1 §5.2) that accepts bearer JWT access tokens (RFC 9068, RFC 7519)
// signed by the configured issuer, and static API keys for service accounts. Also validates the
// token given to `serve --stdio` by environment variable.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "policy/principal.h"
#include "server/auth/jwks.h"
#include "server/auth/jwt_validator.h"
#include "server/config/config.h"

namespace sqlguard::server {

/// Prefix of sqlguard API keys; a bearer credential with it is an API key, not a JWT.
inline constexpr std::string_view kApiKeyPrefix = "sgk_";

/// A successfully authenticated caller.
struct AuthenticatedCaller {
  /// subject (configured claim, default "sub"), issuer ("iss"), groups (configured claim path),
  /// auth_method "oidc" or "api-key". client_name/client_version are left empty: they hold the
  /// MCP clientInfo, which the protocol layer fills in; the OAuth client is in `client_id`.
  policy::Principal principal;
  std::string client_id;            ///< OAuth client ("azp", then "client_id"); "" for API keys
  std::vector<std::string> scopes;  ///< from "scope" (space-separated) or "scp" (array)
  std::string token_id;             ///< "jti", if any
  std::string api_key_id;           ///< ApiKeyConfig::id for API keys
  /// "exp" of the token; time_point::max() for API keys. Long-lived sessions must re-check.
  std::chrono::system_clock::time_point expires_at = std::chrono::system_clock::time_point::max();
};

/// A rejected request: the HTTP answer to give, plus what the audit event should record.
/// Unverified token contents are never copied here except the header's alg and kid.
struct AuthRejection {
  int status =
      401;  ///< 400 (two credentials), 401 (missing/invalid), 403 (scope), 503 (IdP keys unavailable)
  /// RFC 6750 §3.1 error code: "invalid_request", "invalid_token", "insufficient_scope", or ""
  /// when no credentials were sent (RFC 6750 §3.1: then no error code).
  std::string error;
  /// Machine-readable cause for the audit log and metrics: "missing_credentials",
  /// "multiple_credentials", "unsupported_scheme", "malformed", "too_large", "alg_not_allowed",
  /// "forbidden_header", "unknown_kid", "bad_signature", "keys_unavailable", "wrong_issuer",
  /// "wrong_audience", "expired", "not_yet_valid", "issued_in_future", "missing_claim",
  /// "id_token_not_accepted", "insufficient_scope", "unknown_api_key", "oidc_not_configured".
  std::string reason;
  std::string message;           ///< human text, safe to return to the client
  std::string www_authenticate;  ///< full `WWW-Authenticate` value; empty for 503
  std::string token_alg;         ///< JOSE header alg, if a JWT was parsed (printable, ≤ 64)
  std::string token_kid;         ///< JOSE header kid, if any (printable, ≤ 64)
  /// Only set when the signature verified (rejections for iss/aud/exp/nbf/scope): who it was.
  std::string subject;
  std::string issuer;
  std::string client_id;
};

/// Dependencies of BearerAuthenticator that tests replace; defaults suit production.
struct BearerAuthenticatorOptions {
  /// Fetches discovery documents and JWK Sets; default make_http_fetcher().
  std::shared_ptr<HttpFetcher> fetcher;
  /// Wall clock for exp/nbf/iat; default system_clock::now.
  std::function<std::chrono::system_clock::time_point()> now;
  /// Monotonic clock for the JWKS cache; default steady_clock::now.
  JwksCache::Clock steady_now;
  /// Reload the JWK Set when older than this, seconds.
  std::chrono::seconds jwks_max_age{3600};
};

/// Validates `Authorization: Bearer ...` / `X-API-Key` credentials.
///
/// JWTs (when auth.oidc is configured), after JwtValidator's signature and header checks:
/// - "iss" equals auth.oidc.issuer exactly;
/// - "aud" (string or array) contains one of auth.oidc.audiences (default: http.resource_url),
///   i.e. the token was issued for this server (RFC 8707, MCP "no token passthrough");
/// - "exp" is required and in the future, "nbf" (if any) in the past and "iat" (if any) not in
///   the future, each with auth.oidc.clock_skew_s of tolerance (RFC 7519 §4.1.4-6);
/// - the subject claim (dotted path allowed) is a non-empty string;
/// - unless accept_id_tokens, tokens that look like OIDC ID tokens ("nonce", "at_hash" or
///   "c_hash" claims without typ at+jwt) are refused: an ID token is proof of login for the
///   client, not an access token for this server;
/// - every auth.oidc.required_scopes entry is granted, else 403 insufficient_scope
///   (a 401 here would make MCP clients loop re-authenticating; MCP 2025-11-25 authorization).
/// Groups come from auth.oidc.groups_claim: a top-level claim of that exact name first (Auth0
/// style "https://example.com/roles"), else a dotted path ("realm_access.roles"); an array of
/// strings or a space-separated string. At most 256 groups of ≤ 256 bytes are kept.
///
/// API keys: `Authorization: Bearer sgk_...` or `X-API-Key: sgk_...`; the SHA-256 of the key
/// is compared with every auth.api_keys[].sha256 in constant time (CRYPTO_memcmp), so the
/// config holds only hashes. Sending both headers is a 400 invalid_request (RFC 6750 §2).
///
/// Thread-safety: authenticate_* are const and safe to call concurrently from HTTP workers.
class BearerAuthenticator {
 public:
  using Options = BearerAuthenticatorOptions;

  /// Builds the authenticator from the loaded config. With a jwks_file, the file is loaded
  /// now so a bad file is a start-up error; network sources are loaded on the first token.
  /// Errors (start-up configuration errors): kInvalidInput for an invalid jwks_file, oidc
  /// without issuer or audiences, a forbidden algorithm, a malformed API key digest, neither
  /// oidc nor api_keys configured; an unreadable jwks_file as JwksCache::keys() (kUnavailable).
  static common::Result<std::shared_ptr<BearerAuthenticator>> create(const HttpConfig& http,
                                                                     const AuthConfig& auth,
                                                                     Options options = {});

  /// Authenticates one HTTP request from its `Authorization` and `X-API-Key` header values
  /// ("" when absent). Never throws.
  std::expected<AuthenticatedCaller, AuthRejection> authenticate_headers(
      std::string_view authorization, std::string_view x_api_key = {}) const;

  /// Authenticates a bare credential (a JWT or an "sgk_" API key), e.g. the stdio token.
  std::expected<AuthenticatedCaller, AuthRejection> authenticate_token(std::string_view credential) const;

  /// Loads the JWK Set now (for a start-up log line). Errors: as JwksCache::keys().
  common::Result<void> prefetch_keys() const;

  /// The `WWW-Authenticate` value for a request without credentials (RFC 9728 §5.1).
  const std::string& challenge() const { return challenge_; }

  /// The metadata URL used in challenges (RFC 9728 §3.1 path-suffixed form).
  const std::string& resource_metadata_url() const { return metadata_url_; }

  BearerAuthenticator(const HttpConfig& http, const AuthConfig& auth, Options options);

 private:
  struct ApiKey {
    common::Sha256Digest sha256{};
    ApiKeyConfig config;
  };

  std::expected<AuthenticatedCaller, AuthRejection> authenticate_jwt(std::string_view token) const;
  std::expected<AuthenticatedCaller, AuthRejection> authenticate_api_key(std::string_view key) const;
  AuthRejection reject(int status, std::string error, std::string reason, std::string message,
                       const std::vector<std::string>& scopes = {}) const;

  std::optional<OidcConfig> oidc_;
  std::vector<ApiKey> api_keys_;
  std::string metadata_url_;
  std::string challenge_;
  Options options_;
  std::shared_ptr<JwksCache> jwks_;
  std::unique_ptr<JwtValidator> validator_;
};

/// SHA-256 of an API key as 64 lower-case hex digits: the value to put in
/// auth.api_keys[].sha256.
std::string api_key_sha256_hex(std::string_view key);

/// A new random API key: "sgk_" + 43 base64url characters (256 bits from RAND_bytes).
/// Throws std::runtime_error only if the CSPRNG fails.
std::string generate_api_key();

/// The stdio identity (MCP: stdio servers take credentials from the environment): when
/// auth.stdio_token_env names a non-empty environment variable, its value (a JWT or an API
/// key) validated with authenticate_token(); std::nullopt when no variable is configured or it
/// is unset/empty, and then the config's stdio.principal applies. Reads the environment with
/// std::getenv: call it at start-up, before threads start.
std::optional<std::expected<AuthenticatedCaller, AuthRejection>> authenticate_stdio_token(
    const BearerAuthenticator& authenticator, const AuthConfig& auth);

}  // namespace sqlguard::server
