#include "server/mcp/http_transport.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/address.h"
#include "server/mcp/json_rpc.h"

// Debian's cpp-httplib is a compiled library built with CPPHTTPLIB_OPENSSL_SUPPORT (and ZLIB,
// BROTLI); every translation unit that includes httplib.h must see the same definitions (the
// pkg-config cpp-httplib Cflags) or class layouts differ from the library's. They are only
// defined when the build links the library; otherwise the transport reports that it is missing.
#if defined(CPPHTTPLIB_OPENSSL_SUPPORT)
#include <httplib.h>
#define SQLGUARD_HAVE_HTTPLIB 1
#endif

namespace sqlguard::server {

using nlohmann::json;

#if defined(SQLGUARD_HAVE_HTTPLIB)

namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kSessionHeader = "Mcp-Session-Id";
constexpr const char* kVersionHeader = "MCP-Protocol-Version";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A JSON-RPC error body without id for transport-level failures (MCP 2025-11-25 §transports:
// "the body MAY comprise a JSON-RPC error response that has no id").
void reply_rpc_error(httplib::Response& res, int status, int code, std::string message) {
  res.status = status;
  res.set_content(serialize(make_error(nullptr, code, std::move(message))), kJson);
}

// "host:port", "[v6]:port" or "host" → lower-case host ("[v6]" keeps its brackets).
std::string host_only(std::string_view authority) {
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    return lower(close == std::string_view::npos ? authority : authority.substr(0, close + 1));
  }
  return lower(authority.substr(0, authority.find(':')));
}

std::string regex_escape(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Media types in an Accept or Content-Type header, lower case, parameters dropped.
std::vector<std::string> media_types(std::string_view header) {
  std::vector<std::string> out;
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    item = item.substr(0, item.find(';'));
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    if (b != std::string_view::npos) out.push_back(lower(item.substr(b, e - b + 1)));
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return out;
}

bool accepts(const httplib::Request& req, std::string_view type) {
  if (!req.has_header("Accept")) return type == kJson;
  const auto types = media_types(req.get_header_value("Accept"));
  const std::string major = std::string(type.substr(0, type.find('/'))) + "/*";
  for (const auto& t : types) {
    if (t == type || t == "*/*" || t == major) return true;
  }
  return false;
}

bool same_principal(const policy::Principal& a, const policy::Principal& b) {
  return a.subject == b.subject && a.issuer == b.issuer && a.auth_method == b.auth_method;
}

bool is_notification(const json& message) {
  return message.is_object() && message.contains("method") && !message.contains("id");
}

}  // namespace

// Named (not anonymous) because HttpTransport::Impl holds them: a member whose type has internal
// linkage would give Impl a subobject GCC warns about (-Wsubobject-linkage) in a unity build.
namespace http_streams {

// The Sink of one POST: queues what the session sends until the HTTP side takes it.
class Exchange : public Sink {
 public:
  void send(const json& message) override {
    std::lock_guard lock(mu_);
    queue_.push_back(message);
    cv_.notify_all();
  }
  void done() override {
    std::lock_guard lock(mu_);
    done_ = true;
    cv_.notify_all();
  }

  enum class Next { kMessage, kFinished, kTimeout };
  // Waits up to `timeout` for the next message.
  Next next(json& out, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || done_; });
    if (!queue_.empty()) {
      out = std::move(queue_.front());
      queue_.pop_front();
      return Next::kMessage;
    }
    return done_ ? Next::kFinished : Next::kTimeout;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<json> queue_;
  bool done_ = false;
};

// The server→client stream of one legacy HTTP+SSE session (MCP 2024-11-05): every message the
// session sends, for whichever POST, goes here in order. done() is a no-op: the stream
// outlives each request. A client that stops reading is cut off at the queue bounds.
class SseStream : public Sink {
 public:
  SseStream(std::size_t max_messages, std::size_t max_bytes)
      : max_messages_(max_messages), max_bytes_(max_bytes) {}

  void send(const json& message) override {
    std::string text = serialize(message);
    std::lock_guard lock(mu_);
    if (closed_) return;
    if (queue_.size() >= max_messages_ || queued_bytes_ + text.size() > max_bytes_) {
      spdlog::warn("mcp sse: a client does not read its stream; closing it");
      queue_.clear();
      queued_bytes_ = 0;
      closed_ = true;
    } else {
      queued_bytes_ += text.size();
      queue_.push_back(std::move(text));
    }
    cv_.notify_all();
  }

  // Ends the stream once what is queued has been taken.
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }

  // Waits up to `timeout` for the next serialized message.
  Exchange::Next next(std::string& out, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || closed_; });
    if (!queue_.empty()) {
      out = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= out.size();
      return Exchange::Next::kMessage;
    }
    return closed_ ? Exchange::Next::kFinished : Exchange::Next::kTimeout;
  }

 private:
  const std::size_t max_messages_;
  const std::size_t max_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool closed_ = false;
};

}  // namespace http_streams

using http_streams::Exchange;
using http_streams::SseStream;

struct HttpTransport::Impl {
  struct Entry {
    std::shared_ptr<McpSession> session;
    policy::Principal owner;
    std::chrono::steady_clock::time_point last_used;
    std::size_t active_requests = 0;
    std::shared_ptr<SseStream> stream;  ///< legacy HTTP+SSE sessions only
  };

  Impl(tools::ToolRegistry& t, tools::SessionObserver* o, Authenticator* a, policy::Principal anon,
       ServerOptions so, HttpOptions ho, HealthCheck h)
      : tools(t),
        observer(o),
        authenticator(a),
        anonymous(std::move(anon)),
        options(std::move(so)),
        http(std::move(ho)),
        health(std::move(h)) {}

  tools::ToolRegistry& tools;
  tools::SessionObserver* observer;
  Authenticator* authenticator;
  const policy::Principal anonymous;
  const ServerOptions options;
  const HttpOptions http;
  const HealthCheck health;

  std::unique_ptr<httplib::Server> server;
  std::thread listener;
  std::thread janitor;
  int bound_port = 0;
  bool started = false;

  mutable std::mutex mu;
  std::condition_variable janitor_cv;
  bool stopping = false;
  std::atomic<std::size_t> abandoned{0};  // calls still running when close() gave up
  std::map<std::string, Entry> sessions;
  std::deque<std::pair<std::shared_ptr<McpSession>, std::string>> to_close;

  bool host_allowed(const std::string& host) const {
    if (host == "localhost" || host == "127.0.0.1" || host == "[::1]") return true;
    for (const auto& h : http.allowed_hosts) {
      if (h == "*" || lower(h) == host) return true;
    }
    return false;
  }

  // SSE providers wait for the next message in short slices so that stop() is noticed.
  static constexpr std::chrono::milliseconds kSseSlice{500};

  // A slice that brought no message: false (end the stream) when the server stops; otherwise a
  // keep-alive comment once `keepalive` has passed without output, else nothing.
  bool quiet_slice(httplib::DataSink& sink, std::chrono::milliseconds& idle,
                   std::chrono::milliseconds keepalive) {
    idle += kSseSlice;
    {
      std::lock_guard lock(mu);
      if (stopping) return false;
    }
    if (idle < keepalive) return true;
    idle = std::chrono::milliseconds(0);
    static constexpr std::string_view kPing = ": keepalive\n\n";
    return sink.write(kPing.data(), kPing.size());
  }

  // Host and Origin checks against DNS rebinding (MCP 2025-11-25 §transports "Security
  // Warning"). Also sets CORS headers for an accepted Origin.
  bool check_host_and_origin(const httplib::Request& req, httplib::Response& res) const {
    const std::string host = host_only(req.get_header_value("Host"));
    if (host.empty() || !host_allowed(host)) {
      reply_rpc_error(res, 403, -32000, "Forbidden: Host header not allowed");
      return false;
    }
    if (!req.has_header("Origin")) return true;
    const std::string origin = req.get_header_value("Origin");
    bool ok = std::find(http.allowed_origins.begin(), http.allowed_origins.end(), origin) !=
              http.allowed_origins.end();
    if (!ok) {
      const std::string o = lower(origin);
      for (std::string_view scheme : {"http://", "https://"}) {
        if (o.starts_with(scheme)) {
          const std::string_view authority = std::string_view(o).substr(scheme.size());
          if (authority.find('/') == std::string_view::npos) ok = host_allowed(host_only(authority));
        }
      }
    }
    if (!ok) {
      reply_rpc_error(res, 403, -32000, "Forbidden: Origin not allowed");
      return false;
    }
    res.set_header("Access-Control-Allow-Origin", origin);
    res.set_header("Access-Control-Expose-Headers", "Mcp-Session-Id, WWW-Authenticate");
    res.set_header("Vary", "Origin");
    return true;
  }

  std::optional<policy::Principal> authenticate(const httplib::Request& req, httplib::Response& res) const {
    if (authenticator == nullptr) return anonymous;
    auto result = authenticator->authenticate(req);
    if (result) return std::move(*result);
    const AuthFailure& failure = result.error();
    if (!failure.www_authenticate.empty()) {
      res.set_header("WWW-Authenticate", failure.www_authenticate);
    }
    reply_rpc_error(res, failure.status > 0 ? failure.status : 401, -32000,
                    failure.message.empty() ? "Unauthorized" : failure.message);
    return std::nullopt;
  }

