#include "server/auth/jwks.h"

#include "common/address.h"
#include "common/json_depth.h"

#include <algorithm>
#include <fstream>
#include <utility>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <nlohmann/json.hpp>

#include "common/bytes.h"

// Debian's cpp-httplib is a compiled library built with these three options; every translation
// unit that includes httplib.h must see the same ones (pkg-config cpp-httplib Cflags), or the
// class layouts differ from the library's. They are only defined when the build links it.
#if defined(CPPHTTPLIB_OPENSSL_SUPPORT)
#include <httplib.h>
#define SQLGUARD_HAVE_HTTPLIB 1
#endif

namespace sqlguard::server {
namespace {

using nlohmann::json;

struct BnFree {
  void operator()(BIGNUM* b) const noexcept { BN_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const noexcept { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const noexcept { EVP_PKEY_CTX_free(c); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

std::shared_ptr<EVP_PKEY> wrap(EVP_PKEY* k) {
  return std::shared_ptr<EVP_PKEY>(k, [](EVP_PKEY* p) { EVP_PKEY_free(p); });
}

/// A string member of a JWK, or "" when absent or not a string.
std::string str_member(const json& o, const char* name) {
  auto it = o.find(name);
  if (it == o.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

/// A base64url member decoded, or an error naming it.
common::Result<std::string> b64_member(const json& o, const char* name) {
  auto it = o.find(name);
  if (it == o.end() || !it->is_string()) {
    return common::fail(common::ErrorCode::kInvalidInput, std::string("missing \"") + name + "\"");
  }
  auto bytes = common::base64url_decode(it->get_ref<const std::string&>());
  if (!bytes || bytes->empty()) {
    return common::fail(common::ErrorCode::kInvalidInput, std::string("\"") + name + "\" is not base64url");
  }
  return *bytes;
}

common::Result<std::shared_ptr<EVP_PKEY>> from_params(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return common::fail(common::ErrorCode::kInternal, "OpenSSL cannot import the key");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1 || !raw) {
    return common::fail(common::ErrorCode::kInvalidInput, "OpenSSL rejected the key parameters");
  }
  auto key = wrap(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, raw, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return common::fail(common::ErrorCode::kInvalidInput, "the public key fails OpenSSL's validity check");
  }
  return key;
}

common::Result<std::shared_ptr<EVP_PKEY>> import_rsa(const json& o) {
  auto n = b64_member(o, "n");
  if (!n) return std::unexpected(n.error());
  auto e = b64_member(o, "e");
  if (!e) return std::unexpected(e.error());
  if (e->size() > 8) return common::fail(common::ErrorCode::kInvalidInput, "RSA exponent too large");
  BnPtr bn_n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr));
  BnPtr bn_e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr));
  if (!bn_n || !bn_e) return common::fail(common::ErrorCode::kInternal, "out of memory");
  if (BN_num_bits(bn_n.get()) < kMinRsaBits) {
    return common::fail(common::ErrorCode::kInvalidInput,
                        "RSA modulus of " + std::to_string(BN_num_bits(bn_n.get())) +
                            " bits is below the minimum of " + std::to_string(kMinRsaBits));
  }
  if (BN_num_bits(bn_n.get()) > 16384)
    return common::fail(common::ErrorCode::kInvalidInput, "RSA modulus too large");
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return common::fail(common::ErrorCode::kInternal, "out of memory");
  }
  return from_params("RSA", bld.get());
}

common::Result<std::shared_ptr<EVP_PKEY>> import_ec(const json& o, const std::string& crv) {
  std::size_t coord = 0;
  const char* group = nullptr;
  if (crv == "P-256") {
    coord = 32;
    group = "prime256v1";
  } else if (crv == "P-384") {
    coord = 48;
    group = "secp384r1";
  } else {
    return common::fail(common::ErrorCode::kInvalidInput, "unsupported EC curve \"" + crv + "\"");
  }
  auto x = b64_member(o, "x");
  if (!x) return std::unexpected(x.error());
  auto y = b64_member(o, "y");
  if (!y) return std::unexpected(y.error());
  // RFC 7518 §6.2.1.2/3: each coordinate is the full field size, leading zeros kept.
  if (x->size() != coord || y->size() != coord) {
    return common::fail(common::ErrorCode::kInvalidInput,
                        "EC coordinates must be " + std::to_string(coord) + " bytes");
  }
  std::string point = "\x04" + *x + *y;  // SEC 1 §2.3.3 uncompressed point
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return common::fail(common::ErrorCode::kInternal, "out of memory");
  }
  return from_params("EC", bld.get());
}

common::Result<std::shared_ptr<EVP_PKEY>> import_okp(const json& o, const std::string& crv) {
  if (crv != "Ed25519")
    return common::fail(common::ErrorCode::kInvalidInput, "unsupported OKP curve \"" + crv + "\"");
  auto x = b64_member(o, "x");
  if (!x) return std::unexpected(x.error());
  if (x->size() != 32)
    return common::fail(common::ErrorCode::kInvalidInput, "Ed25519 public key must be 32 bytes");
  EVP_PKEY* raw = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(x->data()), x->size());
  if (!raw) return common::fail(common::ErrorCode::kInvalidInput, "OpenSSL rejected the Ed25519 key");
  return wrap(raw);
}

