#include "server/auth/bearer_authenticator.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "server/auth/oauth_metadata.h"
#include "tests/server/jwt_test_helpers.h"

namespace sqlguard::server {
namespace {

using nlohmann::json;
using testing::FakeFetcher;
using testing::TestKey;

constexpr const char* kIssuer = "https://idp.example/realms/acme";
constexpr const char* kResource = "https://mcp.example.com/mcp";
constexpr const char* kJwksUri = "https://idp.example/keys";
// api_key_sha256_hex("sgk_test-service-key")
constexpr const char* kApiKey = "sgk_test-service-key";

const TestKey& signing_key() {
  static const TestKey k = testing::make_rsa_key("rsa-1");
  return k;
}
const TestKey& ec_signing_key() {
  static const TestKey k = testing::make_ec_key("ec-1");
  return k;
}

class BearerAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http_.resource_url = kResource;
    OidcConfig oc;
    oc.issuer = kIssuer;
    oc.jwks_uri = kJwksUri;
    oc.audiences = {kResource};
    oc.groups_claim = "realm_access.roles";
    auth_.oidc = oc;
    auth_.api_keys.push_back(
        ApiKeyConfig{"reporting", api_key_sha256_hex(kApiKey), "svc:reporting", {"reporters"}});
    fetcher_->set(kJwksUri, testing::jwks_of({&signing_key(), &ec_signing_key()}));
  }

  std::shared_ptr<BearerAuthenticator> make() {
    BearerAuthenticator::Options o;
    o.fetcher = fetcher_;
    o.steady_now = clock_.fn();
    auto a = BearerAuthenticator::create(http_, auth_, o);
    EXPECT_TRUE(a) << (a ? "" : a.error().message);
    return a ? *a : nullptr;
  }

  json claims() const {
    const int64_t now = testing::now_s();
    return {{"iss", kIssuer},
            {"sub", "alice@example.com"},
            {"aud", kResource},
            {"exp", now + 300},
            {"nbf", now - 10},
            {"iat", now - 10},
            {"jti", "tok-1"},
            {"azp", "claude-code"},
            {"scope", "openid sql:read sql:write"},
            {"realm_access", {{"roles", {"analysts", "compliance"}}}}};
  }

  std::string bearer(const json& c, const TestKey& k = signing_key()) const { return "Bearer " + k.sign(c); }

  HttpConfig http_;
  AuthConfig auth_;
  std::shared_ptr<FakeFetcher> fetcher_ = std::make_shared<FakeFetcher>();
  testing::ManualClock clock_;
};

TEST_F(BearerAuthenticatorTest, ValidTokenYieldsPrincipal) {
  auto a = make();
  for (const TestKey* k : {&signing_key(), &ec_signing_key()}) {
    auto r = a->authenticate_headers(bearer(claims(), *k));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->principal.subject, "alice@example.com");
    EXPECT_EQ(r->principal.issuer, kIssuer);
    EXPECT_EQ(r->principal.auth_method, "oidc");
    EXPECT_EQ(r->principal.groups, (std::vector<std::string>{"analysts", "compliance"}));
    EXPECT_TRUE(r->principal.client_name.empty());
    EXPECT_EQ(r->client_id, "claude-code");
    EXPECT_EQ(r->scopes, (std::vector<std::string>{"openid", "sql:read", "sql:write"}));
    EXPECT_EQ(r->token_id, "tok-1");
    EXPECT_GT(r->expires_at, std::chrono::system_clock::now());
  }
}

TEST_F(BearerAuthenticatorTest, SchemeIsCaseInsensitiveAndAudMayBeAnArray) {
  auto a = make();
  json c = claims();
  c["aud"] = {"account", kResource};
  EXPECT_TRUE(a->authenticate_headers("bearer  " + signing_key().sign(c)));
}

