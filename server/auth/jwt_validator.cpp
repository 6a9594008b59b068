#include "server/auth/jwt_validator.h"

#include "common/bytes.h"
#include "common/json_depth.h"
#include "common/text.h"

#include <algorithm>
#include <utility>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

namespace sqlguard::server {
namespace {

using nlohmann::json;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* s) const noexcept { ECDSA_SIG_free(s); }
};

JwsError error(JwsErrorCode code, std::string message) { return JwsError{code, std::move(message)}; }

/// Printable, bounded copy of an untrusted header value for messages.
/// The hash for an RSA/ECDSA alg, or nullptr (EdDSA and unknown algs).
const EVP_MD* digest_for(std::string_view alg) {
  if (alg == "RS256" || alg == "PS256" || alg == "ES256") return EVP_sha256();
  if (alg == "RS384" || alg == "PS384" || alg == "ES384") return EVP_sha384();
  if (alg == "RS512" || alg == "PS512") return EVP_sha512();
  return nullptr;
}

/// JOSE ECDSA signature (R || S, each `coord` bytes, RFC 7518 §3.4) → DER ECDSA-Sig-Value.
std::optional<std::string> ecdsa_raw_to_der(std::string_view raw, std::size_t coord) {
  if (raw.size() != 2 * coord) return std::nullopt;
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(coord), nullptr);
  BIGNUM* s =
      BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data() + coord), static_cast<int>(coord), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) return std::nullopt;
  return der;
}

bool is_asymmetric_supported(std::string_view alg) {
  return alg == "RS256" || alg == "RS384" || alg == "RS512" || alg == "PS256" || alg == "PS384" ||
         alg == "PS512" || alg == "ES256" || alg == "ES384" || alg == "EdDSA";
}

}  // namespace

std::expected<Jws, JwsError> parse_jws(std::string_view token) {
  if (token.size() > kMaxTokenBytes) {
    return std::unexpected(
        error(JwsErrorCode::kTooLarge, "token larger than " + std::to_string(kMaxTokenBytes) + " bytes"));
  }
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return std::unexpected(
        error(JwsErrorCode::kMalformed, "token is not a compact JWS (three base64url parts)"));
  }
  const auto h64 = token.substr(0, dot1);
  const auto p64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const auto s64 = token.substr(dot2 + 1);
  // The parts must be unpadded base64url (RFC 7515 §2), whatever the decoder tolerates.
  if (h64.find('=') != std::string_view::npos || p64.find('=') != std::string_view::npos ||
      s64.find('=') != std::string_view::npos) {
    return std::unexpected(error(JwsErrorCode::kMalformed, "token parts must not be padded"));
  }
  auto header_text = common::base64url_decode(h64);
  auto payload_text = common::base64url_decode(p64);
  auto signature = common::base64url_decode(s64);
  if (!header_text || !payload_text || !signature) {
    return std::unexpected(error(JwsErrorCode::kMalformed, "token part is not base64url"));
  }
  if (!common::json_nesting_within(*header_text, 8) || !common::json_nesting_within(*payload_text, 16)) {
    return std::unexpected(error(JwsErrorCode::kMalformed, "token JSON nested too deeply"));
  }
  Jws jws;
  jws.header = json::parse(*header_text, nullptr, /*allow_exceptions=*/false);
  jws.payload = json::parse(*payload_text, nullptr, /*allow_exceptions=*/false);
  if (jws.header.is_discarded() || !jws.header.is_object()) {
    return std::unexpected(error(JwsErrorCode::kMalformed, "JOSE header is not a JSON object"));
  }
  if (jws.payload.is_discarded() || !jws.payload.is_object()) {
    return std::unexpected(error(JwsErrorCode::kMalformed, "JWT claims are not a JSON object"));
  }
  auto alg = jws.header.find("alg");
  if (alg == jws.header.end() || !alg->is_string()) {
    return std::unexpected(error(JwsErrorCode::kMalformed, "JOSE header has no \"alg\""));
  }
  jws.alg = alg->get<std::string>();
  if (auto kid = jws.header.find("kid"); kid != jws.header.end()) {
    if (!kid->is_string()) {
      return std::unexpected(error(JwsErrorCode::kMalformed, "JOSE header \"kid\" is not a string"));
    }
    jws.kid = kid->get<std::string>();
  }
  if (auto typ = jws.header.find("typ"); typ != jws.header.end()) {
    if (!typ->is_string()) {
      return std::unexpected(error(JwsErrorCode::kMalformed, "JOSE header \"typ\" is not a string"));
    }
    jws.typ = typ->get<std::string>();
  }
  jws.signing_input = std::string(token.substr(0, dot2));
  jws.signature = std::move(*signature);
  return jws;
}

