// The hook through which the Streamable HTTP transport authenticates each HTTP request
// (MCP 2025-11-25 §basic/authorization: the MCP server is an OAuth 2.1 resource server; the
// credential is checked on every request, not only at session start).
#pragma once

#include <expected>
#include <string>

#include "policy/principal.h"

namespace httplib {
struct Request;
class Server;
}  // namespace httplib

namespace sqlguard::server {

/// A rejected request: what the HTTP answer says.
struct AuthFailure {
  int status = 401;  ///< 401 (missing/invalid credential), 403 (insufficient scope), 400, 503
  /// Full `WWW-Authenticate` header value (RFC 6750 §3, RFC 9728 §5.1), e.g.
  /// `Bearer resource_metadata="https://host/.well-known/oauth-protected-resource/mcp"`;
  /// empty → header not sent.
  std::string www_authenticate;
  std::string message;  ///< safe to return to the client; never contains the credential
};

/// Authenticates one HTTP request (its Authorization / X-API-Key headers, typically).
/// Returns the caller's Principal (subject, issuer, groups, auth_method; client_name and
/// client_version are left empty: the protocol layer fills them from initialize's clientInfo)
/// or an AuthFailure. Must not throw.
/// Thread-safety: called concurrently from HTTP worker threads; implementations must be
/// thread-safe.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual std::expected<policy::Principal, AuthFailure> authenticate(const httplib::Request& request) = 0;
};

}  // namespace sqlguard::server
