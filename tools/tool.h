// The contract between the MCP protocol layer (server/) and the tools (tools/).
#pragma once

#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/principal.h"

namespace sqlguard::tools {

/// Everything a tool call knows about its caller. Built by the protocol layer per call.
struct CallContext {
  policy::Principal principal;
  std::string session_id;      ///< MCP session (stdio: one per process run; HTTP: Mcp-Session-Id)
  std::string request_id;      ///< JSON-RPC id as compact JSON text ("0", "\"abc\"")
  std::string transport;       ///< "stdio", "http", "sse"
  std::string remote_address;  ///< "" for stdio
  std::stop_token cancel;      ///< requested when the client sends notifications/cancelled
  /// Sends notifications/progress when the client gave a progressToken; otherwise a no-op.
  /// Arguments: progress so far, total (0 = unknown), message.
  std::function<void(double, double, std::string_view)> progress;
};

/// A CallToolResult (MCP 2025-11-25 §tools/call): `content` blocks, optional
/// `structuredContent` (only when not an error), `isError`.
struct ToolResult {
  nlohmann::json content = nlohmann::json::array();
  nlohmann::json structured;  ///< null when absent
  bool is_error = false;

  /// An isError result with one text block; the text must be safe to show the agent.
  static ToolResult error(std::string message);
  /// The MCP result object: {"content": [...], "structuredContent"?: {...}, "isError"?: true}.
  nlohmann::json to_json() const;
};

/// One MCP tool. Implementations are thread-safe: calls may run concurrently.
class Tool {
 public:
  virtual ~Tool() = default;
  virtual std::string_view name() const = 0;
  /// The Tool object for tools/list: name, title, description, inputSchema, outputSchema,
  /// annotations. Never contains nulls; arrays always have `items`.
  virtual nlohmann::json definition() const = 0;
  /// Runs the tool. `arguments` is the raw `arguments` value (may be null or any JSON type):
  /// invalid arguments give an isError result naming the argument. Never throws.
  virtual ToolResult call(const nlohmann::json& arguments, const CallContext& context) = 0;
};

/// The tools a server offers, in a fixed order.
class ToolRegistry {
 public:
  void add(std::unique_ptr<Tool> tool);
  /// nullptr when no tool has that name.
  Tool* find(std::string_view name) const;
  const std::vector<std::unique_ptr<Tool>>& tools() const { return tools_; }

 private:
  std::vector<std::unique_ptr<Tool>> tools_;
};

}  // namespace sqlguard::tools

namespace sqlguard::tools {

/// Told when MCP sessions begin (after initialize) and end, so they can be recorded.
/// Implementations are thread-safe.
class SessionObserver {
 public:
  virtual ~SessionObserver() = default;
  virtual void session_started(const CallContext& context) = 0;
  virtual void session_ended(const CallContext& context, std::string_view reason) = 0;
};

}  // namespace sqlguard::tools
