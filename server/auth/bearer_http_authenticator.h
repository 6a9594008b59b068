// The adapter between the HTTP transport's Authenticator hook (server/mcp/authenticator.h) and
// BearerAuthenticator: reads the `Authorization` and `X-API-Key` headers of each request
// (RFC 6750 §2.1; OAuth 2.1 §5.2) and turns an AuthRejection into the transport's AuthFailure.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "server/auth/bearer_authenticator.h"
#include "server/mcp/authenticator.h"

namespace sqlguard::server {

/// Hooks for the audit log and metrics. Both optional; called on the HTTP worker thread,
/// possibly concurrently, and must not throw.
struct AuthObserver {
  /// Every rejected request (MCP: every rejected token is an audit event). `remote_address` is
  /// the peer address as the transport saw it.
  std::function<void(const AuthRejection&, std::string_view remote_address)> on_rejected;
  /// Every accepted request, with what the Principal does not carry (OAuth client id, scopes,
  /// token id, expiry, API key id).
  std::function<void(const AuthenticatedCaller&, std::string_view remote_address)> on_accepted;
};

/// Authenticator for the Streamable HTTP transport, backed by a BearerAuthenticator.
/// The returned Principal has client_name/client_version empty (the protocol layer fills them
/// from clientInfo). Thread-safety: authenticate() is safe to call concurrently.
class BearerHttpAuthenticator final : public Authenticator {
 public:
  /// `bearer` must not be null.
  explicit BearerHttpAuthenticator(std::shared_ptr<const BearerAuthenticator> bearer,
                                   AuthObserver observer = {});

  /// 401/403/400/503 AuthFailure with the WWW-Authenticate value, or the Principal.
  std::expected<policy::Principal, AuthFailure> authenticate(const httplib::Request& request) override;

 private:
  std::shared_ptr<const BearerAuthenticator> bearer_;
  AuthObserver observer_;
};

}  // namespace sqlguard::server
