#include "server/auth/jwt_validator.h"
#include "server/mcp/json_rpc.h"

#include "common/bytes.h"

#include <gtest/gtest.h>

#include "tests/server/jwt_test_helpers.h"

namespace sqlguard::server {
namespace {

using nlohmann::json;
using testing::FakeFetcher;
using testing::TestKey;

TEST(JwtBase64url, RoundTripsAllLengths) {
  std::string bytes;
  for (int i = 0; i < 70; ++i) {
    const std::string enc = common::base64url_encode(bytes);
    EXPECT_EQ(enc.find('='), std::string::npos);
    EXPECT_EQ(enc.find('+'), std::string::npos);
    EXPECT_EQ(enc.find('/'), std::string::npos);
    auto dec = common::base64url_decode(enc);
    ASSERT_TRUE(dec) << i;
    EXPECT_EQ(*dec, bytes);
    bytes += static_cast<char>(0xf0 + i % 16);
  }
}

TEST(JwtBase64url, KnownVectors) {
  EXPECT_EQ(common::base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(common::base64url_decode("-_8").value(), "\xfb\xff");
  EXPECT_EQ(common::base64url_decode("eyJhbGciOiJFUzI1NiJ9").value(), R"({"alg":"ES256"})");
  EXPECT_EQ(common::base64url_decode("").value(), "");
}

TEST(JwtBase64url, RejectsInvalidInput) {
  EXPECT_FALSE(common::base64url_decode("ab+c"));  // standard alphabet
  EXPECT_FALSE(common::base64url_decode("ab/c"));
  EXPECT_FALSE(common::base64url_decode("abcde"));  // length % 4 == 1
  EXPECT_FALSE(common::base64url_decode("ab c"));
  EXPECT_FALSE(common::base64url_decode("-_9"));  // non-zero trailing bits (non-canonical)
  EXPECT_FALSE(common::base64url_decode("QR"));
  EXPECT_TRUE(common::base64url_decode("QQ"));
}

TEST(JwtParse, RejectsMalformedTokens) {
  const std::string h = common::base64url_encode(R"({"alg":"RS256"})");
  const std::string p = common::base64url_encode(R"({"sub":"a"})");
  EXPECT_EQ(parse_jws("").error().code, JwsErrorCode::kMalformed);
  EXPECT_EQ(parse_jws(h + "." + p).error().code, JwsErrorCode::kMalformed);
  EXPECT_EQ(parse_jws(h + "." + p + ".AA.AA").error().code, JwsErrorCode::kMalformed);
  EXPECT_EQ(parse_jws("!!." + p + ".AA").error().code, JwsErrorCode::kMalformed);
  EXPECT_EQ(parse_jws(common::base64url_encode("[1]") + "." + p + ".AA").error().code,
            JwsErrorCode::kMalformed);
  EXPECT_EQ(parse_jws(h + "." + common::base64url_encode("not json") + ".AA").error().code,
            JwsErrorCode::kMalformed);
  EXPECT_EQ(parse_jws(h + "." + common::base64url_encode("[]") + ".AA").error().code,
            JwsErrorCode::kMalformed);
  EXPECT_EQ(parse_jws(common::base64url_encode(R"({"typ":"JWT"})") + "." + p + ".AA").error().code,
            JwsErrorCode::kMalformed);
  EXPECT_EQ(parse_jws(common::base64url_encode(R"({"alg":"RS256","kid":7})") + "." + p + ".AA").error().code,
            JwsErrorCode::kMalformed);
  EXPECT_EQ(parse_jws(h + "=." + p + ".AA").error().code, JwsErrorCode::kMalformed);
  const std::string deep = common::base64url_encode(std::string(5000, '[') + std::string(5000, ']'));
  EXPECT_EQ(parse_jws(h + "." + deep + ".AA").error().code, JwsErrorCode::kMalformed);
  EXPECT_EQ(parse_jws(std::string(kMaxTokenBytes + 1, 'a')).error().code, JwsErrorCode::kTooLarge);
  auto ok = parse_jws(h + "." + p + ".AA");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->alg, "RS256");
  EXPECT_EQ(ok->signing_input, h + "." + p);
}

/// A validator over a JWK Set served by a fake fetcher at a jwks_uri.
class JwtValidatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fetcher_ = std::make_shared<FakeFetcher>();
    fetcher_->set(kUri, testing::jwks_of({&rsa_, &ps_, &ec_, &ec384_, &ed_}));
    JwksSource src;
    src.jwks_uri = kUri;
    cache_ = std::make_shared<JwksCache>(src, JwksCache::Options{}, fetcher_, clock_.fn());
  }

