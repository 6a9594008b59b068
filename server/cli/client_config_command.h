// `sqlguard client-config CLIENT --config F [--transport stdio|http]`: prints the registration
// snippet for an MCP client, with this binary's absolute path and the config's absolute path
// (stdio) or the config's MCP endpoint URL and how to pass a bearer token (Streamable HTTP).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "server/config/config.h"

namespace sqlguard::server {

/// The snippet for `client` ("claude-desktop", "claude-code", "vscode", "cursor") and
/// `transport` ("stdio" or "http"), with `binary` as the command: the JSON the client's MCP
/// config file takes (claude_desktop_config.json, .vscode/mcp.json, ~/.cursor/mcp.json), or for
/// claude-code the `claude mcp add …` command line; each preceded by a line saying where it
/// goes. Errors: kInvalidInput for an unknown client or transport.
common::Result<std::string> client_snippet(const Config& config, const std::string& client,
                                           const std::string& transport, const std::string& binary);

/// Adds `client-config` to `app`. Exit code 0, or 2 on a bad config or argument.
void register_client_config_command(CLI::App& app, int& exit_code);

}  // namespace sqlguard::server
