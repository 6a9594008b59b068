// One MCP session: lifecycle, version negotiation, dispatch of JSON-RPC messages to the tools,
// cancellation, progress and logging notifications. Transport-independent: stdio and
// Streamable HTTP feed it parsed messages and give it a Sink for what it sends back.
//
// Spec: MCP 2025-11-25 (also accepts 2025-06-18, 2025-03-26, 2024-11-05) §basic/lifecycle,
// §basic/utilities/{ping,cancellation,progress}, §server/tools, §server/utilities/logging;
// JSON-RPC 2.0.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/principal.h"
#include "tools/tool.h"

namespace sqlguard::server {

/// Where a session's outgoing messages go. A transport implements it: stdio writes lines to
/// stdout; HTTP answers the POST that carried the request (JSON or an SSE stream).
/// Thread-safety: send() and done() are called from the thread that called McpSession::handle
/// and from tool worker threads, possibly concurrently; implementations must be thread-safe and
/// must not throw.
class Sink {
 public:
  virtual ~Sink() = default;
  /// Sends one complete JSON-RPC message (a response, a batch response array, or a
  /// notification related to the request, e.g. notifications/progress).
  virtual void send(const nlohmann::json& message) = 0;
  /// Called exactly once per McpSession::handle() call, after the last message caused by that
  /// call was passed to send(): after its response, or with no response at all when the message
  /// held only notifications/responses or its request was cancelled. Default: nothing.
  virtual void done() {}
};

/// RFC 5424 severities used by MCP logging (MCP 2025-11-25 §server/utilities/logging).
enum class LogLevel { kDebug, kInfo, kNotice, kWarning, kError, kCritical, kAlert, kEmergency };

/// "debug" … "emergency" → LogLevel; std::nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view name);
/// LogLevel → its MCP name ("warning", ...).
std::string_view log_level_name(LogLevel level);

/// Limits and texts for a session (and the transports that carry it).
struct ServerOptions {
  std::size_t max_message_bytes = 16u * 1024u * 1024u;  ///< one message (stdio line / HTTP body), bytes
  std::size_t max_json_depth = 64;                      ///< nesting of arrays/objects in one message
  std::size_t max_concurrent_calls = 16;                ///< tools/call running at once per session
  std::chrono::milliseconds shutdown_grace{30'000};     ///< close(): wait for in-flight calls
  std::chrono::milliseconds cancel_grace{2'000};        ///< close(): wait after cancelling stragglers
  LogLevel initial_log_level = LogLevel::kInfo;         ///< until the client sends logging/setLevel
  std::string instructions;  ///< InitializeResult.instructions; empty → default_instructions()
};

/// The default InitializeResult.instructions: the three tools and that statements are governed
/// and audited.
std::string default_instructions();

/// Protocol versions this server speaks, newest first: 2025-11-25, 2025-06-18, 2025-03-26,
/// 2024-11-05.
const std::vector<std::string>& supported_protocol_versions();
/// True when `version` is one of supported_protocol_versions().
bool is_supported_protocol_version(std::string_view version);

/// 128 bits from OpenSSL RAND_bytes as 32 lowercase hex characters (visible ASCII, usable as an
/// Mcp-Session-Id, MCP 2025-11-25 §transports "Session Management"). Throws std::runtime_error
/// only if the CSPRNG fails.
std::string generate_session_id();

/// Where this session runs; copied into every tools::CallContext.
struct SessionInfo {
  std::string session_id;      ///< stdio: generate_session_id(); HTTP: the Mcp-Session-Id
  std::string transport;       ///< "stdio", "http"
  std::string remote_address;  ///< "" for stdio
};

/// A single MCP session.
///
/// Message handling: requests other than tools/call are answered synchronously inside
/// handle(); tools/call runs the tool on its own worker thread (at most
/// ServerOptions::max_concurrent_calls at once; beyond that the call gets an isError result
/// "too many concurrent calls") so the transport keeps reading (pipelining, cancellation).
/// notifications/cancelled requests the call's std::stop_token; a cancelled call's response is
/// never sent.
///
/// Errors (JSON-RPC 2.0 / MCP 2025-11-25): -32601 unknown method (also before initialize);
/// -32600 invalid message, duplicate initialize, a request other than ping/initialize before
/// initialize, batch when 2025-03-26 was not negotiated; -32602 bad params, unknown tool,
/// unsupported log level; -32603 internal error. Tool failures are isError results.
///
/// Thread-safety: all public member functions are thread-safe. Worker threads only use state
/// shared through a reference-counted block, the ToolRegistry and the Sinks, so the registry
/// must outlive every call (close() waits for them, bounded by the graces in ServerOptions).
class McpSession {
 public:
  /// `tools` and `observer` (may be nullptr) must outlive the session and its calls.
  /// `principal` is the authenticated caller; its client_name/client_version are filled from
  /// initialize's clientInfo.
  McpSession(tools::ToolRegistry& tools, tools::SessionObserver* observer, policy::Principal principal,
             SessionInfo info, ServerOptions options);
  /// Calls close("session destroyed") if close() was not called.
  ~McpSession();
  McpSession(const McpSession&) = delete;
  McpSession& operator=(const McpSession&) = delete;

  /// Handles one parsed message: a request, notification, client response, or (only when
  /// 2025-03-26 was negotiated) a batch array. Answers go to `sink`; sink->done() is called
  /// exactly once, possibly before this returns (synchronous methods) or later from a worker.
  /// Returns true when the message contained at least one request or invalid message, i.e. a
  /// response is (or, for tools/call, may later be) sent; false for notifications and client
  /// responses only (HTTP answers those with 202). Never throws.
  bool handle(const nlohmann::json& message, std::shared_ptr<Sink> sink);

  /// Where messages unrelated to a request go (notifications/message). nullptr drops them.
  void set_notification_sink(std::shared_ptr<Sink> sink);

  /// Sends notifications/message {level, logger, data} on the notification sink when `level`
  /// is at or above the level the client set with logging/setLevel (or
  /// ServerOptions::initial_log_level).
  void log(LogLevel level, std::string_view logger, const nlohmann::json& data);

  /// Ends the session: new requests get no answer; waits up to shutdown_grace for in-flight
  /// calls, then cancels the rest and waits up to cancel_grace; then tells the observer
  /// session_ended(reason) if session_started was called. Idempotent. Returns the number of
  /// calls still running when it gave up (their responses are dropped).
  std::size_t close(std::string_view reason);

  /// True once initialize has been answered successfully.
  bool initialized() const;
  /// The negotiated protocol version; "" before initialize.
  std::string protocol_version() const;
  /// The session's SessionInfo::session_id.
  const std::string& session_id() const { return info_.session_id; }
  /// Number of tools/call currently running.
  std::size_t calls_in_flight() const;

 private:
  struct Shared;
  struct Reply;

  void dispatch(const nlohmann::json& message, const std::shared_ptr<Reply>& reply, bool in_batch,
                bool& responds);
  void handle_notification(const std::string& method, const nlohmann::json& message);
  nlohmann::json handle_initialize(const nlohmann::json& id, const nlohmann::json& params);
  nlohmann::json handle_set_level(const nlohmann::json& id, const nlohmann::json& params);
  nlohmann::json handle_tools_list(const nlohmann::json& id, const nlohmann::json& params);
  void start_tool_call(const nlohmann::json& id, const nlohmann::json& params,
                       const std::shared_ptr<Reply>& reply);
  tools::CallContext make_context() const;

  tools::ToolRegistry& tools_;
  tools::SessionObserver* observer_;
  const SessionInfo info_;
  const ServerOptions options_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace sqlguard::server