  // Looks up a session for a request; answers 400/404 itself when there is none.
  std::shared_ptr<McpSession> find_session(const httplib::Request& req, httplib::Response& res,
                                           const policy::Principal& caller, bool claim) {
    const std::string id = req.get_header_value(kSessionHeader);
    if (id.empty()) {
      reply_rpc_error(res, 400, -32000,
                      "Bad Request: Mcp-Session-Id header is required (send initialize first)");
      return nullptr;
    }
    std::lock_guard lock(mu);
    const auto it = sessions.find(id);
    // A session of another principal is reported like an unknown one: ids are not proof of
    // identity and their existence is not disclosed. Legacy HTTP+SSE sessions are only
    // reachable through their own message endpoint.
    if (it == sessions.end() || it->second.stream || !same_principal(it->second.owner, caller)) {
      reply_rpc_error(res, 404, -32001, "Session not found");
      return nullptr;
    }
    it->second.last_used = std::chrono::steady_clock::now();
    if (claim) ++it->second.active_requests;
    return it->second.session;
  }

  void release_session(const std::string& id) {
    std::lock_guard lock(mu);
    const auto it = sessions.find(id);
    if (it == sessions.end()) return;
    if (it->second.active_requests > 0) --it->second.active_requests;
    it->second.last_used = std::chrono::steady_clock::now();
  }

  void handle_post(const httplib::Request& req, httplib::Response& res) {
    if (!check_host_and_origin(req, res)) return;
    auto caller = authenticate(req, res);
    if (!caller) return;
    const auto content_types = media_types(req.get_header_value("Content-Type"));
    if (content_types.empty() || content_types.front() != kJson) {
      reply_rpc_error(res, 415, -32000, "Unsupported Media Type: Content-Type must be application/json");
      return;
    }
    const bool sse_ok = accepts(req, "text/event-stream");
    if (!accepts(req, kJson) && !sse_ok) {
      reply_rpc_error(res, 406, -32000,
                      "Not Acceptable: Accept must allow application/json or text/event-stream");
      return;
    }
    if (req.has_header(kVersionHeader) &&
        !is_supported_protocol_version(req.get_header_value(kVersionHeader))) {
      reply_rpc_error(res, 400, -32000,
                      "Bad Request: unsupported MCP-Protocol-Version; supported: 2025-11-25, "
                      "2025-06-18, 2025-03-26, 2024-11-05");
      return;
    }
    auto parsed = parse_json_text(req.body, options.max_json_depth);
    if (!parsed) {
      reply_rpc_error(res, 400, parsed.error().code, parsed.error().message);
      return;
    }
    const json& message = *parsed;
    const bool is_initialize =
        message.is_object() && message.contains("id") && message.value("method", json()) == "initialize";

    std::shared_ptr<McpSession> session;
    std::string session_id;
    bool new_session = false;
    if (is_initialize && !req.has_header(kSessionHeader)) {
      {
        std::lock_guard lock(mu);
        if (stopping) {
          reply_rpc_error(res, 503, -32000, "Service Unavailable: shutting down");
          return;
        }
        if (sessions.size() >= http.max_sessions) {
          reply_rpc_error(res, 503, -32000, "Service Unavailable: too many sessions");
          return;
        }
      }
      try {
        session_id = generate_session_id();
      } catch (const std::exception& e) {
        spdlog::error("mcp http: {}", e.what());
        reply_rpc_error(res, 500, rpc_error::kInternalError, "Internal error");
        return;
      }
      session = std::make_shared<McpSession>(tools, observer, *caller,
                                             SessionInfo{session_id, "http", req.remote_addr}, options);
      new_session = true;
    } else {
      session = find_session(req, res, *caller, true);
      if (!session) return;
      session_id = session->session_id();
    }

    // Released when the handler returns; an SSE stream or a running call keeps the session
    // from expiring through calls_in_flight().
    struct Release {
      Impl* impl;
      std::string id;
      ~Release() {
        if (impl != nullptr) impl->release_session(id);
      }
    } release{new_session ? nullptr : this, session_id};

    auto exchange = std::make_shared<Exchange>();
    const bool responds = session->handle(message, exchange);
    if (!responds) {
      res.status = 202;
      return;
    }

    // Take messages until the response: JSON unless a notification comes first and the
    // client accepts SSE.
    json first;
    for (;;) {
      const auto step = exchange->next(first, std::chrono::hours(24));
      if (step == Exchange::Next::kFinished) {
        res.status = 202;  // cancelled: no response (MCP 2025-11-25 §cancellation)
        finish_new_session(new_session, session, session_id, *caller, res);
        return;
      }
      if (step != Exchange::Next::kMessage) continue;
      if (!is_notification(first)) break;
      if (sse_ok) {
        stream_sse(res, exchange, std::move(first));
        return;
      }
      // The client takes only JSON: progress notifications cannot be delivered; drop them.
    }
    json ignored;
    while (exchange->next(ignored, std::chrono::hours(24)) == Exchange::Next::kMessage) {}
    res.status = 200;
    if (is_initialize && !new_session && first.contains("error")) res.status = 400;
    res.set_content(serialize(first), kJson);
    finish_new_session(new_session, session, session_id, *caller, res);
  }