/// One JWK → a Jwk, or why it is skipped.
common::Result<Jwk> import_jwk(const json& o) {
  if (!o.is_object()) return common::fail(common::ErrorCode::kInvalidInput, "not a JSON object");
  Jwk k;
  k.kid = str_member(o, "kid");
  k.kty = str_member(o, "kty");
  k.crv = str_member(o, "crv");
  k.alg = str_member(o, "alg");
  if (k.kid.size() > 256)
    return common::fail(common::ErrorCode::kInvalidInput, "kid longer than 256 characters");
  const std::string use = str_member(o, "use");
  if (!use.empty() && use != "sig")
    return common::fail(common::ErrorCode::kInvalidInput, "use is \"" + use + "\", not \"sig\"");
  if (auto ops = o.find("key_ops"); ops != o.end()) {
    bool verify = false;
    if (ops->is_array()) {
      for (const auto& op : *ops) verify = verify || (op.is_string() && op == "verify");
    }
    if (!verify) return common::fail(common::ErrorCode::kInvalidInput, "key_ops does not include \"verify\"");
  }
  common::Result<std::shared_ptr<EVP_PKEY>> key =
      common::fail(common::ErrorCode::kInvalidInput,
                   "kty \"" + k.kty + "\" is not a supported signature verification key");
  if (k.kty == "RSA") {
    k.crv.clear();
    key = import_rsa(o);
  } else if (k.kty == "EC") {
    key = import_ec(o, k.crv);
  } else if (k.kty == "OKP") {
    key = import_okp(o, k.crv);
  }
  if (!key) return std::unexpected(key.error());
  k.key = std::move(*key);
  if (!k.alg.empty() && !k.usable_for(k.alg)) {
    return common::fail(common::ErrorCode::kInvalidInput, "alg \"" + k.alg + "\" does not fit kty " + k.kty);
  }
  return k;
}

#if defined(SQLGUARD_HAVE_HTTPLIB)
/// Splits "scheme://host[:port]/path" into ("scheme://host[:port]", "/path").
std::pair<std::string, std::string> split_url(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  if (path_start == std::string::npos) return {url, "/"};
  return {url.substr(0, path_start), url.substr(path_start)};
}

class HttplibFetcher final : public HttpFetcher {
 public:
  explicit HttplibFetcher(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  common::Result<std::string> get(const std::string& url, std::size_t max_bytes) override {
    if (!is_fetchable_url(url)) {
      return common::fail(common::ErrorCode::kInvalidInput,
                          "refusing to fetch " + url + " (https, or http to loopback only)");
    }
    auto [origin, path] = split_url(url);
    httplib::Client client(origin);
    if (!client.is_valid()) return common::fail(common::ErrorCode::kInvalidInput, "invalid URL " + url);
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout_);
    const auto usecs = std::chrono::duration_cast<std::chrono::microseconds>(timeout_ - secs);
    client.set_connection_timeout(secs.count(), usecs.count());
    client.set_read_timeout(secs.count(), usecs.count());
    client.set_write_timeout(secs.count(), usecs.count());
    client.set_follow_location(false);
    client.enable_server_certificate_verification(true);
    std::string body;
    bool oversize = false;
    auto res = client.Get(path, httplib::Headers{{"Accept", "application/json"}},
                          [&](const char* data, std::size_t len) {
                            if (body.size() + len > max_bytes) {
                              oversize = true;
                              return false;
                            }
                            body.append(data, len);
                            return true;
                          });
    if (oversize)
      return common::fail(common::ErrorCode::kUnavailable,
                          url + ": response larger than " + std::to_string(max_bytes) + " bytes");
    if (!res)
      return common::fail(common::ErrorCode::kUnavailable, url + ": " + httplib::to_string(res.error()));
    if (res->status != 200) {
      return common::fail(common::ErrorCode::kUnavailable,
                          url + ": HTTP status " + std::to_string(res->status));
    }
    return body;
  }

