#include "server/auth/bearer_http_authenticator.h"

#include <gtest/gtest.h>

#include "tests/server/jwt_test_helpers.h"

#if defined(CPPHTTPLIB_OPENSSL_SUPPORT)
#include <httplib.h>

namespace sqlguard::server {
namespace {

constexpr const char* kKey = "sgk_adapter-test-key";

std::shared_ptr<BearerAuthenticator> api_key_authenticator() {
  HttpConfig http;
  http.resource_url = "http://127.0.0.1:8080/mcp";
  AuthConfig auth;
  auth.api_keys.push_back(ApiKeyConfig{"k1", api_key_sha256_hex(kKey), "svc:adapter", {"g"}});
  return *BearerAuthenticator::create(http, auth);
}

TEST(BearerHttpAuthenticator, MapsHeadersAndReportsToObserver) {
  int rejected = 0;
  int accepted = 0;
  std::string last_reason;
  AuthObserver obs;
  obs.on_rejected = [&](const AuthRejection& r, std::string_view) {
    ++rejected;
    last_reason = r.reason;
  };
  obs.on_accepted = [&](const AuthenticatedCaller& c, std::string_view) {
    ++accepted;
    EXPECT_EQ(c.api_key_id, "k1");
  };
  BearerHttpAuthenticator a(api_key_authenticator(), obs);

  httplib::Request none;
  auto r0 = a.authenticate(none);
  ASSERT_FALSE(r0);
  EXPECT_EQ(r0.error().status, 401);
  EXPECT_EQ(r0.error().www_authenticate,
            "Bearer resource_metadata=\"http://127.0.0.1:8080/.well-known/"
            "oauth-protected-resource/mcp\"");
  EXPECT_EQ(last_reason, "missing_credentials");

  httplib::Request good;
  good.headers.emplace("authorization", std::string("Bearer ") + kKey);  // case-insensitive
  auto r1 = a.authenticate(good);
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->subject, "svc:adapter");
  EXPECT_EQ(r1->auth_method, "api-key");

  httplib::Request xkey;
  xkey.headers.emplace("X-API-Key", kKey);
  EXPECT_TRUE(a.authenticate(xkey));

  httplib::Request twice;
  twice.headers.emplace("Authorization", std::string("Bearer ") + kKey);
  twice.headers.emplace("Authorization", "Bearer sgk_other");
  auto r2 = a.authenticate(twice);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().status, 400);

  EXPECT_EQ(accepted, 2);
  EXPECT_EQ(rejected, 2);
}

}  // namespace
}  // namespace sqlguard::server
#endif