  JwtValidator validator(std::vector<std::string> algs = {"RS256", "PS256", "ES256", "ES384", "EdDSA"}) {
    return JwtValidator(std::move(algs), cache_);
  }

  static constexpr const char* kUri = "https://idp.example/jwks";
  json claims_ = {{"iss", "https://idp.example"}, {"sub", "alice"}, {"exp", 4102444800}};
  // Generated once for the suite (RSA key generation is slow).
  static const TestKey& key(int i) {
    static const TestKey keys[] = {testing::make_rsa_key("rsa-1"), testing::make_rsa_key("ps-1", "PS256"),
                                   testing::make_ec_key("ec-1"), testing::make_ec_key("ec384-1", "ES384"),
                                   testing::make_ed25519_key("ed-1")};
    return keys[i];
  }
  const TestKey& rsa_ = key(0);
  const TestKey& ps_ = key(1);
  const TestKey& ec_ = key(2);
  const TestKey& ec384_ = key(3);
  const TestKey& ed_ = key(4);
  testing::ManualClock clock_;
  std::shared_ptr<FakeFetcher> fetcher_;
  std::shared_ptr<JwksCache> cache_;
};

TEST_F(JwtValidatorTest, VerifiesEveryAlgorithm) {
  auto v = validator();
  for (const TestKey* k : {&rsa_, &ps_, &ec_, &ec384_, &ed_}) {
    auto r = v.verify(k->sign(claims_));
    ASSERT_TRUE(r) << k->alg << ": " << r.error().message;
    EXPECT_EQ(r->alg, k->alg);
    EXPECT_EQ(r->kid, k->kid);
    EXPECT_EQ(r->claims["sub"], "alice");
  }
}

TEST_F(JwtValidatorTest, TokenWithoutKidTriesFittingKeys) {
  auto r = validator().verify(ec_.sign(claims_, {{"kid", nullptr}}));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kid, "ec-1");
}

TEST_F(JwtValidatorTest, RejectsTamperedPayload) {
  const std::string token = rsa_.sign(claims_);
  json evil = claims_;
  evil["sub"] = "admin";
  const auto dot1 = token.find('.');
  const auto dot2 = token.find('.', dot1 + 1);
  const std::string tampered =
      token.substr(0, dot1 + 1) + common::base64url_encode(evil.dump()) + token.substr(dot2);
  auto r = validator().verify(tampered);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, JwsErrorCode::kBadSignature);
}

TEST_F(JwtValidatorTest, RejectsTamperedSignatureForEachAlgorithm) {
  for (const TestKey* k : {&rsa_, &ps_, &ec_, &ec384_, &ed_}) {
    std::string token = k->sign(claims_);
    char& c = token[token.size() - 5];
    c = c == 'A' ? 'B' : 'A';
    auto r = validator().verify(token);
    ASSERT_FALSE(r) << k->alg;
    EXPECT_EQ(r.error().code, JwsErrorCode::kBadSignature) << k->alg;
  }
}

TEST_F(JwtValidatorTest, RejectsAlgNone) {
  for (const char* alg : {"none", "None", "NONE"}) {
    const std::string token = testing::forge({{"alg", alg}, {"kid", "rsa-1"}}, claims_, "");
    auto r = validator({"RS256", "none"}).verify(token);  // even if someone lists it
    ASSERT_FALSE(r) << alg;
    EXPECT_EQ(r.error().code, JwsErrorCode::kAlgorithmNotAllowed) << alg;
  }
}

TEST_F(JwtValidatorTest, RejectsHs256KeyConfusion) {
  // The classic attack: HMAC the token with the RSA public key (PEM or JWK bytes) as secret.
  for (const std::string& secret : {rsa_.public_pem(), rsa_.public_jwk().dump()}) {
    const std::string token =
        testing::hs256_token({{"alg", "HS256"}, {"kid", "rsa-1"}, {"typ", "JWT"}}, claims_, secret);
    for (const auto& algs : {std::vector<std::string>{"RS256"}, std::vector<std::string>{"RS256", "HS256"}}) {
      auto r = validator(algs).verify(token);
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, JwsErrorCode::kAlgorithmNotAllowed);
    }
  }
}

