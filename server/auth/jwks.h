// JSON Web Key Sets: parsing public verification keys (RFC 7517, RFC 7518 §6, RFC 8037 §2) into
// OpenSSL EVP_PKEYs, and a thread-safe cache that loads them from a file, a jwks_uri or OpenID
// Connect discovery, refreshes on an unknown `kid` (rate-limited) and when the set gets old.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "common/error.h"
#include "server/config/config.h"

namespace sqlguard::server {

/// Largest JWK Set document accepted (file or HTTP body), bytes.
inline constexpr std::size_t kMaxJwksBytes = 1u << 20;
/// Largest number of keys kept from one JWK Set; further keys are ignored.
inline constexpr std::size_t kMaxJwksKeys = 64;
/// Smallest RSA modulus accepted, bits (RFC 7518 §3.3 requires ≥ 2048).
inline constexpr int kMinRsaBits = 2048;

/// One public verification key of a JWK Set (RFC 7517 §4). Only keys usable for signature
/// verification are kept: kty RSA (≥ 2048 bits), EC P-256/P-384, OKP Ed25519 (RFC 8037).
/// Symmetric keys (kty "oct") are never imported, so HMAC cannot be used against them.
/// Immutable after parse_jwks(); safe to share read-only between threads.
struct Jwk {
  std::string kid;                ///< "kid", may be empty
  std::string kty;                ///< "RSA", "EC" or "OKP"
  std::string crv;                ///< "P-256", "P-384", "Ed25519"; empty for RSA
  std::string alg;                ///< "alg" if the JWK restricts it (RFC 7517 §4.4), else empty
  std::shared_ptr<EVP_PKEY> key;  ///< the public key; never null in a parsed set

  /// True when this key may verify a JWS with `alg` (RFC 7518 §3.1 names): the key type and
  /// curve fit the algorithm and the JWK's own "alg", if any, equals it.
  bool usable_for(std::string_view jws_alg) const;
};

/// A parsed JWK Set. `ignored` lists, for logs, why some members were skipped
/// (e.g. "key 2 (kid k1): kty oct is not a signature verification key").
struct JwkSet {
  std::vector<Jwk> keys;
  std::vector<std::string> ignored;
};

/// Parses a JWK Set document (RFC 7517 §5). Private members ("d", "p", ...) are ignored: only
/// the public part is imported. Keys with "use" other than "sig", "key_ops" without "verify",
/// unknown kty/crv, RSA keys under kMinRsaBits or EC points not on the curve are skipped and
/// listed in JwkSet::ignored. Errors (never throws): kInvalidInput for not JSON, over
/// kMaxJwksBytes, no "keys" array.
common::Result<JwkSet> parse_jwks(std::string_view json_text);

/// Fetches documents over HTTP(S) for the JWKS cache. An interface so tests can count and fake
/// fetches. Implementations must be thread-safe.
class HttpFetcher {
 public:
  virtual ~HttpFetcher() = default;
  /// GETs `url` and returns the body of a 200 response of at most `max_bytes` bytes.
  /// Errors: a human message; kUnavailable for a connection failure, a non-200 status or an
  /// oversize body, kInvalidInput for a URL that may not be fetched.
  virtual common::Result<std::string> get(const std::string& url, std::size_t max_bytes) = 0;
};

/// The cpp-httplib fetcher: no redirects, server certificates verified against the system CA
/// store, `timeout` for connect and for each read. Only https URLs, or http to a loopback host
/// (127.0.0.1, [::1], localhost) for tests and sidecar IdPs, are fetched. When sqlguard is built
/// without libcpp-httplib (CPPHTTPLIB_OPENSSL_SUPPORT not defined), every get() fails.
std::shared_ptr<HttpFetcher> make_http_fetcher(std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// True for "https://..." and for "http://" URLs whose host is 127.0.0.1, [::1] or localhost.
bool is_fetchable_url(std::string_view url);

/// Where the keys come from, in order of precedence: a file, a jwks_uri, OpenID Connect
/// Discovery 1.0 §4 (`discovery_url`, whose "issuer" must equal `issuer` exactly).
struct JwksSource {
  std::filesystem::path file;
  std::string jwks_uri;
  std::string discovery_url;
  std::string issuer;

  /// From `auth.oidc`: discovery_url defaults to issuer (without a trailing "/") +
  /// "/.well-known/openid-configuration".
  static JwksSource from_config(const OidcConfig& oidc);
};

/// A JWK Set kept in memory and refreshed from its source.
///
/// - keys(): the current set; loads it on first use and refreshes it when older than max_age
///   (then a failed refresh keeps serving the old set).
/// - refresh_for_unknown_kid(): reloads now, unless any load was attempted less than
///   min_refresh_interval ago (the rate limit that stops tokens with random kids from turning
///   the server into a load generator against the IdP); then returns the current set.
///
/// Thread-safety: all members are safe to call concurrently from HTTP worker threads. At most
/// one fetch runs at a time; callers that find a fetch just happened reuse its result.
class JwksCache {
 public:
  struct Options {
    std::chrono::seconds min_refresh_interval{30};  ///< between two loads, whatever the reason
    std::chrono::seconds max_age{3600};             ///< reload a set older than this
  };
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  /// `fetcher` may be null when `source.file` is set. `clock` defaults to steady_clock::now.
  JwksCache(JwksSource source, Options options, std::shared_ptr<HttpFetcher> fetcher, Clock clock = {});

  /// The current key set, loading it if none is loaded yet. Errors: no set could be loaded
  /// (message says why and from where): kUnavailable when the file cannot be read or a fetch
  /// failed, kInvalidInput for a bad document or source configuration, kInternal when no
  /// fetcher was given for a network source.
  common::Result<std::shared_ptr<const JwkSet>> keys();

  /// Reloads the set if the rate limit allows it and returns the (possibly unchanged) set.
  /// Errors: as keys().
  common::Result<std::shared_ptr<const JwkSet>> refresh_for_unknown_kid();

  /// Number of load attempts so far (file reads or HTTP fetch sequences). For tests and metrics.
  uint64_t load_attempts() const;

 private:
  common::Result<std::shared_ptr<const JwkSet>> reload_locked_fetch(bool forced);
  common::Result<std::string> read_source();

  const JwksSource source_;
  const Options options_;
  const std::shared_ptr<HttpFetcher> fetcher_;
  const Clock clock_;

  std::mutex fetch_mutex_;                                // serialises loads; held while fetching
  std::string discovered_jwks_uri_;                       // guarded by fetch_mutex_
  bool attempted_ = false;                                // guarded by fetch_mutex_
  std::chrono::steady_clock::time_point last_attempt_{};  // guarded by fetch_mutex_

  mutable std::mutex state_mutex_;  // guards the members below; never held while fetching
  std::shared_ptr<const JwkSet> set_;
  std::chrono::steady_clock::time_point loaded_at_{};
  common::Error last_error_;  // of the last failed load; empty message after a success
  uint64_t load_attempts_ = 0;
};

}  // namespace sqlguard::server
