#include "server/cli/client_config_command.h"

#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

namespace sqlguard::server {
namespace {

using nlohmann::json;

std::string shell_quote(const std::string& s) {
  if (!s.empty() &&
      s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-:=@") ==
          std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string mcp_url(const Config& c) {
  if (!c.http.resource_url.empty()) return c.http.resource_url;
  const std::string scheme = c.http.tls_cert_file.empty() ? "http" : "https";
  const std::string host =
      c.http.listen_host.find(':') != std::string::npos ? "[" + c.http.listen_host + "]" : c.http.listen_host;
  return scheme + "://" + host + ":" + std::to_string(c.http.port) + "/mcp";
}

}  // namespace

common::Result<std::string> client_snippet(const Config& config, const std::string& client,
                                           const std::string& transport, const std::string& binary) {
  if (transport != "stdio" && transport != "http")
    return common::fail(common::ErrorCode::kInvalidInput,
                        "--transport: expected stdio or http, got '" + transport + "'");
  const std::string name = config.server_name.empty() ? "sqlguard" : config.server_name;
  const json args = {"serve", "--stdio", "--config", config.file.string()};
  // A stdio token (auth.stdio_token_env) must reach the server's environment.
  json env = json::object();
  if (!config.auth.stdio_token_env.empty())
    env[config.auth.stdio_token_env] = "<a bearer token for this agent>";
  const bool http = transport == "http";
  const std::string url = mcp_url(config);
  const bool needs_token = config.auth.oidc.has_value() || !config.auth.api_keys.empty();
  std::string out;
  if (client == "claude-desktop") {
    if (http)
      return common::fail(common::ErrorCode::kInvalidInput,
                          "claude-desktop: remote servers are added in Settings > Connectors (URL " + url +
                              "), not in claude_desktop_config.json; use --transport stdio here");
    json server = {{"command", binary}, {"args", args}};
    if (!env.empty()) server["env"] = env;
    out =
        "# claude_desktop_config.json (macOS: ~/Library/Application Support/Claude/, Windows: "
        "%APPDATA%\\Claude\\)\n" +
        json{{"mcpServers", {{name, server}}}}.dump(2) + "\n";
  } else if (client == "claude-code") {
    if (http) {
      out = "# run in your project (or add --scope user)\nclaude mcp add --transport http " +
            shell_quote(name) + " " + shell_quote(url) +
            (needs_token ? " --header \"Authorization: Bearer $SQLGUARD_TOKEN\"" : "") + "\n";
    } else {
      std::string env_flags;
      for (const auto& [k, v] : env.items()) env_flags += " --env " + k + "=\"$" + k + "\"";
      out = "# run in your project (or add --scope user)\nclaude mcp add" + env_flags + " " +
            shell_quote(name) + " -- " + shell_quote(binary) + " serve --stdio --config " +
            shell_quote(config.file.string()) + "\n";
    }
  } else if (client == "vscode") {
    json server;
    json doc = json::object();
    if (http) {
      server = {{"type", "http"}, {"url", url}};
      if (needs_token) {
        server["headers"] = {{"Authorization", "Bearer ${input:sqlguard-token}"}};
        doc["inputs"] = json::array({{{"type", "promptString"},
                                      {"id", "sqlguard-token"},
                                      {"description", "sqlguard bearer token"},
                                      {"password", true}}});
      }
    } else {
      server = {{"type", "stdio"}, {"command", binary}, {"args", args}};
      if (!env.empty()) server["env"] = env;
    }
    doc["servers"] = {{name, server}};
    out = "# .vscode/mcp.json in your workspace\n" + doc.dump(2) + "\n";
  } else if (client == "cursor") {
    json server;
    if (http) {
      server = {{"url", url}};
      if (needs_token) server["headers"] = {{"Authorization", "Bearer ${env:SQLGUARD_TOKEN}"}};
    } else {
      server = {{"command", binary}, {"args", args}};
      if (!env.empty()) server["env"] = env;
    }
    out = "# ~/.cursor/mcp.json (or .cursor/mcp.json in a project)\n" +
          json{{"mcpServers", {{name, server}}}}.dump(2) + "\n";
  } else {
    return common::fail(
        common::ErrorCode::kInvalidInput,
        "unknown client '" + client + "' (expected claude-desktop, claude-code, vscode or cursor)");
  }
  if (http && needs_token)
    out += "# the token: an OIDC access token for " + url + " (audience) or an API key from auth.api_keys\n";
  return out;
}

void register_client_config_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("client-config", "Print the registration snippet for an MCP client");
  auto client = std::make_shared<std::string>();
  auto config_file = std::make_shared<std::string>();
  auto transport = std::make_shared<std::string>("stdio");
  cmd->add_option("client", *client, "claude-desktop, claude-code, vscode or cursor")
      ->required()
      ->check(CLI::IsMember({"claude-desktop", "claude-code", "vscode", "cursor"}));
  cmd->add_option("--config", *config_file, "configuration file (YAML)")->required();
  cmd->add_option("--transport", *transport, "stdio (default) or http")
      ->check(CLI::IsMember({"stdio", "http"}));
  cmd->callback([client, config_file, transport, &exit_code] {
    auto config = load_config(*config_file);
    if (!config) {
      std::cerr << config.error().message << "\n";
      exit_code = 2;
      return;
    }
    std::error_code ec;
    std::string binary = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    if (ec) binary = "sqlguard";
    auto snippet = client_snippet(*config, *client, *transport, binary);
    if (!snippet) {
      std::cerr << "client-config: " << snippet.error().message << "\n";
      exit_code = 2;
      return;
    }
    std::cout << *snippet;
    exit_code = 0;
  });
}

}  // namespace sqlguard::server
