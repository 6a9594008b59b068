#include "server/auth/jwks.h"

#include "common/bytes.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/server/jwt_test_helpers.h"

#if defined(CPPHTTPLIB_OPENSSL_SUPPORT)
#include <httplib.h>
#endif

namespace sqlguard::server {
namespace {

using nlohmann::json;
using testing::FakeFetcher;
using testing::TestKey;

const TestKey& rsa_key() {
  static const TestKey k = testing::make_rsa_key("rsa-1");
  return k;
}
const TestKey& ec_key() {
  static const TestKey k = testing::make_ec_key("ec-1");
  return k;
}
const TestKey& ed_key() {
  static const TestKey k = testing::make_ed25519_key("ed-1");
  return k;
}

TEST(JwksParse, ImportsRsaEcAndOkpKeys) {
  const TestKey ec384 = testing::make_ec_key("ec384", "ES384");
  auto set = parse_jwks(testing::jwks_of({&rsa_key(), &ec_key(), &ed_key(), &ec384}));
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_EQ(set->keys.size(), 4u);
  EXPECT_TRUE(set->ignored.empty());
  EXPECT_EQ(set->keys[0].kty, "RSA");
  EXPECT_TRUE(set->keys[0].usable_for("RS256"));
  EXPECT_FALSE(set->keys[0].usable_for("PS256"));  // JWK alg RS256 restricts it
  EXPECT_EQ(set->keys[1].crv, "P-256");
  EXPECT_TRUE(set->keys[1].usable_for("ES256"));
  EXPECT_FALSE(set->keys[1].usable_for("ES384"));
  EXPECT_TRUE(set->keys[2].usable_for("EdDSA"));
  EXPECT_TRUE(set->keys[3].usable_for("ES384"));
}

TEST(JwksParse, SkipsKeysThatCannotVerifySafely) {
  json rsa = rsa_key().public_jwk();
  json ec = ec_key().public_jwk();
  json no_alg = rsa;
  no_alg.erase("alg");
  json oct = {{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}};
  json enc = rsa;
  enc["use"] = "enc";
  json ops = rsa;
  ops["key_ops"] = json::array({"encrypt"});
  json off_curve = ec;
  off_curve["y"] = common::base64url_encode(std::string(32, '\x01'));
  json short_x = ec;
  short_x["x"] = common::base64url_encode(std::string(31, '\x01'));
  json bad_alg = ec;
  bad_alg["alg"] = "RS256";
  json ed448 = ed_key().public_jwk();
  ed448["crv"] = "Ed448";
  const TestKey small = testing::make_rsa_key("small", "RS256", 1024);
  json doc = {{"keys", json::array({oct, enc, ops, off_curve, short_x, bad_alg, ed448, small.public_jwk(),
                                    "not an object", no_alg})}};
  auto set = parse_jwks(doc.dump());
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_EQ(set->keys.size(), 1u);  // only no_alg survives
  EXPECT_TRUE(set->keys[0].usable_for("RS256"));
  EXPECT_TRUE(set->keys[0].usable_for("PS256"));  // no JWK alg: any RSA alg
  EXPECT_EQ(set->ignored.size(), 9u);
  EXPECT_NE(set->ignored[0].find("oct"), std::string::npos) << set->ignored[0];
  EXPECT_NE(set->ignored[7].find("below the minimum"), std::string::npos) << set->ignored[7];
}

TEST(JwksParse, IgnoresPrivateMembers) {
  json jwk = ed_key().public_jwk();
  jwk["d"] = common::base64url_encode(std::string(32, '\x07'));
  auto set = parse_jwks(json{{"keys", json::array({jwk})}}.dump());
  ASSERT_TRUE(set);
  ASSERT_EQ(set->keys.size(), 1u);
}

TEST(JwksParse, RejectsBadDocuments) {
  EXPECT_FALSE(parse_jwks("not json"));
  EXPECT_FALSE(parse_jwks("[]"));
  EXPECT_FALSE(parse_jwks(R"({"keys":{}})"));
  EXPECT_FALSE(parse_jwks(std::string(kMaxJwksBytes + 1, ' ')));
  EXPECT_FALSE(parse_jwks(R"({"keys":)" + std::string(100, '[')));
  EXPECT_TRUE(parse_jwks(R"({"keys":[]})"));
}

TEST(JwksUrl, OnlyHttpsOrLoopbackHttp) {
  EXPECT_TRUE(is_fetchable_url("https://idp.example/jwks"));
  EXPECT_TRUE(is_fetchable_url("http://127.0.0.1:8080/jwks"));
  EXPECT_TRUE(is_fetchable_url("http://localhost/jwks"));
  EXPECT_TRUE(is_fetchable_url("http://[::1]:9/x"));
  EXPECT_FALSE(is_fetchable_url("http://idp.example/jwks"));
  EXPECT_FALSE(is_fetchable_url("http://127.0.0.1.evil.example/jwks"));
  EXPECT_FALSE(is_fetchable_url("http://localhost@evil.example/jwks"));
  EXPECT_FALSE(is_fetchable_url("file:///etc/passwd"));
  EXPECT_FALSE(is_fetchable_url("https://"));
}

TEST(JwksSourceTest, DiscoveryUrlFromIssuer) {
  OidcConfig c;
  c.issuer = "https://idp.example/realms/x/";
  EXPECT_EQ(JwksSource::from_config(c).discovery_url,
            "https://idp.example/realms/x/.well-known/openid-configuration");
  c.discovery_url = "https://other.example/d";
  EXPECT_EQ(JwksSource::from_config(c).discovery_url, "https://other.example/d");
}

class JwksCacheTest : public ::testing::Test {
 protected:
  JwksCache cache(JwksSource src, JwksCache::Options opts = {}) {
    return JwksCache(std::move(src), opts, fetcher_, clock_.fn());
  }
  std::shared_ptr<FakeFetcher> fetcher_ = std::make_shared<FakeFetcher>();
  testing::ManualClock clock_;
};

TEST_F(JwksCacheTest, DiscoveryThenJwksUri) {
  fetcher_->set("https://idp.example/.well-known/openid-configuration",
                json{{"issuer", "https://idp.example"}, {"jwks_uri", "https://idp.example/keys"}}.dump());
  fetcher_->set("https://idp.example/keys", testing::jwks_of({&ec_key()}));
  OidcConfig oc;
  oc.issuer = "https://idp.example";
  auto c = cache(JwksSource::from_config(oc));
  auto keys = c.keys();
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_EQ((*keys)->keys.size(), 1u);
  EXPECT_TRUE(c.keys());  // cached
  EXPECT_EQ(fetcher_->count("https://idp.example/keys"), 1);
  EXPECT_EQ(c.load_attempts(), 1u);
}

TEST_F(JwksCacheTest, DiscoveryIssuerMismatchIsRefused) {
  fetcher_->set("https://idp.example/.well-known/openid-configuration",
                json{{"issuer", "https://evil.example"}, {"jwks_uri", "https://idp.example/keys"}}.dump());
  fetcher_->set("https://idp.example/keys", testing::jwks_of({&ec_key()}));
  OidcConfig oc;
  oc.issuer = "https://idp.example";
  auto keys = cache(JwksSource::from_config(oc)).keys();
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, common::ErrorCode::kInvalidInput);
  EXPECT_NE(keys.error().message.find("differs from the configured"), std::string::npos)
      << keys.error().message;
  EXPECT_EQ(fetcher_->count("https://idp.example/keys"), 0);
}

TEST_F(JwksCacheTest, DiscoveryWithInsecureJwksUriIsRefused) {
  fetcher_->set("https://idp.example/.well-known/openid-configuration",
                json{{"issuer", "https://idp.example"}, {"jwks_uri", "http://idp.example/keys"}}.dump());
  OidcConfig oc;
  oc.issuer = "https://idp.example";
  EXPECT_FALSE(cache(JwksSource::from_config(oc)).keys());
}

TEST_F(JwksCacheTest, FailedRefreshKeepsTheOldSet) {
  JwksSource src;
  src.jwks_uri = "https://idp.example/keys";
  fetcher_->set(src.jwks_uri, testing::jwks_of({&ec_key()}));
  auto c = cache(src, {std::chrono::seconds(30), std::chrono::seconds(600)});
  ASSERT_TRUE(c.keys());
  fetcher_->remove(src.jwks_uri);
  clock_.advance(std::chrono::seconds(601));
  auto keys = c.keys();  // too old: refresh fails, old set still served
  ASSERT_TRUE(keys);
  EXPECT_EQ((*keys)->keys.size(), 1u);
  EXPECT_EQ(fetcher_->count(src.jwks_uri), 2);
}

TEST_F(JwksCacheTest, MaxAgeReloads) {
  JwksSource src;
  src.jwks_uri = "https://idp.example/keys";
  fetcher_->set(src.jwks_uri, testing::jwks_of({&ec_key()}));
  auto c = cache(src, {std::chrono::seconds(30), std::chrono::seconds(600)});
  ASSERT_TRUE(c.keys());
  fetcher_->set(src.jwks_uri, testing::jwks_of({&ec_key(), &ed_key()}));
  clock_.advance(std::chrono::seconds(599));
  EXPECT_EQ((*c.keys())->keys.size(), 1u);
  clock_.advance(std::chrono::seconds(2));
  EXPECT_EQ((*c.keys())->keys.size(), 2u);
}

TEST_F(JwksCacheTest, InitialFailureIsRateLimitedToo) {
  JwksSource src;
  src.jwks_uri = "https://idp.example/keys";
  auto c = cache(src);
  for (int i = 0; i < 10; ++i) {
    auto keys = c.keys();  // the first failure again, code included, without fetching
    ASSERT_FALSE(keys);
    EXPECT_EQ(keys.error().code, common::ErrorCode::kUnavailable);
    EXPECT_EQ(keys.error().message,
              "cannot load the issuer's JWK Set: https://idp.example/keys: HTTP status 404");
  }
  EXPECT_EQ(fetcher_->count(src.jwks_uri), 1);
  fetcher_->set(src.jwks_uri, testing::jwks_of({&ec_key()}));
  clock_.advance(std::chrono::seconds(30));
  EXPECT_TRUE(c.keys());
}

TEST_F(JwksCacheTest, ConcurrentUnknownKidRefreshesFetchOnce) {
  JwksSource src;
  src.jwks_uri = "https://idp.example/keys";
  fetcher_->set(src.jwks_uri, testing::jwks_of({&ec_key()}));
  auto c = cache(src);
  ASSERT_TRUE(c.keys());
  clock_.advance(std::chrono::seconds(31));
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 50; ++j) EXPECT_TRUE(c.refresh_for_unknown_kid());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(fetcher_->count(src.jwks_uri), 2);
}

