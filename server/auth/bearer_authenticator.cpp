#include "server/auth/bearer_authenticator.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <utility>

#include <openssl/crypto.h>

#include "common/bytes.h"
#include "common/random.h"
#include "common/text.h"
#include "policy/sql_lexer.h"
#include "server/auth/oauth_metadata.h"

namespace sqlguard::server {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxGroups = 256;
constexpr std::size_t kMaxClaimString = 256;
constexpr std::size_t kMaxApiKeyBytes = 256;

/// The 32-byte digest a configured `sha256` (64 hex characters) names; nullopt if malformed.
std::optional<common::Sha256Digest> digest_from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  auto bytes = common::hex_decode(hex);
  if (!bytes) return std::nullopt;
  common::Sha256Digest out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

/// The claim at `path`: a top-level member named exactly `path` first, else the dotted path
/// through nested objects. nullptr when absent.
const json* claim_at(const json& claims, std::string_view path) {
  if (path.empty() || !claims.is_object()) return nullptr;
  if (auto it = claims.find(std::string(path)); it != claims.end()) return &*it;
  const json* cur = &claims;
  while (true) {
    const auto dot = path.find('.');
    const std::string part(path.substr(0, dot));
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(part);
    if (it == cur->end()) return nullptr;
    cur = &*it;
    if (dot == std::string_view::npos) return cur;
    path.remove_prefix(dot + 1);
  }
}

/// A NumericDate (RFC 7519 §2): a finite JSON number of seconds since the epoch.
std::optional<double> numeric_date(const json* v) {
  if (v == nullptr || !v->is_number()) return std::nullopt;
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < 0 || d > 1e11) return std::nullopt;
  return d;
}

std::string string_claim(const json* v) {
  if (v == nullptr || !v->is_string()) return {};
  return v->get<std::string>();
}

/// Strings from an array of strings or a space-separated string; other members ignored.
std::vector<std::string> string_list(const json* v, std::size_t max_items) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  auto add = [&](std::string_view s) {
    if (!s.empty() && s.size() <= kMaxClaimString && out.size() < max_items) out.emplace_back(s);
  };
  if (v->is_string()) {
    std::string_view s = v->get_ref<const std::string&>();
    while (!s.empty()) {
      const auto sp = s.find(' ');
      add(s.substr(0, sp));
      if (sp == std::string_view::npos) break;
      s.remove_prefix(sp + 1);
    }
  } else if (v->is_array()) {
    for (const auto& e : *v) {
      if (e.is_string()) add(e.get_ref<const std::string&>());
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

common::Result<std::shared_ptr<BearerAuthenticator>> BearerAuthenticator::create(const HttpConfig& http,
                                                                                 const AuthConfig& auth,
                                                                                 Options options) {
  if (!auth.oidc && auth.api_keys.empty()) {
    return common::fail(common::ErrorCode::kInvalidInput,
                        "auth: neither auth.oidc nor auth.api_keys is configured");
  }
  if (auth.oidc) {
    if (auth.oidc->issuer.empty())
      return common::fail(common::ErrorCode::kInvalidInput, "auth.oidc.issuer: required");
    if (auth.oidc->audiences.empty()) {
      return common::fail(common::ErrorCode::kInvalidInput,
                          "auth.oidc.audiences: required (or set http.resource_url)");
    }
    for (const auto& alg : auth.oidc->algorithms) {
      if (alg == "none" || alg.starts_with("HS")) {
        return common::fail(common::ErrorCode::kInvalidInput,
                            "auth.oidc.algorithms: " + alg + " is never accepted");
      }
    }
  }
  for (const auto& k : auth.api_keys) {
    if (!digest_from_hex(k.sha256_hex)) {
      return common::fail(common::ErrorCode::kInvalidInput,
                          "auth.api_keys[" + k.id + "].sha256: expected 64 hex digits");
    }
  }
  auto a = std::make_shared<BearerAuthenticator>(http, auth, std::move(options));
  if (auth.oidc && !auth.oidc->jwks_file.empty()) {
    auto keys = a->jwks_->keys();
    if (!keys) return std::unexpected(common::prefixed("auth.oidc.jwks_file: ", keys.error()));
    if ((*keys)->keys.empty()) {
      return common::fail(common::ErrorCode::kInvalidInput,
                          "auth.oidc.jwks_file: " + auth.oidc->jwks_file.string() +
                              " holds no usable signature verification key");
    }
  }
  return a;
}

BearerAuthenticator::BearerAuthenticator(const HttpConfig& http, const AuthConfig& auth, Options options)
    : oidc_(auth.oidc), options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return std::chrono::system_clock::now(); };
  metadata_url_ = protected_resource_metadata_url(http);
  challenge_ = www_authenticate_bearer(metadata_url_, {}, {},
                                       oidc_ ? oidc_->required_scopes : std::vector<std::string>{});
  for (const auto& k : auth.api_keys) {
    if (auto h = digest_from_hex(k.sha256_hex)) api_keys_.push_back(ApiKey{*h, k});
  }
  if (oidc_) {
    JwksCache::Options cache_options;
    cache_options.min_refresh_interval = std::chrono::seconds(oidc_->jwks_min_refresh_interval_s);
    cache_options.max_age = options_.jwks_max_age;
    auto fetcher = options_.fetcher ? options_.fetcher : make_http_fetcher();
    jwks_ = std::make_shared<JwksCache>(JwksSource::from_config(*oidc_), cache_options, std::move(fetcher),
                                        options_.steady_now);
    validator_ = std::make_unique<JwtValidator>(oidc_->algorithms, jwks_);
  }
}