TEST_F(JwtValidatorTest, RejectsAlgorithmsOutsideTheAllowList) {
  auto r = validator({"ES256"}).verify(rsa_.sign(claims_));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, JwsErrorCode::kAlgorithmNotAllowed);
}

TEST_F(JwtValidatorTest, RejectsAlgThatDoesNotFitTheKid) {
  // An ES256-signed token claiming the RSA key's kid: no key fits (kid, alg).
  auto r = validator().verify(ec_.sign(claims_, {{"kid", "rsa-1"}}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, JwsErrorCode::kUnknownKey);
  // An RS256 header over the PS key: JWK "alg" PS256 forbids RS256.
  TestKey ps_as_rs = ps_;
  ps_as_rs.alg = "RS256";
  auto r2 = validator().verify(ps_as_rs.sign(claims_));
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, JwsErrorCode::kUnknownKey);
}

TEST_F(JwtValidatorTest, RejectsDangerousHeaders) {
  const json cases[] = {
      {{"crit", json::array({"exp"})}},
      {{"jku", "https://evil.example/jwks"}},
      {{"x5u", "https://evil.example/cert"}},
      {{"jwk", rsa_.public_jwk()}},
      {{"x5c", json::array({"MIIB"})}},
      {{"cty", "JWT"}},
      {{"b64", false}},
      {{"typ", "dpop+jwt"}},
  };
  for (const auto& extra : cases) {
    auto r = validator().verify(rsa_.sign(claims_, extra));
    ASSERT_FALSE(r) << extra.dump();
    EXPECT_EQ(r.error().code, JwsErrorCode::kForbiddenHeader) << extra.dump();
  }
  EXPECT_TRUE(validator().verify(rsa_.sign(claims_, {{"typ", "JWT"}})));
  EXPECT_TRUE(validator().verify(rsa_.sign(claims_, {{"typ", nullptr}})));
}

TEST_F(JwtValidatorTest, RejectsWrongLengthEcdsaSignature) {
  const std::string token = ec_.sign(claims_);
  const std::string input = token.substr(0, token.rfind('.'));
  const std::string der_like = ec_.sign_raw(input) + "x";
  auto r = validator().verify(input + "." + common::base64url_encode(der_like));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, JwsErrorCode::kBadSignature);
}

TEST_F(JwtValidatorTest, UnknownKidRefreshesAndFindsRotatedKey) {
  auto v = validator();
  ASSERT_TRUE(v.verify(rsa_.sign(claims_)));
  EXPECT_EQ(fetcher_->count(kUri), 1);
  clock_.advance(std::chrono::seconds(31));
  const TestKey rotated = testing::make_rsa_key("rsa-2");
  fetcher_->set(kUri, testing::jwks_of({&rotated}));
  auto r = v.verify(rotated.sign(claims_));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kid, "rsa-2");
  EXPECT_EQ(fetcher_->count(kUri), 2);
  // The old key is gone after rotation.
  auto old = v.verify(rsa_.sign(claims_));
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().code, JwsErrorCode::kUnknownKey);
}

TEST_F(JwtValidatorTest, UnknownKidRefreshIsRateLimited) {
  auto v = validator();
  ASSERT_TRUE(v.verify(rsa_.sign(claims_)));
  clock_.advance(std::chrono::seconds(31));
  const TestKey stranger = testing::make_rsa_key("random-kid");
  for (int i = 0; i < 20; ++i) {
    auto r = v.verify(stranger.sign(claims_, {{"kid", "kid-" + std::to_string(i)}}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, JwsErrorCode::kUnknownKey);
  }
  EXPECT_EQ(fetcher_->count(kUri), 2);  // the first load plus one refresh, not 21
  clock_.advance(std::chrono::seconds(31));
  EXPECT_FALSE(v.verify(stranger.sign(claims_)));
  EXPECT_EQ(fetcher_->count(kUri), 3);
}

TEST_F(JwtValidatorTest, KeysUnavailable) {
  fetcher_->remove(kUri);
  auto r = validator().verify(rsa_.sign(claims_));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, JwsErrorCode::kKeysUnavailable);
}

}  // namespace
}  // namespace sqlguard::server
