// The loopback reviewer-header rule shared by the approvals API and the console's audit API
// (config approvals.trust_loopback_reviewer_header; docs/approvals.md).
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "common/error.h"
#include "policy/principal.h"
#include "server/mcp/authenticator.h"

namespace httplib {
struct Request;
}  // namespace httplib

namespace sqlguard::server {

/// The Host header of `request` without port, lower case ("[::1]" keeps its brackets).
std::string request_host(const httplib::Request& request);

/// The principal named by `X-Sqlguard-Reviewer: SUBJECT[:group,group]`, accepted only from a
/// loopback peer whose Host is localhost, 127.0.0.1, [::1] or one of `allowed_hosts` (lower
/// case, no port); auth_method "loopback-header". Anyone who can reach the loopback port can
/// claim any identity this way: single-user hosts only. Errors: kInvalidInput (no code names an
/// authentication failure), the message for a 401 answer.
common::Result<policy::Principal> loopback_reviewer(const httplib::Request& request,
                                                    const std::vector<std::string>& allowed_hosts);

/// Who calls the approvals or audit API: `auth` decides when set; otherwise the loopback
/// reviewer header, if `trust_loopback_header`. Error: the answer to send (status, message,
/// WWW-Authenticate); `api` names the API in the "not configured" message.
std::expected<policy::Principal, AuthFailure> api_caller(const httplib::Request& request, Authenticator* auth,
                                                         bool trust_loopback_header,
                                                         const std::vector<std::string>& allowed_hosts,
                                                         std::string_view api);

}  // namespace sqlguard::server
