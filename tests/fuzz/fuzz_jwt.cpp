// libFuzzer target: bearer credentials as an HTTP client sends them — JWS parsing and header
// policy (server/auth/jwt_validator.h), signature verification against a fixed JWK Set of one RSA,
// one P-256 and one Ed25519 key, the claim checks of BearerAuthenticator, API keys — and the
// JWK Set parser itself (server/auth/jwks.h) on the same bytes.
//
// Seeds (tests/fuzz/corpus/fuzz_jwt/) are real tokens signed by the private halves of these
// keys (minted with tests/e2e/helpers/mint-token.mjs, exp in 2095), plus forged ones: alg none,
// HS256 key confusion, tampered, unknown kid, wrong audience, expired.
// Check beyond "no crash": a token accepted by authenticate_token() is also accepted with the
// same subject through the Authorization header.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/json_depth.h"
#include "server/auth/bearer_authenticator.h"
#include "server/auth/jwks.h"
#include "server/auth/jwt_validator.h"

namespace {

using namespace sqlguard;

constexpr std::string_view kPublicJwks =
    R"JWKS({"keys":[{"kty":"RSA","n":"uSRidxcNpp_aX8xPMeCTs-ndlq6qIAH0lVmyPGTPFtvM21BTdytXsmqPmhiwHBD1kgOJ5Rjrmr-MObyc019tj-o2G2Ghiv7mBdn6x5OQD5AdpNPbPX6keWNK9Qs-E7Q0k2iVcOrsjg3aGZ4qCb9Lo5cCLtojeN4PkXerNMyEkjV4ZMCwiDPC7VMM7RxCnaAV6Rw0h_2MDUM25kYyiyLl7SZOB8Ku_QRsqA2U2Cdp5K-sZB6OyISjcaXtAft_Cg06aqjOoQVg7G5b8qIF68VuUflzzHEwQL8APRe_NH_lD3loElvQQ8-AW42O76gnir_w0UR0upB0WkwEjTQRVCUjMQ","e":"AQAB","kid":"fuzz-rs256-mwqbx45k","alg":"RS256","use":"sig"},{"kty":"EC","x":"IPhDF3HzfL3LbAKB_xIGBWwtzYDuDf5RLtVP_hwaUv4","y":"X4RRxuf1uLPQzYfPag65VZLhpyiy-ndgQ6XZIO06E5I","crv":"P-256","kid":"fuzz-es256-mwqbx45l","alg":"ES256","use":"sig"},{"crv":"Ed25519","x":"JLW_3kb_9sCaXvGKdSjPV85GNGoSVUMvBqnFpvwsJt0","kty":"OKP","kid":"fuzz-eddsa-mwqbx45l","alg":"EdDSA","use":"sig"}]})JWKS";

std::shared_ptr<server::BearerAuthenticator> make_authenticator() {
  const auto file =
      std::filesystem::temp_directory_path() / ("sqlguard-fuzz-jwks-" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << kPublicJwks;
  server::HttpConfig http;
  http.resource_url = "http://127.0.0.1/mcp";
  server::AuthConfig auth;
  server::OidcConfig oidc;
  oidc.issuer = "https://issuer.fuzz.test";
  oidc.jwks_file = file;
  oidc.audiences = {"http://127.0.0.1/mcp"};
  oidc.required_scopes = {"sql"};
  oidc.groups_claim = "groups";
  auth.oidc = oidc;
  auth.api_keys.push_back({"fuzz", server::api_key_sha256_hex("sgk_fuzz"), "svc:fuzz", {"a"}});
  auto created = server::BearerAuthenticator::create(http, auth);
  if (!created) {
    std::fprintf(stderr, "fuzz_jwt: %s\n", created.error().message.c_str());
    std::abort();
  }
  return *created;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<server::BearerAuthenticator> authenticator = make_authenticator();
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto direct = authenticator->authenticate_token(input);
  const auto via_header = authenticator->authenticate_headers("Bearer " + std::string(input), "");
  if (direct && (!via_header || via_header->principal.subject != direct->principal.subject)) {
    std::abort();
  }
  (void)authenticator->authenticate_headers(input, input);  // odd schemes, two credentials

  if (auto jws = server::parse_jws(input)) (void)jws->header.dump();
  (void)common::base64url_decode(input);
  (void)common::json_nesting_within(input, 8);
  if (auto set = server::parse_jwks(input)) {
    for (const auto& key : set->keys) (void)key.usable_for("ES256");
  }
  return 0;
}
