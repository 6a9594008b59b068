#include "server/admin/loopback_reviewer.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>

#include "common/address.h"
#include "policy/principal_spec.h"
#include "server/mcp/http_transport.h"

namespace sqlguard::server {

std::string request_host(const httplib::Request& request) {
  std::string host = request.get_header_value("Host");
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else if (auto colon = host.find(':'); colon != std::string::npos) {
    host.resize(colon);
  }
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host;
}

std::expected<policy::Principal, AuthFailure> api_caller(const httplib::Request& request, Authenticator* auth,
                                                         bool trust_loopback_header,
                                                         const std::vector<std::string>& allowed_hosts,
                                                         std::string_view api) {
  if (auth != nullptr) {
    auto principal = auth->authenticate(request);
    if (!principal && principal.error().message.empty())
      principal.error().message = "authentication required";
    return principal;
  }
  if (!trust_loopback_header) {
    return std::unexpected(AuthFailure{401, "",
                                       "authentication is not configured for the " + std::string(api) +
                                           " (configure auth:, or approvals.trust_loopback_reviewer_header "
                                           "on a single-user host)"});
  }
  auto reviewer = loopback_reviewer(request, allowed_hosts);
  if (!reviewer) return std::unexpected(AuthFailure{401, "", reviewer.error().message});
  return std::move(*reviewer);
}

common::Result<policy::Principal> loopback_reviewer(const httplib::Request& request,
                                                    const std::vector<std::string>& allowed_hosts) {
  const std::string host = request_host(request);
  const bool host_ok = host == "localhost" || host == "127.0.0.1" || host == "[::1]" ||
                       std::find(allowed_hosts.begin(), allowed_hosts.end(), host) != allowed_hosts.end();
  if (!common::is_loopback_address(request.remote_addr) || !host_ok) {
    return common::fail(common::ErrorCode::kInvalidInput,
                        "the reviewer header is only accepted from loopback with a loopback Host");
  }
  const std::string spec = request.get_header_value("X-Sqlguard-Reviewer");
  if (spec.empty())
    return common::fail(common::ErrorCode::kInvalidInput,
                        "missing X-Sqlguard-Reviewer: SUBJECT[:group,group]");
  auto principal = policy::parse_principal_spec(spec);
  if (!principal) return std::unexpected(common::prefixed("X-Sqlguard-Reviewer: ", principal.error()));
  principal->auth_method = "loopback-header";
  return std::move(*principal);
}

}  // namespace sqlguard::server