TEST_F(BearerAuthenticatorTest, ClientIdFallsBackToClientIdClaim) {
  auto a = make();
  json c = claims();
  c.erase("azp");
  c["client_id"] = "agent-7";
  auto r = a->authenticate_headers(bearer(c));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->client_id, "agent-7");
}

struct ClaimCase {
  const char* name;
  std::function<void(json&)> edit;
  const char* reason;
};

TEST_F(BearerAuthenticatorTest, RejectsBadClaims) {
  const int64_t now = testing::now_s();
  const ClaimCase cases[] = {
      {"expired", [&](json& c) { c["exp"] = now - 120; }, "expired"},
      {"not yet valid", [&](json& c) { c["nbf"] = now + 300; }, "not_yet_valid"},
      {"issued in future", [&](json& c) { c["iat"] = now + 300; }, "issued_in_future"},
      {"wrong aud", [](json& c) { c["aud"] = "https://other.example/mcp"; }, "wrong_audience"},
      {"aud with slash", [](json& c) { c["aud"] = std::string(kResource) + "/"; }, "wrong_audience"},
      {"no aud", [](json& c) { c.erase("aud"); }, "wrong_audience"},
      {"aud array without us",
       [](json& c) {
         c["aud"] = {"a", "b"};
       },
       "wrong_audience"},
      {"wrong iss", [](json& c) { c["iss"] = "https://evil.example"; }, "wrong_issuer"},
      {"iss with slash", [](json& c) { c["iss"] = std::string(kIssuer) + "/"; }, "wrong_issuer"},
      {"no exp", [](json& c) { c.erase("exp"); }, "missing_claim"},
      {"string exp", [](json& c) { c["exp"] = "tomorrow"; }, "missing_claim"},
      {"no sub", [](json& c) { c.erase("sub"); }, "missing_claim"},
      {"numeric sub", [](json& c) { c["sub"] = 42; }, "missing_claim"},
      {"string nbf", [](json& c) { c["nbf"] = "x"; }, "malformed"},
  };
  auto a = make();
  for (const auto& tc : cases) {
    json c = claims();
    tc.edit(c);
    auto r = a->authenticate_headers(bearer(c));
    ASSERT_FALSE(r) << tc.name;
    EXPECT_EQ(r.error().status, 401) << tc.name;
    EXPECT_EQ(r.error().error, "invalid_token") << tc.name;
    EXPECT_EQ(r.error().reason, tc.reason) << tc.name;
    EXPECT_NE(r.error().www_authenticate.find("error=\"invalid_token\""), std::string::npos);
    EXPECT_NE(r.error().www_authenticate.find("resource_metadata=\"https://mcp.example.com/.well-known/"
                                              "oauth-protected-resource/mcp\""),
              std::string::npos)
        << r.error().www_authenticate;
    EXPECT_EQ(r.error().token_kid, "rsa-1") << tc.name;
  }
}

TEST_F(BearerAuthenticatorTest, ClockSkewIsTolerated) {
  auth_.oidc->clock_skew_s = 60;
  auto a = make();
  const int64_t now = testing::now_s();
  json c = claims();
  c["exp"] = now - 30;
  c["nbf"] = now + 30;
  c["iat"] = now + 30;
  EXPECT_TRUE(a->authenticate_headers(bearer(c)));
  auth_.oidc->clock_skew_s = 0;
  auto strict = make();
  EXPECT_FALSE(strict->authenticate_headers(bearer(c)));
}

TEST_F(BearerAuthenticatorTest, RejectedSignatureCarriesNoUnverifiedIdentity) {
  auto a = make();
  std::string token = signing_key().sign(claims());
  token[token.size() - 3] = token[token.size() - 3] == 'A' ? 'B' : 'A';
  auto r = a->authenticate_headers("Bearer " + token);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "bad_signature");
  EXPECT_EQ(r.error().token_alg, "RS256");
  EXPECT_EQ(r.error().token_kid, "rsa-1");
  EXPECT_TRUE(r.error().subject.empty());
  EXPECT_TRUE(r.error().issuer.empty());
}

