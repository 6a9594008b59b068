// OAuth 2.0 Protected Resource Metadata (RFC 9728) for the MCP endpoint, and the
// `WWW-Authenticate: Bearer ...` challenges (RFC 6750 §3, RFC 9728 §5.1) that point clients to
// it. MCP 2025-11-25 §basic/authorization requires both.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/config/config.h"

namespace sqlguard::server {

/// The well-known prefix of RFC 9728 §3.
inline constexpr std::string_view kProtectedResourceWellKnown = "/.well-known/oauth-protected-resource";

/// The HTTP paths at which the metadata document must be served, without auth:
/// the path-suffixed form of RFC 9728 §3.1 ("/.well-known/oauth-protected-resource/mcp" for a
/// resource URL "https://host/mcp"), which MCP clients probe first, then the root form
/// "/.well-known/oauth-protected-resource". One entry when the resource URL has no path.
std::vector<std::string> protected_resource_metadata_paths(const HttpConfig& http);

/// Absolute URL of the metadata document, for `resource_metadata=` in challenges: the
/// path-suffixed form built from http.resource_url's origin (RFC 9728 §3.1, §5.1).
std::string protected_resource_metadata_url(const HttpConfig& http);

/// The RFC 9728 §2 document:
/// {"resource": http.resource_url, "authorization_servers": [oidc.issuer],
///  "bearer_methods_supported": ["header"], "scopes_supported": oidc.required_scopes (if any),
///  "resource_name": server_name}.
/// `resource` is http.resource_url verbatim: it must be exactly the URL clients connect to
/// (MCP clients reject any difference, including a trailing "/").
nlohmann::json protected_resource_metadata(const HttpConfig& http, const AuthConfig& auth,
                                           std::string_view server_name = "sqlguard");

/// A `WWW-Authenticate` value for the Bearer scheme (RFC 6750 §3):
/// `Bearer resource_metadata="<url>"[, error="<error>"][, error_description="<text>"]
/// [, scope="<s1 s2>"]`. `error` is "", "invalid_request", "invalid_token" or
/// "insufficient_scope"; the description is reduced to the characters RFC 6750 §3 allows
/// (no '"' or '\\', printable ASCII) and to 200 characters.
std::string www_authenticate_bearer(std::string_view resource_metadata_url, std::string_view error = {},
                                    std::string_view error_description = {},
                                    const std::vector<std::string>& scopes = {});

}  // namespace sqlguard::server