  void finish_new_session(bool new_session, const std::shared_ptr<McpSession>& session, const std::string& id,
                          const policy::Principal& owner, httplib::Response& res) {
    if (!new_session) return;
    if (!session->initialized()) {
      queue_close(session, "initialize failed");
      return;
    }
    {
      std::lock_guard lock(mu);
      if (!stopping) {
        sessions.emplace(id, Entry{session, owner, std::chrono::steady_clock::now(), 0});
        res.set_header(kSessionHeader, id);
        spdlog::info("mcp http: session {} started for {}", id, owner.subject);
        return;
      }
    }
    queue_close(session, "server shutdown");
  }

  void stream_sse(httplib::Response& res, const std::shared_ptr<Exchange>& exchange, json first) {
    res.status = 200;
    res.set_header("Cache-Control", "no-cache, no-transform");
    res.set_header("X-Accel-Buffering", "no");
    auto pending = std::make_shared<std::optional<json>>(std::move(first));
    const auto keepalive = std::chrono::duration_cast<std::chrono::milliseconds>(http.sse_keepalive);
    auto idle = std::make_shared<std::chrono::milliseconds>(0);
    res.set_chunked_content_provider(
        "text/event-stream", [this, exchange, pending, keepalive, idle](size_t, httplib::DataSink& sink) {
          json message;
          Exchange::Next step;
          if (pending->has_value()) {
            message = std::move(**pending);
            pending->reset();
            step = Exchange::Next::kMessage;
          } else {
            step = exchange->next(message, kSseSlice);
            if (step == Exchange::Next::kTimeout) return quiet_slice(sink, *idle, keepalive);
          }
          if (step == Exchange::Next::kFinished) {
            sink.done();
            return true;
          }
          *idle = std::chrono::milliseconds(0);
          const std::string event = "event: message\ndata: " + serialize(message) + "\n\n";
          return sink.write(event.data(), event.size());
        });
  }

  void handle_delete(const httplib::Request& req, httplib::Response& res) {
    if (!check_host_and_origin(req, res)) return;
    auto caller = authenticate(req, res);
    if (!caller) return;
    auto session = find_session(req, res, *caller, false);
    if (!session) return;
    {
      std::lock_guard lock(mu);
      sessions.erase(session->session_id());
    }
    queue_close(std::move(session), "client ended the session");
    res.status = 200;
  }

  void handle_options(const httplib::Request& req, httplib::Response& res) {
    if (!check_host_and_origin(req, res)) return;
    res.set_header("Access-Control-Allow-Methods", "POST, GET, DELETE, OPTIONS");
    res.set_header("Access-Control-Allow-Headers",
                   "Content-Type, Accept, Authorization, X-API-Key, Mcp-Session-Id, "
                   "MCP-Protocol-Version, Last-Event-ID");
    res.set_header("Access-Control-Max-Age", "600");
    res.status = 204;
  }

  void handle_health(const httplib::Request&, httplib::Response& res) {
    json body = {{"status", "ok"}};
    if (health) {
      try {
        body = health();
      } catch (const std::exception& e) {
        spdlog::error("mcp http: health check threw: {}", e.what());
        body = {{"status", "unhealthy"}};
      }
    }
    if (!body.is_object()) body = {{"status", "unhealthy"}};
    if (!body.contains("sessions")) body["sessions"] = session_count();
    res.status = body.value("status", json()) == "ok" ? 200 : 503;
    res.set_content(serialize(body), kJson);
  }