TEST_F(BearerAuthenticatorTest, VerifiedButRejectedTokenNamesItsSubject) {
  auto a = make();
  json c = claims();
  c["aud"] = "https://other.example";
  auto r = a->authenticate_headers(bearer(c));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().subject, "alice@example.com");
  EXPECT_EQ(r.error().issuer, kIssuer);
  EXPECT_EQ(r.error().client_id, "claude-code");
}

TEST_F(BearerAuthenticatorTest, AlgNoneAndHmacKeyConfusionAreRejected) {
  auto a = make();
  const std::string none = testing::forge({{"alg", "none"}, {"typ", "JWT"}}, claims(), "");
  auto r1 = a->authenticate_headers("Bearer " + none);
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().reason, "alg_not_allowed");
  EXPECT_EQ(r1.error().status, 401);
  const std::string hs =
      testing::hs256_token({{"alg", "HS256"}, {"kid", "rsa-1"}}, claims(), signing_key().public_pem());
  auto r2 = a->authenticate_headers("Bearer " + hs);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().reason, "alg_not_allowed");
  EXPECT_EQ(r2.error().token_alg, "HS256");
}

TEST_F(BearerAuthenticatorTest, UnknownKidAfterRotation) {
  auto a = make();
  ASSERT_TRUE(a->authenticate_headers(bearer(claims())));
  const TestKey next = testing::make_ec_key("ec-2");
  // Published right after the first load: within the refresh interval the unknown kid does
  // not trigger a fetch.
  fetcher_->set(kJwksUri, testing::jwks_of({&next}));
  auto r = a->authenticate_headers(bearer(claims(), next));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "unknown_kid");
  EXPECT_EQ(fetcher_->count(kJwksUri), 1);
  // Once the interval has passed, the unknown kid refreshes the set and the new key verifies.
  clock_.advance(std::chrono::seconds(auth_.oidc->jwks_min_refresh_interval_s));
  auto ok = a->authenticate_headers(bearer(claims(), next));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(fetcher_->count(kJwksUri), 2);
  // The rotated-out key is no longer accepted.
  auto old = a->authenticate_headers(bearer(claims()));
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().reason, "unknown_kid");
}

TEST_F(BearerAuthenticatorTest, MissingScopeIs403InsufficientScope) {
  auth_.oidc->required_scopes = {"sql:read", "sql:admin"};
  auto a = make();
  auto r = a->authenticate_headers(bearer(claims()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 403);
  EXPECT_EQ(r.error().error, "insufficient_scope");
  EXPECT_EQ(r.error().reason, "insufficient_scope");
  EXPECT_NE(r.error().www_authenticate.find("error=\"insufficient_scope\""), std::string::npos);
  EXPECT_NE(r.error().www_authenticate.find("scope=\"sql:read sql:admin\""), std::string::npos)
      << r.error().www_authenticate;
  EXPECT_EQ(r.error().subject, "alice@example.com");
  // scp as an array (Entra/Okta style) also grants scopes.
  json c = claims();
  c.erase("scope");
  c["scp"] = {"sql:read", "sql:admin"};
  EXPECT_TRUE(a->authenticate_headers(bearer(c)));
}

TEST_F(BearerAuthenticatorTest, GroupsFromUrlNamedClaimOrString) {
  auth_.oidc->groups_claim = "https://acme.example/roles";
  auto a = make();
  json c = claims();
  c["https://acme.example/roles"] = {"dba", 7, "ops"};
  auto r = a->authenticate_headers(bearer(c));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->principal.groups, (std::vector<std::string>{"dba", "ops"}));
  auth_.oidc->groups_claim = "groups";
  auto b = make();
  c["groups"] = "red blue";
  EXPECT_EQ(b->authenticate_headers(bearer(c))->principal.groups, (std::vector<std::string>{"red", "blue"}));
  c.erase("groups");
  EXPECT_TRUE(b->authenticate_headers(bearer(c))->principal.groups.empty());
}

