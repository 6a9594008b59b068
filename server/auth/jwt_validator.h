// JSON Web Signature (RFC 7515) compact serialization: parsing, JOSE header checks and signature
// verification with OpenSSL 3 EVP for the asymmetric algorithms of RFC 7518 §3 and EdDSA
// (RFC 8037). Claims (iss, aud, exp, ...) are checked by BearerAuthenticator, not here.
#pragma once

#include <cstddef>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/auth/jwks.h"

namespace sqlguard::server {

/// Largest token accepted, bytes. Larger tokens are rejected before any decoding.
inline constexpr std::size_t kMaxTokenBytes = 16u * 1024u;

/// Why a JWS was rejected.
enum class JwsErrorCode {
  kTooLarge,             ///< over kMaxTokenBytes
  kMalformed,            ///< not three base64url parts of JSON objects
  kAlgorithmNotAllowed,  ///< "none", HS*, or not in the configured allow-list
  kForbiddenHeader,      ///< crit, jku, x5u, jwk, x5c, cty, zip, b64, or an unexpected typ
  kUnknownKey,           ///< no key in the JWK Set fits kid and alg, even after a refresh
  kBadSignature,         ///< a key fits but the signature does not verify
  kKeysUnavailable,      ///< the JWK Set could not be loaded (IdP unreachable, bad file)
};

/// A rejection with a message safe to return to the client (it never echoes token contents
/// beyond the header's alg/kid).
struct JwsError {
  JwsErrorCode code;
  std::string message;
};

/// A compact JWS split and decoded but not yet verified. Everything in it is untrusted.
struct Jws {
  nlohmann::json header;      ///< JOSE header, a JSON object
  nlohmann::json payload;     ///< JWT claims set, a JSON object (RFC 7519 §7.2)
  std::string alg;            ///< header "alg"
  std::string kid;            ///< header "kid", may be empty
  std::string typ;            ///< header "typ", may be empty
  std::string signing_input;  ///< ASCII(BASE64URL(header) || '.' || BASE64URL(payload))
  std::string signature;      ///< raw signature bytes
};

/// Splits and decodes a compact JWS (RFC 7515 §7.1) whose payload is a JSON object (a JWT,
/// RFC 7519 §7.2). Checks sizes and syntax only; no header policy, no signature.
std::expected<Jws, JwsError> parse_jws(std::string_view token);

/// Verifies `jws.signature` over `jws.signing_input` with `key` for `jws.alg`:
/// RS256/384/512 (RSASSA-PKCS1-v1_5), PS256/384/512 (RSASSA-PSS, MGF1 with the same hash, salt
/// length = hash length, RFC 7518 §3.5), ES256/ES384 (ECDSA, JOSE raw r||s, RFC 7518 §3.4),
/// EdDSA (Ed25519, RFC 8037 §3.1). Error kBadSignature also when the key does not fit the alg.
std::expected<void, JwsError> verify_jws_signature(const Jws& jws, const Jwk& key);

/// A JWS whose header passed policy and whose signature verified with a key of the JWK Set.
struct VerifiedJwt {
  nlohmann::json header;
  nlohmann::json claims;  ///< the payload; claims are still unchecked (iss, aud, exp, ...)
  std::string alg;
  std::string kid;  ///< kid of the key that verified it (or the header kid)
};

/// Verifies signed JWTs against a JWK Set.
///
/// Header policy (fail closed): "alg" must be in the allow-list and asymmetric — "none" and
/// HS256/384/512 are refused even if listed, so a public key can never be used as an HMAC
/// secret (RFC 8725 §2.1, §3.1); "crit" is refused (no extensions are understood, RFC 7515
/// §4.1.11); "jku", "x5u", "jwk", "x5c" are refused (keys come only from the configured JWK
/// Set, RFC 8725 §3.10); "cty"/"zip"/"b64" are refused (no nested or unencoded payloads);
/// "typ", if present, must be "JWT", "at+jwt" or "application/at+jwt" (RFC 9068 §2.1).
///
/// Key selection: with a "kid", the key with that kid; if none, the JWK Set is refreshed once
/// (rate-limited by the cache) and looked up again, which picks up key rotation. Without a
/// "kid", every key that fits the alg is tried.
///
/// Thread-safety: verify() is const and safe to call concurrently (the cache is thread-safe).
class JwtValidator {
 public:
  /// `allowed_algorithms`: RFC 7518 names from auth.oidc.algorithms. `keys` must not be null.
  JwtValidator(std::vector<std::string> allowed_algorithms, std::shared_ptr<JwksCache> keys);

  /// Parses `token`, applies the header policy, finds the key and verifies the signature.
  /// Never throws on any input.
  std::expected<VerifiedJwt, JwsError> verify(std::string_view token) const;

 private:
  std::vector<std::string> allowed_;
  std::shared_ptr<JwksCache> keys_;
};

}  // namespace sqlguard::server
