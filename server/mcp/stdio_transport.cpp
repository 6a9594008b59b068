#include "server/mcp/stdio_transport.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "server/mcp/json_rpc.h"

namespace sqlguard::server {

using nlohmann::json;

void FdLineSink::send(const json& message) {
  std::string line = serialize(message);
  line.push_back('\n');
  std::lock_guard lock(mu_);
  if (broken_) return;
  const char* data = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      broken_ = true;
      spdlog::warn("mcp stdio: cannot write to the client ({}); dropping further output",
                   std::strerror(errno));
      return;
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

bool FdLineSink::broken() const {
  std::lock_guard lock(mu_);
  return broken_;
}

namespace {

bool blank(std::string_view text) { return text.find_first_not_of(" \t\r") == std::string_view::npos; }

void handle_line(McpSession& session, std::string_view text, const std::shared_ptr<Sink>& out,
                 const ServerOptions& options) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (blank(text)) return;
  auto parsed = parse_json_text(text, options.max_json_depth);
  if (!parsed) {
    out->send(make_error(nullptr, parsed.error().code, parsed.error().message));
    return;
  }
  session.handle(*parsed, out);
}

json oversize_error(const ServerOptions& options) {
  return make_error(
      nullptr, rpc_error::kParseError,
      "Parse error: message longer than " + std::to_string(options.max_message_bytes) + " bytes; discarded");
}

}  // namespace

int run_stdio(McpSession& session, int in_fd, std::shared_ptr<Sink> out, const ServerOptions& options) {
  session.set_notification_sink(out);
  std::string line;
  bool discarding = false;  // inside an oversize line: drop bytes up to the next '\n'
  std::vector<char> buffer(64 * 1024);
  int rc = 0;
  for (;;) {
    const ssize_t n = ::read(in_fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("mcp stdio: reading stdin failed: {}", std::strerror(errno));
      rc = 1;
      break;
    }
    if (n == 0) break;
    std::string_view chunk(buffer.data(), static_cast<std::size_t>(n));
    while (!chunk.empty()) {
      const std::size_t newline = chunk.find('\n');
      const std::string_view piece = chunk.substr(0, newline);
      if (!discarding) {
        if (line.size() + piece.size() > options.max_message_bytes) {
          discarding = true;
          std::string().swap(line);  // release the memory now
        } else {
          line.append(piece);
        }
      }
      if (newline == std::string_view::npos) break;
      chunk.remove_prefix(newline + 1);
      if (discarding) {
        out->send(oversize_error(options));
        discarding = false;
      } else {
        handle_line(session, line, out, options);
        line.clear();
      }
    }
  }
  if (discarding) {
    out->send(oversize_error(options));
  } else if (!line.empty()) {
    handle_line(session, line, out, options);  // last message without a trailing newline
  }
  const std::size_t abandoned = session.close(rc == 0 ? "stdin closed" : "stdin read error");
  return abandoned > 0 ? 2 : rc;
}

int serve_stdio(tools::ToolRegistry& tools, tools::SessionObserver* observer,
                const policy::Principal& principal, ServerOptions options) {
  std::signal(SIGPIPE, SIG_IGN);
  // Keep the real stdout for protocol messages only; send fd 1 (printf, std::cout, libraries)
  // to stderr.
  const int protocol_fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (protocol_fd < 0) {
    spdlog::error("mcp stdio: cannot duplicate stdout: {}", std::strerror(errno));
    return 1;
  }
  if (::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    spdlog::error("mcp stdio: cannot redirect stdout to stderr: {}", std::strerror(errno));
    ::close(protocol_fd);
    return 1;
  }
  std::string session_id;
  try {
    session_id = generate_session_id();
  } catch (const std::exception& e) {
    spdlog::error("mcp stdio: {}", e.what());
    ::close(protocol_fd);
    return 1;
  }
  spdlog::info("mcp stdio: session {} for principal {} started", session_id, principal.subject);
  auto out = std::make_shared<FdLineSink>(protocol_fd);
  int rc = 0;
  {
    McpSession session(tools, observer, principal, SessionInfo{session_id, "stdio", ""}, options);
    rc = run_stdio(session, STDIN_FILENO, out, options);
  }
  // With abandoned calls still holding the sink, keep the descriptor open: closing it could
  // let a later open() reuse the number and receive their output.
  if (rc != 2) ::close(protocol_fd);
  spdlog::info("mcp stdio: session {} ended", session_id);
  return rc;
}

}  // namespace sqlguard::server
