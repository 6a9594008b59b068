#include "server/auth/oauth_metadata.h"

#include <utility>

namespace sqlguard::server {
namespace {

/// Splits an absolute URL into origin ("https://host:port") and path ("/mcp", or "" when none).
/// Query and fragment are dropped (RFC 9728 §3.1 inserts the well-known part before the path).
std::pair<std::string, std::string> origin_and_path(std::string_view url) {
  const auto scheme_end = url.find("://");
  const auto from = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const auto path_start = url.find_first_of("/?#", from);
  if (path_start == std::string_view::npos) return {std::string(url), ""};
  std::string path(url.substr(path_start));
  path = path.substr(0, path.find_first_of("?#"));
  if (path == "/") path.clear();
  return {std::string(url.substr(0, path_start)), path};
}

/// RFC 6750 §3: error_description and scope use %x20-21 / %x23-5B / %x5D-7E only.
std::string quoted_safe(std::string_view s, std::size_t max_len) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max_len) break;
    if (c == '"' || c == '\\') {
      out += '\'';
    } else if (c >= 0x20 && c <= 0x7e) {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> protected_resource_metadata_paths(const HttpConfig& http) {
  const auto [origin, path] = origin_and_path(http.resource_url);
  std::vector<std::string> out;
  if (!path.empty()) out.push_back(std::string(kProtectedResourceWellKnown) + path);
  out.emplace_back(kProtectedResourceWellKnown);
  return out;
}

std::string protected_resource_metadata_url(const HttpConfig& http) {
  const auto [origin, path] = origin_and_path(http.resource_url);
  return origin + std::string(kProtectedResourceWellKnown) + path;
}

nlohmann::json protected_resource_metadata(const HttpConfig& http, const AuthConfig& auth,
                                           std::string_view server_name) {
  nlohmann::json doc = nlohmann::json::object();
  doc["resource"] = http.resource_url;
  nlohmann::json servers = nlohmann::json::array();
  if (auth.oidc && !auth.oidc->issuer.empty()) servers.push_back(auth.oidc->issuer);
  doc["authorization_servers"] = std::move(servers);
  doc["bearer_methods_supported"] = nlohmann::json::array({"header"});
  if (auth.oidc && !auth.oidc->required_scopes.empty()) {
    doc["scopes_supported"] = auth.oidc->required_scopes;
  }
  if (!server_name.empty()) doc["resource_name"] = std::string(server_name);
  return doc;
}

std::string www_authenticate_bearer(std::string_view resource_metadata_url, std::string_view error,
                                    std::string_view error_description,
                                    const std::vector<std::string>& scopes) {
  std::string v = "Bearer resource_metadata=\"" + quoted_safe(resource_metadata_url, 2048) + "\"";
  if (!error.empty()) v += ", error=\"" + quoted_safe(error, 64) + "\"";
  if (!error_description.empty()) {
    v += ", error_description=\"" + quoted_safe(error_description, 200) + "\"";
  }
  if (!scopes.empty()) {
    std::string joined;
    for (const auto& s : scopes) joined += (joined.empty() ? "" : " ") + s;
    v += ", scope=\"" + quoted_safe(joined, 1024) + "\"";
  }
  return v;
}

}  // namespace sqlguard::server