  // GET /sse (MCP 2024-11-05 HTTP+SSE): a new session and its stream, announced with the
  // `endpoint` event.
  void handle_sse_open(const httplib::Request& req, httplib::Response& res) {
    if (!check_host_and_origin(req, res)) return;
    auto caller = authenticate(req, res);
    if (!caller) return;
    if (req.has_header("Accept") && !accepts(req, "text/event-stream")) {
      reply_rpc_error(res, 406, -32000, "Not Acceptable: Accept must allow text/event-stream");
      return;
    }
    std::string session_id;
    try {
      session_id = generate_session_id();
    } catch (const std::exception& e) {
      spdlog::error("mcp sse: {}", e.what());
      reply_rpc_error(res, 500, rpc_error::kInternalError, "Internal error");
      return;
    }
    auto stream = std::make_shared<SseStream>(http.max_sse_queued_messages, http.max_sse_queued_bytes);
    auto session = std::make_shared<McpSession>(tools, observer, *caller,
                                                SessionInfo{session_id, "sse", req.remote_addr}, options);
    session->set_notification_sink(stream);
    {
      std::lock_guard lock(mu);
      std::size_t streams = 0;
      for (const auto& [id, e] : sessions) streams += e.stream ? 1 : 0;
      const char* refusal = stopping                               ? "shutting down"
                            : sessions.size() >= http.max_sessions ? "too many sessions"
                            : streams >= http.max_sse_streams      ? "too many SSE streams"
                                                                   : nullptr;
      if (refusal != nullptr) {
        reply_rpc_error(res, 503, -32000, std::string("Service Unavailable: ") + refusal);
        return;  // the unused session is destroyed after the lock is released
      }
      sessions.emplace(session_id, Entry{session, *caller, std::chrono::steady_clock::now(), 0, stream});
    }
    spdlog::info("mcp sse: session {} started for {}", session_id, caller->subject);

    res.status = 200;
    res.set_header("Cache-Control", "no-cache, no-transform");
    res.set_header("X-Accel-Buffering", "no");
    // The POST endpoint, relative to the SSE URL (the TS SDK client resolves it against that
    // URL and refuses another origin).
    auto endpoint = std::make_shared<std::optional<std::string>>(
        "event: endpoint\ndata: " + http.sse_messages_path + "?sessionId=" + session_id + "\n\n");
    const auto keepalive = std::chrono::duration_cast<std::chrono::milliseconds>(http.sse_keepalive);
    auto idle = std::make_shared<std::chrono::milliseconds>(0);
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, stream, endpoint, keepalive, idle](size_t, httplib::DataSink& sink) {
          if (endpoint->has_value()) {
            const std::string first = std::move(**endpoint);
            endpoint->reset();
            return sink.write(first.data(), first.size());
          }
          std::string message;
          const auto step = stream->next(message, kSseSlice);
          if (step == Exchange::Next::kFinished) {
            sink.done();
            return true;
          }
          if (step == Exchange::Next::kTimeout) return quiet_slice(sink, *idle, keepalive);
          *idle = std::chrono::milliseconds(0);
          const std::string event = "event: message\ndata: " + message + "\n\n";
          return sink.write(event.data(), event.size());
        },
        [this, session_id, stream](bool) {
          // The stream is over (client gone, expiry, shutdown): so is the session.
          stream->close();
          std::shared_ptr<McpSession> ended;
          {
            std::lock_guard lock(mu);
            const auto it = sessions.find(session_id);
            if (it == sessions.end() || it->second.stream != stream) return;
            ended = std::move(it->second.session);
            sessions.erase(it);
          }
          spdlog::info("mcp sse: session {} ended: stream closed", session_id);
          queue_close(std::move(ended), "SSE stream closed");
        });
  }

  // POST /messages?sessionId=<id> (MCP 2024-11-05 HTTP+SSE): one message for the session; the
  // answer goes to its stream.
  void handle_sse_post(const httplib::Request& req, httplib::Response& res) {
    if (!check_host_and_origin(req, res)) return;
    auto caller = authenticate(req, res);
    if (!caller) return;
    const std::string id = req.get_param_value("sessionId");
    if (id.empty()) {
      reply_rpc_error(res, 400, -32000, "Bad Request: the sessionId query parameter is required");
      return;
    }
    const auto content_types = media_types(req.get_header_value("Content-Type"));
    if (content_types.empty() || content_types.front() != kJson) {
      reply_rpc_error(res, 415, -32000, "Unsupported Media Type: Content-Type must be application/json");
      return;
    }
    if (req.has_header(kVersionHeader) &&
        !is_supported_protocol_version(req.get_header_value(kVersionHeader))) {
      reply_rpc_error(res, 400, -32000,
                      "Bad Request: unsupported MCP-Protocol-Version; supported: 2025-11-25, "
                      "2025-06-18, 2025-03-26, 2024-11-05");
      return;
    }
    std::shared_ptr<McpSession> session;
    std::shared_ptr<SseStream> stream;
    {
      std::lock_guard lock(mu);
      const auto it = sessions.find(id);
      if (it == sessions.end() || !it->second.stream || !same_principal(it->second.owner, *caller)) {
        reply_rpc_error(res, 404, -32001, "Session not found");
        return;
      }
      it->second.last_used = std::chrono::steady_clock::now();
      ++it->second.active_requests;
      session = it->second.session;
      stream = it->second.stream;
    }
    struct Release {
      Impl* impl;
      const std::string& id;
      ~Release() { impl->release_session(id); }
    } release{this, id};
    auto parsed = parse_json_text(req.body, options.max_json_depth);
    if (!parsed) {
      reply_rpc_error(res, 400, parsed.error().code, parsed.error().message);
      return;
    }
    session->handle(*parsed, stream);
    res.status = 202;
    res.set_content("Accepted", "text/plain");
  }

  // GET /metrics: Prometheus text exposition format 0.0.4.
  void handle_metrics(const httplib::Request& req, httplib::Response& res) {
    if (authenticator != nullptr) {
      if (!authenticate(req, res)) return;
    } else {
      // No credential to check: only this machine may read, and only under an allowed Host
      // (DNS rebinding).
      if (!common::is_loopback_address(req.remote_addr)) {
        reply_rpc_error(res, 403, -32000, "Forbidden: /metrics is served to loopback clients only");
        return;
      }
      if (!check_host_and_origin(req, res)) return;
    }
    const MetricsRoute& m = http.metrics;
    std::string body = m.registry->render();
    try {
      if (m.pool) {
        const db::SourceStats pool = m.pool();
        common::render_gauge(
            body, "sqlguard_db_connections",
            "Database connections in the pool: open (idle + leased) and leased.", {"state"},
            {{{"open"}, static_cast<double>(pool.open)}, {{"leased"}, static_cast<double>(pool.leased)}});
      }
      if (m.approvals_pending) {
        if (const auto pending = m.approvals_pending()) {
          common::render_gauge(body, "sqlguard_approvals_pending",
                               "Approval requests waiting for a reviewer.", {},
                               {{{}, static_cast<double>(*pending)}});
        }
      }
    } catch (const std::exception& e) {
      spdlog::error("mcp http: metrics callback threw: {}", e.what());
    }
    std::size_t streamable = 0;
    std::size_t legacy = 0;
    {
      std::lock_guard lock(mu);
      for (const auto& [id, e] : sessions) ++(e.stream ? legacy : streamable);
    }
    common::render_gauge(
        body, "sqlguard_mcp_sessions", "Live MCP sessions by transport.", {"transport"},
        {{{"streamable_http"}, static_cast<double>(streamable)}, {{"sse"}, static_cast<double>(legacy)}});
    res.status = 200;
    res.set_content(body, "text/plain; version=0.0.4; charset=utf-8");
  }

  std::size_t session_count() const {
    std::lock_guard lock(mu);
    return sessions.size();
  }

  void queue_close(std::shared_ptr<McpSession> session, std::string reason) {
    std::lock_guard lock(mu);
    to_close.emplace_back(std::move(session), std::move(reason));
    janitor_cv.notify_all();
  }

  // Closes deleted sessions off the request threads and expires idle ones.
  void janitor_loop() {
    std::unique_lock lock(mu);
    const auto period = std::clamp<std::chrono::steady_clock::duration>(
        http.session_idle_timeout / 4, std::chrono::milliseconds(50), std::chrono::seconds(30));
    while (!stopping || !to_close.empty()) {
      janitor_cv.wait_for(lock, period, [&] { return stopping || !to_close.empty(); });
      const auto now = std::chrono::steady_clock::now();
      for (auto it = sessions.begin(); it != sessions.end();) {
        const Entry& e = it->second;
        if (e.active_requests == 0 && now - e.last_used > http.session_idle_timeout &&
            e.session->calls_in_flight() == 0) {
          spdlog::info("mcp http: session {} expired after inactivity", it->first);
          if (e.stream) e.stream->close();
          to_close.emplace_back(e.session, "idle timeout");
          it = sessions.erase(it);
        } else {
          ++it;
        }
      }
      while (!to_close.empty()) {
        auto [session, reason] = std::move(to_close.front());
        to_close.pop_front();
        lock.unlock();
        abandoned += session->close(reason);
        session.reset();
        lock.lock();
      }
    }
  }
};

