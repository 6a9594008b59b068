#include "server/auth/bearer_http_authenticator.h"

#include <utility>

// See server/auth/jwks.cpp: httplib.h only with the library's own compile definitions.
#if defined(CPPHTTPLIB_OPENSSL_SUPPORT)
#include <httplib.h>
#define SQLGUARD_HAVE_HTTPLIB 1
#endif

namespace sqlguard::server {

BearerHttpAuthenticator::BearerHttpAuthenticator(std::shared_ptr<const BearerAuthenticator> bearer,
                                                 AuthObserver observer)
    : bearer_(std::move(bearer)), observer_(std::move(observer)) {}

std::expected<policy::Principal, AuthFailure> BearerHttpAuthenticator::authenticate(
    const httplib::Request& request) {
#if defined(SQLGUARD_HAVE_HTTPLIB)
  // A repeated Authorization header is ambiguous: refuse rather than pick one.
  if (request.get_header_value_count("Authorization") > 1 ||
      request.get_header_value_count("X-API-Key") > 1) {
    AuthRejection r;
    r.status = 400;
    r.error = "invalid_request";
    r.reason = "multiple_credentials";
    r.message = "send exactly one credential header";
    r.www_authenticate = bearer_->challenge();
    if (observer_.on_rejected) observer_.on_rejected(r, request.remote_addr);
    return std::unexpected(AuthFailure{r.status, r.www_authenticate, r.message});
  }
  auto result = bearer_->authenticate_headers(request.get_header_value("Authorization"),
                                              request.get_header_value("X-API-Key"));
  if (!result) {
    if (observer_.on_rejected) observer_.on_rejected(result.error(), request.remote_addr);
    return std::unexpected(
        AuthFailure{result.error().status, result.error().www_authenticate, result.error().message});
  }
  if (observer_.on_accepted) observer_.on_accepted(*result, request.remote_addr);
  return std::move(result->principal);
#else
  (void)request;
  return std::unexpected(AuthFailure{503, "", "sqlguard was built without cpp-httplib"});
#endif
}

}  // namespace sqlguard::server
