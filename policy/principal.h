// The authenticated caller of a tool: who they are and which MCP client they use.
#pragma once

#include <string>
#include <vector>

namespace sqlguard::policy {

/// An authenticated identity. Policy rules, masking exemptions and every audit record key on it.
/// A plain value type; copy freely, safe to share read-only between threads.
struct Principal {
  std::string subject;              ///< stable id, e.g. "alice@example.com" or "svc:reporting"
  std::string issuer;               ///< token issuer URL; "" for identities configured for stdio
  std::vector<std::string> groups;  ///< groups or roles, e.g. {"analysts", "compliance"}
  std::string auth_method;          ///< "config" (stdio), "oidc", "api-key"
  std::string client_name;          ///< MCP clientInfo.name, e.g. "claude-ai"; may be empty
  std::string client_version;       ///< MCP clientInfo.version; may be empty

  /// True when `group` is one of `groups` (exact, case-sensitive).
  bool in_group(const std::string& group) const {
    for (const auto& g : groups) {
      if (g == group) return true;
    }
    return false;
  }
};

}  // namespace sqlguard::policy