HttpTransport::HttpTransport(tools::ToolRegistry& tools, tools::SessionObserver* observer,
                             Authenticator* authenticator, policy::Principal anonymous, ServerOptions options,
                             HttpOptions http, HealthCheck health)
    : impl_(std::make_unique<Impl>(tools, observer, authenticator, std::move(anonymous), std::move(options),
                                   std::move(http), std::move(health))) {}

HttpTransport::~HttpTransport() { stop(); }

common::Result<int> HttpTransport::start() {
  Impl& im = *impl_;
  if (im.started) return common::fail(common::ErrorCode::kInternal, "the HTTP transport is already started");
  if (!common::is_loopback_address(im.http.bind_address) && im.authenticator == nullptr) {
    return common::fail(common::ErrorCode::kInvalidInput,
                        "refusing to listen on " + im.http.bind_address +
                            " without authentication: configure an authenticator or bind to "
                            "127.0.0.1");
  }
  const bool tls = !im.http.tls_cert_file.empty() || !im.http.tls_key_file.empty();
  if (tls) {
    if (im.http.tls_cert_file.empty() || im.http.tls_key_file.empty()) {
      return common::fail(common::ErrorCode::kInvalidInput,
                          "TLS needs both a certificate file and a key file");
    }
    im.server =
        std::make_unique<httplib::SSLServer>(im.http.tls_cert_file.c_str(), im.http.tls_key_file.c_str());
    if (!im.server->is_valid()) {
      return common::fail(
          common::ErrorCode::kUnavailable,
          "cannot load the TLS certificate " + im.http.tls_cert_file + " or key " + im.http.tls_key_file);
    }
  } else {
    im.server = std::make_unique<httplib::Server>();
  }
  auto& svr = *im.server;
  const std::size_t workers = std::max<std::size_t>(im.http.worker_threads, 2);
  svr.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  svr.set_payload_max_length(im.options.max_message_bytes);
  svr.set_keep_alive_max_count(1000);
  // httplib writes a response's headers and body in separate send()s; with Nagle's algorithm
  // the body then waits for the client's delayed ACK (~40 ms per response on Linux).
  svr.set_tcp_nodelay(true);
  svr.set_read_timeout(std::chrono::seconds(30));
  svr.set_write_timeout(std::chrono::seconds(30));
  const std::string pattern = regex_escape(im.http.path);
  svr.Post(pattern, [&im](const httplib::Request& req, httplib::Response& res) { im.handle_post(req, res); });
  svr.Delete(pattern,
             [&im](const httplib::Request& req, httplib::Response& res) { im.handle_delete(req, res); });
  svr.Options(pattern,
              [&im](const httplib::Request& req, httplib::Response& res) { im.handle_options(req, res); });
  auto not_allowed = [&im](const httplib::Request& req, httplib::Response& res) {
    if (!im.check_host_and_origin(req, res)) return;
    res.set_header("Allow", "POST, DELETE, OPTIONS");
    reply_rpc_error(res, 405, -32000, "Method Not Allowed: this server has no GET stream");
  };
  svr.Get(pattern, not_allowed);
  svr.Put(pattern, not_allowed);
  svr.Patch(pattern, not_allowed);
  svr.Get("/healthz",
          [&im](const httplib::Request& req, httplib::Response& res) { im.handle_health(req, res); });
  if (!im.http.sse_path.empty()) {
    svr.Get(regex_escape(im.http.sse_path),
            [&im](const httplib::Request& req, httplib::Response& res) { im.handle_sse_open(req, res); });
    svr.Post(regex_escape(im.http.sse_messages_path),
             [&im](const httplib::Request& req, httplib::Response& res) { im.handle_sse_post(req, res); });
  }
  if (im.http.metrics.registry != nullptr) {
    svr.Get(regex_escape(im.http.metrics.path),
            [&im](const httplib::Request& req, httplib::Response& res) { im.handle_metrics(req, res); });
  }
  for (const auto& mount : im.http.extra_routes) mount(svr);
  // Every other path (the extra routes: approvals API, console; and unknown paths) gets the same
  // Host/Origin check as /mcp before routing: DNS rebinding must not reach them either. The
  // built-in routes above check for themselves (/healthz and public documents on purpose not).
  svr.set_pre_routing_handler([&im](const httplib::Request& req, httplib::Response& res) {
    // Responses are sent uncompressed. Debian's cpp-httplib would otherwise Brotli-compress
    // every JSON response at quality 11 when the client accepts `br` (Node's fetch does), which
    // costs more per call than the whole governed call on loopback (a 1,000-row result: ~5 ms).
    // A reverse proxy in front can compress for slow links. The Request object is httplib's own,
    // non-const; only this header is removed, before any handler reads it.
    const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
    const std::string& p = req.path;
    const HttpOptions& h = im.http;
    const bool builtin = p == h.path || p == "/healthz" ||
                         (!h.sse_path.empty() && (p == h.sse_path || p == h.sse_messages_path)) ||
                         (h.metrics.registry != nullptr && p == h.metrics.path) ||
                         std::any_of(h.public_documents.begin(), h.public_documents.end(),
                                     [&p](const auto& doc) { return doc.first == p; });
    if (builtin || im.check_host_and_origin(req, res)) return httplib::Server::HandlerResponse::Unhandled;
    return httplib::Server::HandlerResponse::Handled;
  });
  for (const auto& [path, document] : im.http.public_documents) {
    const std::string body = serialize(document);
    svr.Get(regex_escape(path), [body](const httplib::Request&, httplib::Response& res) {
      res.set_header("Access-Control-Allow-Origin", "*");
      res.set_content(body, kJson);
    });
  }
  svr.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413) {
      reply_rpc_error(res, 413, -32000, "Payload Too Large: message exceeds the size limit");
    } else if (res.status == 404) {
      reply_rpc_error(res, 404, -32000, "Not Found");
    }
  });
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    reply_rpc_error(res, 500, rpc_error::kInternalError, "Internal error");
  });

  if (im.http.port == 0) {
    im.bound_port = svr.bind_to_any_port(im.http.bind_address);
    if (im.bound_port <= 0) im.bound_port = 0;
  } else if (svr.bind_to_port(im.http.bind_address, im.http.port)) {
    im.bound_port = im.http.port;
  }
  if (im.bound_port == 0) {
    return common::fail(common::ErrorCode::kUnavailable,
                        "cannot listen on " + im.http.bind_address + ":" + std::to_string(im.http.port));
  }
  im.started = true;
  im.listener = std::thread([&im] { im.server->listen_after_bind(); });
  im.janitor = std::thread([&im] { im.janitor_loop(); });
  return im.bound_port;
}

