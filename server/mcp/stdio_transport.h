// The MCP stdio transport (MCP 2025-11-25 §basic/transports "stdio"): newline-delimited
// JSON-RPC messages on stdin/stdout, logs on stderr.
#pragma once

#include <memory>
#include <mutex>

#include "policy/principal.h"
#include "server/mcp/mcp_session.h"
#include "tools/tool.h"

namespace sqlguard::server {

/// Writes each message as one line (compact JSON + '\n') to a file descriptor with a single
/// write mutex, so responses and notifications from concurrent calls never interleave; every
/// message is written with write(2) directly (no stdio buffering, i.e. flushed at once).
/// After a write error (e.g. EPIPE when the client went away) further messages are dropped.
/// Thread-safety: thread-safe. Does not own (close) the descriptor.
class FdLineSink : public Sink {
 public:
  explicit FdLineSink(int fd) : fd_(fd) {}
  void send(const nlohmann::json& message) override;
  /// True once a write has failed.
  bool broken() const;

 private:
  int fd_;
  mutable std::mutex mu_;
  bool broken_ = false;
};

/// Runs the read loop of a stdio session on the calling thread until `in_fd` reaches EOF (or a
/// read error), then closes the session (waiting for in-flight calls as ServerOptions says).
///
/// Framing: one message per '\n'-terminated line; a trailing '\r' is stripped; blank lines are
/// ignored; a final line without '\n' before EOF is still handled. A line longer than
/// `options.max_message_bytes` is discarded as it streams in (memory stays bounded) and
/// answered with -32700 (id null). Lines that are not valid JSON, contain invalid UTF-8 or nest
/// deeper than `options.max_json_depth` are answered with -32700 (id null).
/// Messages go to `session.handle()` with `out` as their Sink; `out` is also made the session's
/// notification sink. Returns 0 after EOF, 1 after a read error, 2 when McpSession::close()
/// left calls running.
int run_stdio(McpSession& session, int in_fd, std::shared_ptr<Sink> out, const ServerOptions& options);

/// Entry point for `sqlguard serve --stdio`. Protects stdout first: duplicates fd 1 to a
/// private close-on-exec descriptor used only for protocol output, then points fd 1 at stderr
/// (dup2), so a stray printf from any library lands on stderr instead of corrupting the
/// protocol stream. Ignores SIGPIPE (a vanished client shows up as a write error instead).
/// Then runs one McpSession (session id from generate_session_id(), transport "stdio") over
/// stdin until EOF, and calls observer->session_ended("stdin closed") via McpSession::close().
///
/// `tools` and `observer` (may be nullptr) must outlive the call. `principal` is the configured
/// stdio identity (auth_method "config"); client_name/client_version are filled from
/// initialize. Returns the process exit code: 0 after EOF with every call finished, 1 on a read
/// or setup error, 2 when calls were still running after the shutdown graces: they are left
/// running detached, so the caller must then end the process at once (std::_Exit(2)) rather
/// than destroy `tools` under them.
int serve_stdio(tools::ToolRegistry& tools, tools::SessionObserver* observer,
                const policy::Principal& principal, ServerOptions options = {});

}  // namespace sqlguard::server