TEST_F(BearerAuthenticatorTest, IdTokensOnlyWhenConfigured) {
  json c = claims();
  c["nonce"] = "n-0S6_WzA2Mj";
  const std::string id_token = signing_key().sign(c, {{"typ", "JWT"}});
  auto r = make()->authenticate_headers("Bearer " + id_token);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "id_token_not_accepted");
  auth_.oidc->accept_id_tokens = true;
  EXPECT_TRUE(make()->authenticate_headers("Bearer " + id_token));
}

TEST_F(BearerAuthenticatorTest, MissingOrOtherCredentials) {
  auto a = make();
  auto none = a->authenticate_headers("");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().status, 401);
  EXPECT_EQ(none.error().error, "");
  EXPECT_EQ(none.error().reason, "missing_credentials");
  EXPECT_EQ(none.error().www_authenticate,
            "Bearer resource_metadata=\"https://mcp.example.com/.well-known/"
            "oauth-protected-resource/mcp\"");
  auto basic = a->authenticate_headers("Basic YWxpY2U6cHc=");
  ASSERT_FALSE(basic);
  EXPECT_EQ(basic.error().status, 401);
  EXPECT_EQ(basic.error().reason, "unsupported_scheme");
  auto empty = a->authenticate_headers("Bearer ");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().status, 400);
  auto both = a->authenticate_headers(bearer(claims()), kApiKey);
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().status, 400);
  EXPECT_EQ(both.error().error, "invalid_request");
  auto garbage = a->authenticate_headers("Bearer not-a-jwt");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().reason, "malformed");
  auto huge = a->authenticate_headers("Bearer " + std::string(20000, 'a'));
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().reason, "too_large");
}

TEST_F(BearerAuthenticatorTest, ApiKeys) {
  auto a = make();
  for (auto r :
       {a->authenticate_headers(std::string("Bearer ") + kApiKey), a->authenticate_headers("", kApiKey)}) {
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->principal.subject, "svc:reporting");
    EXPECT_EQ(r->principal.auth_method, "api-key");
    EXPECT_EQ(r->principal.groups, (std::vector<std::string>{"reporters"}));
    EXPECT_EQ(r->api_key_id, "reporting");
    EXPECT_TRUE(r->principal.issuer.empty());
  }
  for (const std::string& bad :
       std::vector<std::string>{"sgk_test-service-keY", "sgk_", "sgk_" + std::string(300, 'x')}) {
    auto r = a->authenticate_headers("Bearer " + bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().status, 401);
    EXPECT_EQ(r.error().reason, "unknown_api_key");
  }
  auto x = a->authenticate_headers("", "wrong");
  ASSERT_FALSE(x);
  EXPECT_EQ(x.error().reason, "unknown_api_key");
}