std::size_t HttpTransport::stop() {
  Impl& im = *impl_;
  if (!im.started) return im.abandoned;
  im.started = false;
  std::vector<std::shared_ptr<McpSession>> live;
  {
    std::lock_guard lock(im.mu);
    im.stopping = true;
    for (auto& [id, entry] : im.sessions) {
      live.push_back(entry.session);
      if (entry.stream) entry.stream->close();
    }
    im.sessions.clear();
  }
  // Close sessions in parallel (each waits for its calls up to the shutdown grace), so that
  // waiting request threads get their answers before the server stops.
  {
    std::vector<std::jthread> closers;
    for (auto& s : live) {
      closers.emplace_back([s, &im] { im.abandoned += s->close("server shutdown"); });
    }
  }
  live.clear();
  im.server->stop();
  if (im.listener.joinable()) im.listener.join();
  im.janitor_cv.notify_all();
  if (im.janitor.joinable()) im.janitor.join();
  return im.abandoned;
}

int HttpTransport::port() const { return impl_->bound_port; }

std::size_t HttpTransport::session_count() const { return impl_->session_count(); }

#else  // !SQLGUARD_HAVE_HTTPLIB

struct HttpTransport::Impl {};

HttpTransport::HttpTransport(tools::ToolRegistry&, tools::SessionObserver*, Authenticator*, policy::Principal,
                             ServerOptions, HttpOptions, HealthCheck)
    : impl_(std::make_unique<Impl>()) {}