AuthRejection BearerAuthenticator::reject(int status, std::string error, std::string reason,
                                          std::string message, const std::vector<std::string>& scopes) const {
  AuthRejection r;
  r.status = status;
  r.error = std::move(error);
  r.reason = std::move(reason);
  r.message = std::move(message);
  if (status != 503) {
    r.www_authenticate = www_authenticate_bearer(metadata_url_, r.error, r.message, scopes);
  }
  return r;
}

std::expected<AuthenticatedCaller, AuthRejection> BearerAuthenticator::authenticate_headers(
    std::string_view authorization, std::string_view x_api_key) const {
  authorization = common::trim_blanks(authorization);
  x_api_key = common::trim_blanks(x_api_key);
  if (!authorization.empty() && !x_api_key.empty()) {
    return std::unexpected(reject(400, "invalid_request", "multiple_credentials",
                                  "send one credential: Authorization or X-API-Key, not both"));
  }
  if (!x_api_key.empty()) return authenticate_api_key(x_api_key);
  if (authorization.empty()) {
    AuthRejection r = reject(401, "", "missing_credentials", "authentication required");
    r.www_authenticate = challenge_;
    return std::unexpected(std::move(r));
  }
  const auto sp = authorization.find_first_of(" \t");
  const std::string_view scheme = authorization.substr(0, sp);
  if (!policy::iequals(scheme, "Bearer")) {
    AuthRejection r =
        reject(401, "", "unsupported_scheme", "use the Bearer authentication scheme (RFC 6750)");
    r.www_authenticate = challenge_;
    return std::unexpected(std::move(r));
  }
  const std::string_view credential =
      sp == std::string_view::npos ? std::string_view() : common::trim_blanks(authorization.substr(sp));
  if (credential.empty()) {
    return std::unexpected(
        reject(400, "invalid_request", "malformed", "the Authorization header has no bearer token"));
  }
  return authenticate_token(credential);
}

std::expected<AuthenticatedCaller, AuthRejection> BearerAuthenticator::authenticate_token(
    std::string_view credential) const {
  try {
    if (credential.starts_with(kApiKeyPrefix)) return authenticate_api_key(credential);
    return authenticate_jwt(credential);
  } catch (const std::exception&) {
    // Not expected on any input (parsing is exception-free); fail closed if it happens anyway.
    return std::unexpected(reject(401, "invalid_token", "malformed", "the token could not be processed"));
  }
}

common::Result<void> BearerAuthenticator::prefetch_keys() const {
  if (!jwks_) return {};
  auto keys = jwks_->keys();
  if (!keys) return std::unexpected(keys.error());
  return {};
}