 private:
  std::chrono::milliseconds timeout_;
};
#else
class UnavailableFetcher final : public HttpFetcher {
 public:
  common::Result<std::string> get(const std::string& url, std::size_t) override {
    return common::fail(common::ErrorCode::kUnavailable,
                        "cannot fetch " + url + ": sqlguard was built without cpp-httplib client support");
  }
};
#endif

}  // namespace

bool Jwk::usable_for(std::string_view jws_alg) const {
  if (!alg.empty() && alg != jws_alg) return false;
  if (jws_alg == "RS256" || jws_alg == "RS384" || jws_alg == "RS512" || jws_alg == "PS256" ||
      jws_alg == "PS384" || jws_alg == "PS512") {
    return kty == "RSA";
  }
  if (jws_alg == "ES256") return kty == "EC" && crv == "P-256";
  if (jws_alg == "ES384") return kty == "EC" && crv == "P-384";
  if (jws_alg == "EdDSA") return kty == "OKP" && crv == "Ed25519";
  return false;
}

common::Result<JwkSet> parse_jwks(std::string_view json_text) {
  if (json_text.size() > kMaxJwksBytes) {
    return common::fail(common::ErrorCode::kInvalidInput,
                        "JWK Set larger than " + std::to_string(kMaxJwksBytes) + " bytes");
  }
  if (!common::json_nesting_within(json_text, 16))
    return common::fail(common::ErrorCode::kInvalidInput, "JWK Set nested too deeply");
  const json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return common::fail(common::ErrorCode::kInvalidInput, "JWK Set is not a JSON object");
  }
  auto keys = doc.find("keys");
  if (keys == doc.end() || !keys->is_array()) {
    return common::fail(common::ErrorCode::kInvalidInput, "JWK Set has no \"keys\" array");
  }
  JwkSet set;
  std::size_t index = 0;
  for (const auto& member : *keys) {
    if (set.keys.size() >= kMaxJwksKeys) {
      set.ignored.push_back("more than " + std::to_string(kMaxJwksKeys) + " keys; rest ignored");
      break;
    }
    auto k = import_jwk(member);
    if (k) {
      set.keys.push_back(std::move(*k));
    } else {
      std::string kid = member.is_object() ? str_member(member, "kid") : std::string();
      if (kid.size() > 64) kid = kid.substr(0, 64) + "...";
      set.ignored.push_back("key " + std::to_string(index) + (kid.empty() ? "" : " (kid " + kid + ")") +
                            ": " + k.error().message);
    }
    ++index;
  }
  return set;
}

bool is_fetchable_url(std::string_view url) {
  if (url.starts_with("https://")) return url.size() > 8;
  if (!url.starts_with("http://")) return false;
  std::string_view rest = url.substr(7);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.find('@') != std::string_view::npos) return false;
  std::string_view host = rest;
  if (host.starts_with("[")) {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  return common::is_loopback_address(host);
}

std::shared_ptr<HttpFetcher> make_http_fetcher(std::chrono::milliseconds timeout) {
#if defined(SQLGUARD_HAVE_HTTPLIB)
  return std::make_shared<HttplibFetcher>(timeout);
#else
  (void)timeout;
  return std::make_shared<UnavailableFetcher>();
#endif
}

JwksSource JwksSource::from_config(const OidcConfig& oidc) {
  JwksSource s;
  s.file = oidc.jwks_file;
  s.jwks_uri = oidc.jwks_uri;
  s.issuer = oidc.issuer;
  s.discovery_url = oidc.discovery_url;
  if (s.discovery_url.empty() && !s.issuer.empty()) {
    std::string base = s.issuer;
    while (!base.empty() && base.back() == '/') base.pop_back();
    s.discovery_url = base + "/.well-known/openid-configuration";  // OIDC Discovery 1.0 §4
  }
  return s;
}

JwksCache::JwksCache(JwksSource source, Options options, std::shared_ptr<HttpFetcher> fetcher, Clock clock)
    : source_(std::move(source)),
      options_(options),
      fetcher_(std::move(fetcher)),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })) {}

common::Result<std::shared_ptr<const JwkSet>> JwksCache::keys() {
  std::unique_lock state(state_mutex_);
  if (set_ && clock_() - loaded_at_ < options_.max_age) return set_;
  if (set_) {
    // Old set: one thread refreshes, the others keep using the old set meanwhile.
    std::shared_ptr<const JwkSet> current = set_;
    state.unlock();
    std::unique_lock fetch(fetch_mutex_, std::try_to_lock);
    if (!fetch.owns_lock()) return current;
    return reload_locked_fetch(false);  // the old set again if the reload fails
  }
  state.unlock();
  std::lock_guard fetch(fetch_mutex_);
  return reload_locked_fetch(false);
}