HttpTransport::~HttpTransport() = default;
common::Result<int> HttpTransport::start() {
  return common::fail(common::ErrorCode::kUnavailable,
                      "sqlguard was built without cpp-httplib (link pkg-config cpp-httplib to enable HTTP)");
}
std::size_t HttpTransport::stop() { return 0; }
int HttpTransport::port() const { return 0; }
std::size_t HttpTransport::session_count() const { return 0; }

#endif  // SQLGUARD_HAVE_HTTPLIB

namespace {
volatile std::sig_atomic_t g_stop_signal = 0;  // set by the SIGINT/SIGTERM handler only
extern "C" void on_stop_signal(int signal) { g_stop_signal = signal; }
}  // namespace

int serve_http(tools::ToolRegistry& tools, tools::SessionObserver* observer, Authenticator* authenticator,
               const policy::Principal& anonymous, ServerOptions options, HttpOptions http,
               HealthCheck health) {
  const std::string where = http.bind_address + ":";
  const std::string path = http.path;
  HttpTransport transport(tools, observer, authenticator, anonymous, std::move(options), std::move(http),
                          std::move(health));
  auto port = transport.start();
  if (!port) {
    spdlog::error("mcp http: {}", port.error().message);
    return 1;
  }
  spdlog::info("mcp http: listening on http://{}{}{}", where, *port, path);
  g_stop_signal = 0;
  const auto old_int = std::signal(SIGINT, on_stop_signal);
  const auto old_term = std::signal(SIGTERM, on_stop_signal);
  while (g_stop_signal == 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  spdlog::info("mcp http: signal {} received, shutting down", static_cast<int>(g_stop_signal));
  const std::size_t abandoned = transport.stop();
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  if (abandoned > 0) {
    spdlog::warn("mcp http: {} call(s) still running at exit", abandoned);
    return 2;
  }
  return 0;
}

}  // namespace sqlguard::server