std::expected<void, JwsError> verify_jws_signature(const Jws& jws, const Jwk& key) {
  auto bad = [&](std::string why) {
    return std::unexpected(error(JwsErrorCode::kBadSignature, std::move(why)));
  };
  if (!key.key || !key.usable_for(jws.alg)) return bad("key does not fit alg " + common::printable(jws.alg));
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx) return bad("out of memory");
  const EVP_MD* md = digest_for(jws.alg);
  if (md == nullptr && jws.alg != "EdDSA") return bad("unsupported alg");
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key.key.get()) != 1) {
    return bad("key cannot verify " + jws.alg);
  }
  std::string sig = jws.signature;
  if (jws.alg.starts_with("PS")) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1) {
      return bad("cannot set RSASSA-PSS parameters");
    }
  } else if (jws.alg.starts_with("RS")) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
      return bad("cannot set RSASSA-PKCS1-v1_5 padding");
    }
  } else if (jws.alg.starts_with("ES")) {
    auto der = ecdsa_raw_to_der(jws.signature, jws.alg == "ES256" ? 32 : 48);
    if (!der) return bad("ECDSA signature has the wrong length");
    sig = std::move(*der);
  } else if (jws.signature.size() != 64) {
    return bad("Ed25519 signature has the wrong length");
  }
  const int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                  reinterpret_cast<const unsigned char*>(jws.signing_input.data()),
                                  jws.signing_input.size());
  if (ok != 1) return bad("signature does not verify");
  return {};
}

JwtValidator::JwtValidator(std::vector<std::string> allowed_algorithms, std::shared_ptr<JwksCache> keys)
    : allowed_(std::move(allowed_algorithms)), keys_(std::move(keys)) {}

std::expected<VerifiedJwt, JwsError> JwtValidator::verify(std::string_view token) const {
  auto parsed = parse_jws(token);
  if (!parsed) return std::unexpected(parsed.error());
  const Jws& jws = *parsed;

  // Algorithm: asymmetric, known and allowed. "none" and HS* fail is_asymmetric_supported().
  if (!is_asymmetric_supported(jws.alg) ||
      std::find(allowed_.begin(), allowed_.end(), jws.alg) == allowed_.end()) {
    return std::unexpected(error(JwsErrorCode::kAlgorithmNotAllowed,
                                 "alg \"" + common::printable(jws.alg) + "\" is not accepted"));
  }
  for (const char* name : {"crit", "jku", "x5u", "jwk", "x5c", "cty", "zip", "b64"}) {
    if (jws.header.contains(name)) {
      return std::unexpected(
          error(JwsErrorCode::kForbiddenHeader, std::string("JOSE header \"") + name + "\" is not accepted"));
    }
  }
  if (!jws.typ.empty() && jws.typ != "JWT" && jws.typ != "jwt" && jws.typ != "at+jwt" &&
      jws.typ != "application/at+jwt") {
    return std::unexpected(error(JwsErrorCode::kForbiddenHeader,
                                 "typ \"" + common::printable(jws.typ) + "\" is not an access token"));
  }

  auto set = keys_->keys();
  if (!set) return std::unexpected(error(JwsErrorCode::kKeysUnavailable, set.error().message));

  auto candidates = [&](const JwkSet& s) {
    std::vector<const Jwk*> out;
    for (const auto& k : s.keys) {
      if ((jws.kid.empty() || k.kid == jws.kid) && k.usable_for(jws.alg)) out.push_back(&k);
    }
    return out;
  };
  std::shared_ptr<const JwkSet> keys = *set;
  auto fitting = candidates(*keys);
  if (fitting.empty() && !jws.kid.empty()) {
    // Unknown kid: the issuer may have rotated its keys (RFC 7517 §4.5). Rate-limited.
    auto refreshed = keys_->refresh_for_unknown_kid();
    if (refreshed) {
      keys = *refreshed;
      fitting = candidates(*keys);
    }
  }
  if (fitting.empty()) {
    return std::unexpected(error(JwsErrorCode::kUnknownKey,
                                 jws.kid.empty() ? "no key of the issuer fits alg " + jws.alg
                                                 : "no key of the issuer has kid \"" +
                                                       common::printable(jws.kid) + "\" for alg " + jws.alg));
  }
  for (const Jwk* k : fitting) {
    if (verify_jws_signature(jws, *k)) {
      return VerifiedJwt{jws.header, jws.payload, jws.alg, k->kid.empty() ? jws.kid : k->kid};
    }
  }
  return std::unexpected(error(JwsErrorCode::kBadSignature, "token signature does not verify"));
}

}  // namespace sqlguard::server