std::expected<AuthenticatedCaller, AuthRejection> BearerAuthenticator::authenticate_api_key(
    std::string_view key) const {
  if (key.size() > kMaxApiKeyBytes || api_keys_.empty()) {
    return std::unexpected(reject(401, "invalid_token", "unknown_api_key", "the API key is not valid"));
  }
  const auto digest = common::sha256(key);
  const ApiKey* match = nullptr;
  for (const auto& k : api_keys_) {  // no early exit: same work whichever key matches
    if (CRYPTO_memcmp(digest.data(), k.sha256.data(), digest.size()) == 0) match = &k;
  }
  if (match == nullptr) {
    return std::unexpected(reject(401, "invalid_token", "unknown_api_key", "the API key is not valid"));
  }
  AuthenticatedCaller c;
  c.principal.subject = match->config.subject;
  c.principal.groups = match->config.groups;
  c.principal.auth_method = "api-key";
  c.api_key_id = match->config.id;
  return c;
}

std::expected<AuthenticatedCaller, AuthRejection> BearerAuthenticator::authenticate_jwt(
    std::string_view token) const {
  if (!validator_) {
    return std::unexpected(reject(401, "invalid_token", "oidc_not_configured",
                                  "bearer tokens are not accepted here; use an API key"));
  }
  auto verified = validator_->verify(token);
  if (!verified) {
    static constexpr std::pair<JwsErrorCode, const char*> kReasons[] = {
        {JwsErrorCode::kTooLarge, "too_large"},
        {JwsErrorCode::kMalformed, "malformed"},
        {JwsErrorCode::kAlgorithmNotAllowed, "alg_not_allowed"},
        {JwsErrorCode::kForbiddenHeader, "forbidden_header"},
        {JwsErrorCode::kUnknownKey, "unknown_kid"},
        {JwsErrorCode::kBadSignature, "bad_signature"},
        {JwsErrorCode::kKeysUnavailable, "keys_unavailable"},
    };
    std::string reason = "malformed";
    for (const auto& [code, name] : kReasons) {
      if (code == verified.error().code) reason = name;
    }
    AuthRejection r =
        verified.error().code == JwsErrorCode::kKeysUnavailable
            ? reject(503, "", reason, "the identity provider's signing keys are unavailable; try again later")
            : reject(401, "invalid_token", reason, verified.error().message);
    if (auto jws = parse_jws(token)) {
      r.token_alg = common::printable(jws->alg);
      r.token_kid = common::printable(jws->kid);
    }
    return std::unexpected(std::move(r));
  }
  const json& claims = verified->claims;
  const OidcConfig& oidc = *oidc_;
  const std::string iss = string_claim(claim_at(claims, "iss"));
  const std::string subject = string_claim(claim_at(claims, oidc.subject_claim));
  std::string client_id = string_claim(claim_at(claims, oidc.client_id_claim));
  if (client_id.empty()) client_id = string_claim(claim_at(claims, "client_id"));

  // From here on the signature is good: the rejection can say whose token it was.
  auto fail = [&](int status, const char* error, const char* reason, std::string message,
                  const std::vector<std::string>& scopes = {}) {
    AuthRejection r = reject(status, error, reason, std::move(message), scopes);
    r.token_alg = verified->alg;
    r.token_kid = common::printable(verified->kid);
    r.subject = common::printable(subject, kMaxClaimString);
    r.issuer = common::printable(iss, kMaxClaimString);
    r.client_id = common::printable(client_id, kMaxClaimString);
    return std::unexpected(std::move(r));
  };

  if (iss != oidc.issuer) {
    return fail(401, "invalid_token", "wrong_issuer", "the token was issued by another issuer");
  }
  // RFC 7519 §4.1.3: a string or an array of strings; one must name this resource.
  const json* aud = claim_at(claims, "aud");
  auto aud_matches = [&](const json& a) {
    return a.is_string() && std::find(oidc.audiences.begin(), oidc.audiences.end(),
                                      a.get_ref<const std::string&>()) != oidc.audiences.end();
  };
  bool aud_ok = false;
  if (aud != nullptr && aud->is_array()) {
    aud_ok = std::any_of(aud->begin(), aud->end(), aud_matches);
  } else if (aud != nullptr) {
    aud_ok = aud_matches(*aud);
  }
  if (!aud_ok) {
    return fail(
        401, "invalid_token", "wrong_audience",
        "the token was not issued for this resource (aud must include " + oidc.audiences.front() + ")");
  }

  const double now = std::chrono::duration<double>(options_.now().time_since_epoch()).count();
  const double skew = oidc.clock_skew_s;
  const auto exp = numeric_date(claim_at(claims, "exp"));
  if (!exp) return fail(401, "invalid_token", "missing_claim", "the token has no valid exp");
  if (now >= *exp + skew) return fail(401, "invalid_token", "expired", "the token has expired");
  if (const json* nbf_v = claim_at(claims, "nbf")) {
    const auto nbf = numeric_date(nbf_v);
    if (!nbf) return fail(401, "invalid_token", "malformed", "the token's nbf is not a date");
    if (now + skew < *nbf) {
      return fail(401, "invalid_token", "not_yet_valid", "the token is not valid yet");
    }
  }
  if (const json* iat_v = claim_at(claims, "iat")) {
    const auto iat = numeric_date(iat_v);
    if (!iat) return fail(401, "invalid_token", "malformed", "the token's iat is not a date");
    if (*iat > now + skew) {
      return fail(401, "invalid_token", "issued_in_future", "the token was issued in the future");
    }
  }
  if (subject.empty() || subject.size() > kMaxClaimString) {
    return fail(401, "invalid_token", "missing_claim",
                "the token has no usable subject claim \"" + oidc.subject_claim + "\"");
  }
  const bool at_typ = verified->header.value("typ", std::string()) == "at+jwt" ||
                      verified->header.value("typ", std::string()) == "application/at+jwt";
  if (!oidc.accept_id_tokens && !at_typ &&
      (claims.contains("nonce") || claims.contains("at_hash") || claims.contains("c_hash"))) {
    return fail(401, "invalid_token", "id_token_not_accepted",
                "an OpenID Connect ID token is not an access token for this resource");
  }

  std::vector<std::string> scopes = string_list(claim_at(claims, "scope"), 256);
  if (scopes.empty()) scopes = string_list(claim_at(claims, "scp"), 256);
  for (const auto& required : oidc.required_scopes) {
    if (std::find(scopes.begin(), scopes.end(), required) == scopes.end()) {
      return fail(403, "insufficient_scope", "insufficient_scope",
                  "the token lacks scope " + required + " (required: " + join(oidc.required_scopes) + ")",
                  oidc.required_scopes);
    }
  }

  AuthenticatedCaller c;
  c.principal.subject = subject;
  c.principal.issuer = iss;
  c.principal.groups = string_list(claim_at(claims, oidc.groups_claim), kMaxGroups);
  c.principal.auth_method = "oidc";
  c.client_id = client_id.size() <= kMaxClaimString ? client_id : std::string();
  c.scopes = std::move(scopes);
  c.token_id = string_claim(claim_at(claims, "jti")).substr(0, kMaxClaimString);
  c.expires_at = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(*exp)));
  return c;
}

std::string api_key_sha256_hex(std::string_view key) { return common::sha256_hex(key); }

std::string generate_api_key() {
  auto bytes = common::random_bytes(32);
  if (!bytes) throw std::runtime_error(bytes.error().message);
  return std::string(kApiKeyPrefix) + common::base64url_encode(*bytes);
}

std::optional<std::expected<AuthenticatedCaller, AuthRejection>> authenticate_stdio_token(
    const BearerAuthenticator& authenticator, const AuthConfig& auth) {
  if (auth.stdio_token_env.empty()) return std::nullopt;
  const char* value = std::getenv(auth.stdio_token_env.c_str());
  if (value == nullptr) return std::nullopt;
  std::string_view token = common::trim_blanks(value);
  if (token.empty()) return std::nullopt;
  if (token.size() > 7 && policy::iequals(token.substr(0, 7), "Bearer "))
    token = common::trim_blanks(token.substr(7));
  return authenticator.authenticate_token(token);
}

}  // namespace sqlguard::server