TEST_F(JwksCacheTest, FileSourceReloadsAfterRotation) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("sqlguard-jwks-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                    "-" + std::to_string(reinterpret_cast<uintptr_t>(this)));
  std::filesystem::create_directories(dir);
  JwksSource src;
  src.file = dir / "jwks.json";
  std::ofstream(src.file) << testing::jwks_of({&ec_key()});
  auto c = cache(src);
  ASSERT_EQ((*c.keys())->keys.size(), 1u);
  std::ofstream(src.file) << testing::jwks_of({&ec_key(), &ed_key()});
  EXPECT_EQ((*c.refresh_for_unknown_kid())->keys.size(), 1u);  // rate limit
  clock_.advance(std::chrono::seconds(30));
  EXPECT_EQ((*c.refresh_for_unknown_kid())->keys.size(), 2u);
  std::filesystem::remove_all(dir);
}

#if defined(CPPHTTPLIB_OPENSSL_SUPPORT)
// The real fetcher against a real HTTP server on loopback (port 0): discovery, then the JWKS.
TEST(JwksHttp, FetchesDiscoveryAndKeysOverLoopback) {
  httplib::Server server;
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  server.Get("/.well-known/openid-configuration", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(json{{"issuer", base}, {"jwks_uri", base + "/jwks"}}.dump(), "application/json");
  });
  server.Get("/jwks", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(testing::jwks_of({&rsa_key(), &ed_key()}), "application/json");
  });
  server.Get("/huge", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(kMaxJwksBytes + 10, ' '), "application/json");
  });
  std::thread t([&] { server.listen_after_bind(); });
  for (int i = 0; i < 200 && !server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  OidcConfig oc;
  oc.issuer = base;
  JwksCache c(JwksSource::from_config(oc), {}, make_http_fetcher());
  auto keys = c.keys();
  EXPECT_TRUE(keys) << (keys ? "" : keys.error().message);
  if (keys) {
    EXPECT_EQ((*keys)->keys.size(), 2u);
  }
  auto huge = make_http_fetcher()->get(base + "/huge", kMaxJwksBytes);
  EXPECT_FALSE(huge);
  auto missing = make_http_fetcher()->get(base + "/nope", kMaxJwksBytes);
  EXPECT_FALSE(missing);
  server.stop();
  t.join();
}
#endif

}  // namespace
}  // namespace sqlguard::server
