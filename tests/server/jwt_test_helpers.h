// Test helpers for the JWT/JWKS/bearer tests: real keys generated with OpenSSL (RSA 2048,
// P-256, P-384, Ed25519), JWK export, JWS signing, and a fake HTTP fetcher that counts fetches.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "common/error.h"
#include "server/auth/jwks.h"
#include "server/auth/jwt_validator.h"

namespace sqlguard::server::testing {

using common::base64url_encode;
using nlohmann::json;

/// A generated key pair with its JWS algorithm and kid.
struct TestKey {
  std::string kid;
  std::string alg;  // RS256, PS256, ES256, ES384, EdDSA
  std::shared_ptr<EVP_PKEY> key;

  /// The public JWK (RFC 7517) of this key, with kid, use "sig" and alg.
  json public_jwk() const {
    json j = {{"kid", kid}, {"use", "sig"}, {"alg", alg}};
    if (alg.starts_with("RS") || alg.starts_with("PS")) {
      j["kty"] = "RSA";
      j["n"] = bn_param(OSSL_PKEY_PARAM_RSA_N, 0);
      j["e"] = bn_param(OSSL_PKEY_PARAM_RSA_E, 0);
    } else if (alg.starts_with("ES")) {
      const int coord = alg == "ES256" ? 32 : 48;
      j["kty"] = "EC";
      j["crv"] = alg == "ES256" ? "P-256" : "P-384";
      j["x"] = bn_param(OSSL_PKEY_PARAM_EC_PUB_X, coord);
      j["y"] = bn_param(OSSL_PKEY_PARAM_EC_PUB_Y, coord);
    } else {
      unsigned char raw[32];
      size_t len = sizeof raw;
      if (EVP_PKEY_get_raw_public_key(key.get(), raw, &len) != 1) throw std::runtime_error("raw");
      j["kty"] = "OKP";
      j["crv"] = "Ed25519";
      j["x"] = base64url_encode(std::string(reinterpret_cast<char*>(raw), len));
    }
    return j;
  }

  /// A BIGNUM parameter of the key, big-endian, left-padded to `width` bytes (0: minimal).
  std::string bn_param(const char* name, int width) const {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(key.get(), name, &bn) != 1) throw std::runtime_error(name);
    const int n = width > 0 ? width : BN_num_bytes(bn);
    std::string out(static_cast<size_t>(n), '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), n);
    BN_free(bn);
    return base64url_encode(out);
  }

  /// The public key as PEM SubjectPublicKeyInfo (what a confused verifier would use as an
  /// HMAC secret).
  std::string public_pem() const {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PUBKEY(bio.get(), key.get());
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(len));
  }

  /// Signs `input` for `alg` and returns the JWS signature bytes (ECDSA as raw r||s).
  std::string sign_raw(const std::string& input) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    const EVP_MD* md = nullptr;
    if (alg.ends_with("256")) md = EVP_sha256();
    if (alg.ends_with("384")) md = EVP_sha384();
    if (alg.ends_with("512")) md = EVP_sha512();
    EVP_PKEY_CTX* pctx = nullptr;
    if (EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key.get()) != 1) {
      throw std::runtime_error("sign init");
    }
    if (alg.starts_with("PS")) {
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md);
    }
    size_t len = 0;
    const auto* in = reinterpret_cast<const unsigned char*>(input.data());
    if (EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1) {
      throw std::runtime_error("sign len");
    }
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size()) !=
        1) {
      throw std::runtime_error("sign");
    }
    sig.resize(len);
    if (!alg.starts_with("ES")) return sig;
    const int coord = alg == "ES256" ? 32 : 48;
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::string raw(2 * static_cast<size_t>(coord), '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), coord);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + coord, coord);
    ECDSA_SIG_free(es);
    return raw;
  }

  /// A compact JWS of `claims` with header {alg, kid, typ: "at+jwt"} merged with `extra_header`.
  std::string sign(const json& claims, const json& extra_header = json::object()) const {
    json header = {{"alg", alg}, {"kid", kid}, {"typ", "at+jwt"}};
    for (auto it = extra_header.begin(); it != extra_header.end(); ++it) {
      if (it.value().is_null()) {
        header.erase(it.key());
      } else {
        header[it.key()] = it.value();
      }
    }
    const std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
    return input + "." + base64url_encode(sign_raw(input));
  }
};

inline std::shared_ptr<EVP_PKEY> own(EVP_PKEY* k) {
  if (!k) throw std::runtime_error("keygen failed");
  return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free);
}

inline TestKey make_rsa_key(std::string kid, std::string alg = "RS256", size_t bits = 2048) {
  return {std::move(kid), std::move(alg), own(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits))};
}
inline TestKey make_ec_key(std::string kid, std::string alg = "ES256") {
  const char* curve = alg == "ES256" ? "P-256" : "P-384";
  return {std::move(kid), std::move(alg), own(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve))};
}
inline TestKey make_ed25519_key(std::string kid) {
  return {std::move(kid), "EdDSA", own(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"))};
}

/// A JWK Set document of the public keys.
inline std::string jwks_of(const std::vector<const TestKey*>& keys) {
  json set = {{"keys", json::array()}};
  for (const auto* k : keys) set["keys"].push_back(k->public_jwk());
  return set.dump();
}

/// A compact JWS with an arbitrary header and raw signature bytes (for forged tokens).
inline std::string forge(const json& header, const json& claims, const std::string& signature) {
  return base64url_encode(header.dump()) + "." + base64url_encode(claims.dump()) + "." +
         base64url_encode(signature);
}

/// HS256 over header.claims with `secret` (the key-confusion attack uses a public key's PEM).
inline std::string hs256_token(const json& header, const json& claims, const std::string& secret) {
  const std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), len));
}

/// An HttpFetcher serving fixed documents by URL and counting requests. Thread-safe.
class FakeFetcher : public HttpFetcher {
 public:
  void set(const std::string& url, std::string body) {
    std::lock_guard lock(mu_);
    docs_[url] = std::move(body);
  }
  void remove(const std::string& url) {
    std::lock_guard lock(mu_);
    docs_.erase(url);
  }
  int count(const std::string& url) const {
    std::lock_guard lock(mu_);
    auto it = counts_.find(url);
    return it == counts_.end() ? 0 : it->second;
  }
  common::Result<std::string> get(const std::string& url, size_t max_bytes) override {
    std::lock_guard lock(mu_);
    ++counts_[url];
    auto it = docs_.find(url);
    if (it == docs_.end()) return common::fail(common::ErrorCode::kUnavailable, url + ": HTTP status 404");
    if (it->second.size() > max_bytes)
      return common::fail(common::ErrorCode::kUnavailable, url + ": too large");
    return it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> docs_;
  std::map<std::string, int> counts_;
};

/// A steady clock the test moves by hand.
struct ManualClock {
  std::shared_ptr<std::chrono::steady_clock::time_point> t =
      std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  JwksCache::Clock fn() const {
    auto p = t;
    return [p] { return *p; };
  }
  void advance(std::chrono::seconds s) const { *t += s; }
};

/// Seconds since the epoch, now.
inline int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sqlguard::server::testing