common::Result<std::shared_ptr<const JwkSet>> JwksCache::refresh_for_unknown_kid() {
  std::lock_guard fetch(fetch_mutex_);
  return reload_locked_fetch(true);
}

uint64_t JwksCache::load_attempts() const {
  std::lock_guard lock(state_mutex_);
  return load_attempts_;
}

// Precondition: fetch_mutex_ held by the caller, state_mutex_ not held.
common::Result<std::shared_ptr<const JwkSet>> JwksCache::reload_locked_fetch(bool forced) {
  const auto now = clock_();
  {
    std::lock_guard lock(state_mutex_);
    const bool fresh = set_ && now - loaded_at_ < options_.max_age;
    if (!forced && fresh) return set_;  // another thread loaded it while we waited
    if (attempted_ && now - last_attempt_ < options_.min_refresh_interval) {
      if (set_) return set_;
      if (last_error_.message.empty())
        return common::fail(common::ErrorCode::kUnavailable, "JWK Set not loaded");
      return std::unexpected(last_error_);
    }
    ++load_attempts_;
  }
  attempted_ = true;
  last_attempt_ = now;
  auto text = read_source();
  common::Result<JwkSet> parsed = text ? parse_jwks(*text) : std::unexpected(text.error());
  std::lock_guard lock(state_mutex_);
  if (!parsed) {
    last_error_ = common::prefixed("cannot load the issuer's JWK Set: ", parsed.error());
    if (set_) return set_;
    return std::unexpected(last_error_);
  }
  set_ = std::make_shared<const JwkSet>(std::move(*parsed));
  loaded_at_ = now;
  last_error_ = {};
  return set_;
}

// Precondition: fetch_mutex_ held.
common::Result<std::string> JwksCache::read_source() {
  if (!source_.file.empty()) {
    std::ifstream in(source_.file, std::ios::binary);
    if (!in) return common::fail(common::ErrorCode::kUnavailable, "cannot open " + source_.file.string());
    std::string text;
    text.resize(kMaxJwksBytes + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxJwksBytes) {
      return common::fail(common::ErrorCode::kInvalidInput, source_.file.string() + " is larger than " +
                                                                std::to_string(kMaxJwksBytes) + " bytes");
    }
    return text;
  }
  if (!fetcher_) return common::fail(common::ErrorCode::kInternal, "no HTTP fetcher configured");
  std::string uri = source_.jwks_uri;
  if (uri.empty()) uri = discovered_jwks_uri_;
  if (uri.empty()) {
    if (source_.discovery_url.empty())
      return common::fail(common::ErrorCode::kInvalidInput, "no jwks_file, jwks_uri or issuer");
    auto doc_text = fetcher_->get(source_.discovery_url, 256u * 1024u);
    if (!doc_text) return std::unexpected(common::prefixed("OIDC discovery failed: ", doc_text.error()));
    if (!common::json_nesting_within(*doc_text, 32)) {
      return common::fail(common::ErrorCode::kInvalidInput, source_.discovery_url + ": nested too deeply");
    }
    const json doc = json::parse(*doc_text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      return common::fail(common::ErrorCode::kInvalidInput, source_.discovery_url + ": not a JSON object");
    }
    // OpenID Connect Discovery 1.0 §4.3: the issuer in the document must equal the one we
    // expect, exactly; otherwise the document may be someone else's.
    if (str_member(doc, "issuer") != source_.issuer) {
      return common::fail(common::ErrorCode::kInvalidInput,
                          source_.discovery_url + ": issuer \"" + str_member(doc, "issuer") +
                              "\" differs from the configured \"" + source_.issuer + "\"");
    }
    uri = str_member(doc, "jwks_uri");
    if (uri.empty())
      return common::fail(common::ErrorCode::kInvalidInput, source_.discovery_url + ": no jwks_uri");
    if (!is_fetchable_url(uri)) {
      return common::fail(common::ErrorCode::kInvalidInput, source_.discovery_url + ": jwks_uri " + uri +
                                                                " is not https (or http to loopback)");
    }
    discovered_jwks_uri_ = uri;
  }
  auto body = fetcher_->get(uri, kMaxJwksBytes);
  if (!body) {
    discovered_jwks_uri_.clear();  // rediscover next time: the IdP may have moved its keys
    return std::unexpected(body.error());
  }
  return body;
}

}  // namespace sqlguard::server