TEST_F(BearerAuthenticatorTest, ApiKeysOnlyWithoutOidc) {
  auth_.oidc.reset();
  auto a = make();
  EXPECT_TRUE(a->authenticate_headers("", kApiKey));
  auto r = a->authenticate_headers(bearer(claims()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "oidc_not_configured");
}

TEST_F(BearerAuthenticatorTest, KeysUnavailableIs503) {
  fetcher_->remove(kJwksUri);
  auto r = make()->authenticate_headers(bearer(claims()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 503);
  EXPECT_EQ(r.error().reason, "keys_unavailable");
  EXPECT_TRUE(r.error().www_authenticate.empty());
}

TEST_F(BearerAuthenticatorTest, CreateRefusesBadConfig) {
  AuthConfig empty;
  EXPECT_FALSE(BearerAuthenticator::create(http_, empty));
  AuthConfig bad = auth_;
  bad.oidc->jwks_uri.clear();
  bad.oidc->jwks_file = "/nonexistent/jwks.json";
  auto r = BearerAuthenticator::create(http_, bad);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("auth.oidc.jwks_file"), std::string::npos);
  AuthConfig hs = auth_;
  hs.oidc->algorithms = {"HS256"};
  EXPECT_FALSE(BearerAuthenticator::create(http_, hs));
  AuthConfig no_aud = auth_;
  no_aud.oidc->audiences.clear();
  EXPECT_FALSE(BearerAuthenticator::create(http_, no_aud));
}

TEST_F(BearerAuthenticatorTest, StdioTokenFromEnvironment) {
  auto a = make();
  AuthConfig with_env = auth_;
  with_env.stdio_token_env = "SQLGUARD_TEST_STDIO_TOKEN";
  ::unsetenv("SQLGUARD_TEST_STDIO_TOKEN");
  EXPECT_FALSE(authenticate_stdio_token(*a, with_env).has_value());
  EXPECT_FALSE(authenticate_stdio_token(*a, auth_).has_value());
  ::setenv("SQLGUARD_TEST_STDIO_TOKEN", signing_key().sign(claims()).c_str(), 1);
  auto r = authenticate_stdio_token(*a, with_env);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(*r);
  EXPECT_EQ((*r)->principal.subject, "alice@example.com");
  ::setenv("SQLGUARD_TEST_STDIO_TOKEN", "garbage", 1);
  auto bad = authenticate_stdio_token(*a, with_env);
  ASSERT_TRUE(bad.has_value());
  EXPECT_FALSE(*bad);
  ::unsetenv("SQLGUARD_TEST_STDIO_TOKEN");
}

TEST(BearerApiKeyHash, KnownVectorAndGeneratedKeys) {
  EXPECT_EQ(api_key_sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string k1 = generate_api_key();
  const std::string k2 = generate_api_key();
  EXPECT_TRUE(k1.starts_with("sgk_"));
  EXPECT_EQ(k1.size(), 4u + 43u);
  EXPECT_NE(k1, k2);
}

TEST(BearerMetadata, ProtectedResourceDocumentAndPaths) {
  HttpConfig http;
  http.resource_url = "https://mcp.example.com/mcp";
  AuthConfig auth;
  auth.oidc = OidcConfig{};
  auth.oidc->issuer = kIssuer;
  auth.oidc->required_scopes = {"sql:read"};
  const json doc = protected_resource_metadata(http, auth);
  EXPECT_EQ(doc["resource"], "https://mcp.example.com/mcp");
  EXPECT_EQ(doc["authorization_servers"], json::array({kIssuer}));
  EXPECT_EQ(doc["bearer_methods_supported"], json::array({"header"}));
  EXPECT_EQ(doc["scopes_supported"], json::array({"sql:read"}));
  EXPECT_EQ(doc["resource_name"], "sqlguard");
  EXPECT_EQ(protected_resource_metadata_paths(http),
            (std::vector<std::string>{"/.well-known/oauth-protected-resource/mcp",
                                      "/.well-known/oauth-protected-resource"}));
  EXPECT_EQ(protected_resource_metadata_url(http),
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
  http.resource_url = "http://127.0.0.1:8080";
  EXPECT_EQ(protected_resource_metadata_paths(http),
            (std::vector<std::string>{"/.well-known/oauth-protected-resource"}));
  EXPECT_EQ(protected_resource_metadata_url(http),
            "http://127.0.0.1:8080/.well-known/oauth-protected-resource");
}

TEST(BearerMetadata, WwwAuthenticateQuoting) {
  EXPECT_EQ(www_authenticate_bearer("https://x/.well-known/oauth-protected-resource", "invalid_token",
                                    "bad \"token\"\\\n", {"a", "b"}),
            "Bearer resource_metadata=\"https://x/.well-known/oauth-protected-resource\", "
            "error=\"invalid_token\", error_description=\"bad 'token''\", scope=\"a b\"");
}

}  // namespace
}  // namespace sqlguard::server
