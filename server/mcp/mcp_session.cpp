#include "server/mcp/mcp_session.h"

#include "common/random.h"
#include "common/worker_pool.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <system_error>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "server/mcp/json_rpc.h"
#include "server/mcp/server_info.h"

namespace sqlguard::server {

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 8> kLevelNames = {"debug", "info",     "notice", "warning",
                                                         "error", "critical", "alert",  "emergency"};

// Untrusted strings echoed in error messages or copied into the principal are cut to this many
// bytes so a hostile client cannot make us amplify them.
constexpr std::size_t kEchoLimit = 128;
constexpr std::size_t kClientInfoLimit = 256;

std::string clip(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  return std::string(text.substr(0, limit)) + "...";
}

// Version strings are ISO dates, so string order is release order.
bool version_at_least(const std::string& negotiated, std::string_view since) { return negotiated >= since; }

std::string string_member(const json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return clip(it->get_ref<const std::string&>(), kClientInfoLimit);
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
  for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
    if (kLevelNames[i] == name) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

std::string_view log_level_name(LogLevel level) { return kLevelNames[static_cast<std::size_t>(level)]; }

std::string default_instructions() {
  return "sqlguard gives governed access to a MySQL/MariaDB database through three tools: "
         "list_tables (the tables you may query), describe_table (the columns of one table) and "
         "run_sql (runs exactly one SQL statement per call). Every statement is checked against "
         "policy before it runs: it may be refused (the error says why and which rule), held "
         "until a human approves it, or have sensitive values masked in the result. Every call "
         "is recorded in a tamper-evident audit log. Look up tables and columns first, then "
         "send one statement at a time.";
}

const std::vector<std::string>& supported_protocol_versions() {
  static const std::vector<std::string> versions = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
  return versions;
}

bool is_supported_protocol_version(std::string_view version) {
  const auto& v = supported_protocol_versions();
  return std::find(v.begin(), v.end(), version) != v.end();
}

std::string generate_session_id() {
  auto id = common::random_hex_id("", 16);
  if (!id) throw std::runtime_error("cannot create a session id: " + id.error().message);
  return std::move(*id);
}

// State shared between the session and its tool worker threads.
struct McpSession::Shared {
  struct Call {
    std::stop_source stop;
    bool cancelled = false;  // guarded by Shared::mu
  };

  mutable std::mutex mu;
  std::condition_variable cv;
  bool initializing = false;
  bool initialized = false;
  bool client_ready = false;  // notifications/initialized received
  bool closed = false;
  bool started = false;  // observer->session_started succeeded
  bool ended = false;    // observer->session_ended called
  std::string version;
  policy::Principal principal;
  std::shared_ptr<Sink> notification_sink;
  std::map<std::string, std::shared_ptr<Call>> calls;  // keyed by serialize(id)
  std::size_t active = 0;
  std::atomic<int> log_level{static_cast<int>(LogLevel::kInfo)};
};

// The reply channel of one handle() call. Collects batch responses; calls Sink::done() once
// every request of the message has answered (pending counts them plus handle() itself).
struct McpSession::Reply {
  explicit Reply(std::shared_ptr<Sink> s) : sink(std::move(s)) {}

  void respond(json response) {
    std::unique_lock lock(mu);
    if (batch) {
      responses.push_back(std::move(response));
      return;
    }
    lock.unlock();
    sink->send(response);
  }

  void add_pending() {
    std::lock_guard lock(mu);
    ++pending;
  }

  void finish_one() {
    json batch_out;
    {
      std::lock_guard lock(mu);
      if (--pending != 0) return;
      if (batch && !responses.empty()) batch_out = std::move(responses);
    }
    if (!batch_out.is_null()) sink->send(batch_out);
    sink->done();
  }

  std::shared_ptr<Sink> sink;
  std::mutex mu;
  bool batch = false;
  json responses = json::array();
  std::size_t pending = 1;
};

McpSession::McpSession(tools::ToolRegistry& tools, tools::SessionObserver* observer,
                       policy::Principal principal, SessionInfo info, ServerOptions options)
    : tools_(tools),
      observer_(observer),
      info_(std::move(info)),
      options_(std::move(options)),
      shared_(std::make_shared<Shared>()) {
  shared_->principal = std::move(principal);
  shared_->log_level = static_cast<int>(options_.initial_log_level);
}

McpSession::~McpSession() { close("session destroyed"); }

bool McpSession::handle(const json& message, std::shared_ptr<Sink> sink) {
  auto reply = std::make_shared<Reply>(std::move(sink));
  bool responds = false;
  if (message.is_array()) {
    responds = true;
    std::string version;
    {
      std::lock_guard lock(shared_->mu);
      version = shared_->version;
    }
    if (message.empty()) {
      reply->respond(
          make_error(nullptr, rpc_error::kInvalidRequest, "Invalid Request: empty JSON-RPC batch"));
    } else if (version != "2025-03-26") {
      reply->respond(make_error(nullptr, rpc_error::kInvalidRequest,
                                "Invalid Request: JSON-RPC batches are only accepted when "
                                "protocol version 2025-03-26 was negotiated; send one message "
                                "at a time"));
    } else {
      {
        std::lock_guard lock(reply->mu);
        reply->batch = true;
      }
      bool any = false;
      for (const auto& element : message) dispatch(element, reply, true, any);
      responds = any;
    }
  } else {
    dispatch(message, reply, false, responds);
  }
  reply->finish_one();
  return responds;
}

void McpSession::dispatch(const json& message, const std::shared_ptr<Reply>& reply, bool in_batch,
                          bool& responds) {
  const Classified msg = classify_message(message);
  switch (msg.kind) {
    case MessageKind::kInvalid:
      responds = true;
      reply->respond(make_error(msg.id, rpc_error::kInvalidRequest, msg.problem));
      return;
    case MessageKind::kResponse: return;  // answers to server→client requests; this server sends none
    case MessageKind::kNotification: handle_notification(msg.method, message); return;
    case MessageKind::kRequest: break;
  }
  responds = true;
  const json& id = msg.id;
  const std::string& method = msg.method;
  try {
    {
      std::lock_guard lock(shared_->mu);
      if (shared_->closed) return;  // the transport is going away; nobody reads the answer
    }
    static const json kNoParams = json::object();
    const auto params_it = message.find("params");
    const bool has_params = params_it != message.end() && !params_it->is_null();
    if (has_params && !params_it->is_object()) {
      reply->respond(
          make_error(id, rpc_error::kInvalidParams, "Invalid params: \"params\" must be an object"));
      return;
    }
    const json& params = has_params ? *params_it : kNoParams;

    if (method == "ping") {
      reply->respond(make_result(id, json::object()));
      return;
    }
    if (method == "initialize") {
      if (in_batch) {
        reply->respond(make_error(id, rpc_error::kInvalidRequest,
                                  "Invalid Request: initialize must not be part of a batch"));
        return;
      }
      reply->respond(handle_initialize(id, params));
      return;
    }
    const bool known = method == "tools/list" || method == "tools/call" || method == "logging/setLevel";
    if (!known) {
      reply->respond(
          make_error(id, rpc_error::kMethodNotFound, "Method not found: " + clip(method, kEchoLimit)));
      return;
    }
    bool initialized = false;
    {
      std::lock_guard lock(shared_->mu);
      initialized = shared_->initialized;
    }
    if (!initialized) {
      reply->respond(make_error(id, rpc_error::kInvalidRequest,
                                "Invalid Request: the session is not initialized; send "
                                "initialize first (only ping is allowed before it)"));
      return;
    }
    if (method == "tools/list") {
      reply->respond(handle_tools_list(id, params));
    } else if (method == "logging/setLevel") {
      reply->respond(handle_set_level(id, params));
    } else {
      start_tool_call(id, params, reply);
    }
  } catch (const std::exception& e) {
    spdlog::error("mcp: internal error handling {}: {}", clip(method, kEchoLimit), e.what());
    reply->respond(make_error(id, rpc_error::kInternalError, "Internal error"));
  }
}

void McpSession::handle_notification(const std::string& method, const json& message) {
  if (method == "notifications/initialized") {
    std::lock_guard lock(shared_->mu);
    shared_->client_ready = true;
    return;
  }
  if (method != "notifications/cancelled") return;  // unknown notifications are ignored
  const auto params = message.find("params");
  if (params == message.end() || !params->is_object()) return;
  const auto request_id = params->find("requestId");
  if (request_id == params->end() || !(request_id->is_string() || request_id->is_number_integer())) {
    return;  // malformed: ignored (MCP 2025-11-25 §cancellation)
  }
  std::stop_source stop;
  {
    std::lock_guard lock(shared_->mu);
    const auto it = shared_->calls.find(serialize(*request_id));
    if (it == shared_->calls.end()) return;  // unknown or already finished
    it->second->cancelled = true;
    stop = it->second->stop;
  }
  // Outside the lock: stop callbacks registered by the tool run synchronously here.
  stop.request_stop();
  spdlog::debug("mcp: request {} cancelled by the client", serialize(*request_id));
}

json McpSession::handle_initialize(const json& id, const json& params) {
  const auto requested = params.find("protocolVersion");
  if (requested == params.end() || !requested->is_string()) {
    return make_error(id, rpc_error::kInvalidParams,
                      "Invalid params: initialize needs params.protocolVersion (string)");
  }
  const std::string& requested_version = requested->get_ref<const std::string&>();
  // MCP 2025-11-25 §lifecycle "Version Negotiation": echo a supported version, else our latest.
  const std::string version = is_supported_protocol_version(requested_version)
                                  ? requested_version
                                  : supported_protocol_versions().front();
  const json client_info = params.value("clientInfo", json::object());
  {
    std::lock_guard lock(shared_->mu);
    if (shared_->initialized || shared_->initializing) {
      return make_error(id, rpc_error::kInvalidRequest,
                        "Invalid Request: the session is already initialized");
    }
    shared_->initializing = true;
    shared_->principal.client_name = string_member(client_info, "name");
    shared_->principal.client_version = string_member(client_info, "version");
  }
  // Record the session start before answering, so that it precedes every call in the audit
  // log; if it cannot be recorded, fail closed.
  if (observer_ != nullptr) {
    try {
      observer_->session_started(make_context());
    } catch (const std::exception& e) {
      spdlog::error("mcp: session_started failed: {}", e.what());
      std::lock_guard lock(shared_->mu);
      shared_->initializing = false;
      return make_error(id, rpc_error::kInternalError,
                        "Internal error: the session start could not be recorded");
    }
  }
  {
    std::lock_guard lock(shared_->mu);
    shared_->initializing = false;
    shared_->initialized = true;
    shared_->started = observer_ != nullptr;
    shared_->version = version;
  }
  if (requested_version != version) {
    spdlog::info("mcp: client asked for protocol {}, answering {}", clip(requested_version, kEchoLimit),
                 version);
  }
  json result = {
      {"protocolVersion", version},
      {"capabilities", {{"tools", {{"listChanged", false}}}, {"logging", json::object()}}},
      {"serverInfo", {{"name", std::string(server_name())}, {"version", std::string(server_version())}}},
      {"instructions", options_.instructions.empty() ? default_instructions() : options_.instructions},
  };
  return make_result(id, std::move(result));
}

json McpSession::handle_set_level(const json& id, const json& params) {
  const auto level_it = params.find("level");
  std::optional<LogLevel> level;
  if (level_it != params.end() && level_it->is_string()) {
    level = parse_log_level(level_it->get_ref<const std::string&>());
  }
  if (!level) {
    return make_error(id, rpc_error::kInvalidParams,
                      "Invalid params: params.level must be one of debug, info, notice, "
                      "warning, error, critical, alert, emergency");
  }
  shared_->log_level = static_cast<int>(*level);
  return make_result(id, json::object());
}

json McpSession::handle_tools_list(const json& id, const json& params) {
  const auto cursor = params.find("cursor");
  if (cursor != params.end() && !cursor->is_null()) {
    // All tools fit in one page, so no cursor was ever issued (MCP 2025-11-25 §pagination).
    return make_error(id, rpc_error::kInvalidParams, "Invalid params: unknown cursor");
  }
  const std::string version = protocol_version();
  json list = json::array();
  for (const auto& tool : tools_.tools()) {
    json definition = tool->definition();
    if (definition.is_object()) {
      // Fields newer than the negotiated revision are left out (reference/mcp.md §1.3).
      if (!version_at_least(version, "2025-06-18")) {
        definition.erase("outputSchema");
        definition.erase("title");
      }
      if (!version_at_least(version, "2025-11-25")) {
        definition.erase("icons");
        definition.erase("execution");
      }
      if (!version_at_least(version, "2025-03-26")) definition.erase("annotations");
    }
    list.push_back(std::move(definition));
  }
  return make_result(id, json{{"tools", std::move(list)}});
}

void McpSession::start_tool_call(const json& id, const json& params, const std::shared_ptr<Reply>& reply) {
  const auto name_it = params.find("name");
  if (name_it == params.end() || !name_it->is_string()) {
    reply->respond(
        make_error(id, rpc_error::kInvalidParams, "Invalid params: tools/call needs params.name (string)"));
    return;
  }
  const std::string& name = name_it->get_ref<const std::string&>();
  tools::Tool* tool = tools_.find(name);
  if (tool == nullptr) {
    reply->respond(make_error(id, rpc_error::kInvalidParams, "Unknown tool: " + clip(name, kEchoLimit)));
    return;
  }
  const auto args_it = params.find("arguments");
  json arguments = args_it == params.end() ? json(nullptr) : *args_it;

  json progress_token;
  const auto meta = params.find("_meta");
  if (meta != params.end() && meta->is_object()) {
    const auto token = meta->find("progressToken");
    if (token != meta->end() && (token->is_string() || token->is_number_integer())) {
      progress_token = *token;
    }
  }

  const std::string key = serialize(id);
  auto call = std::make_shared<Shared::Call>();
  std::string version;
  {
    std::lock_guard lock(shared_->mu);
    if (shared_->closed) return;
    if (shared_->calls.contains(key)) {
      reply->respond(make_error(
          id, rpc_error::kInvalidRequest,
          "Invalid Request: request id " + clip(key, kEchoLimit) + " is already used by a running call"));
      return;
    }
    if (shared_->active >= options_.max_concurrent_calls) {
      reply->respond(make_result(id, tools::ToolResult::error("too many concurrent calls (limit " +
                                                              std::to_string(options_.max_concurrent_calls) +
                                                              "); retry when a running call has finished")
                                         .to_json()));
      return;
    }
    shared_->calls.emplace(key, call);
    ++shared_->active;
    version = shared_->version;
  }

  tools::CallContext context = make_context();
  context.request_id = key;
  context.cancel = call->stop.get_token();

  // Progress: only when the client sent a token; strictly increasing; never after the result.
  struct ProgressState {
    std::mutex mu;
    bool finished = false;
    double last = -std::numeric_limits<double>::infinity();
  };
  auto progress_state = std::make_shared<ProgressState>();
  if (progress_token.is_null()) {
    context.progress = [](double, double, std::string_view) {};
  } else {
    const bool with_message = version_at_least(version, "2025-03-26");
    context.progress = [sink = reply->sink, token = progress_token, progress_state, with_message,
                        stop = call->stop.get_token()](double progress, double total,
                                                       std::string_view message) {
      std::lock_guard lock(progress_state->mu);
      if (progress_state->finished || stop.stop_requested()) return;
      if (!(progress > progress_state->last)) return;  // also drops NaN
      progress_state->last = progress;
      json p = {{"progressToken", token}, {"progress", progress}};
      if (total > 0) p["total"] = total;
      if (with_message && !message.empty()) p["message"] = std::string(message);
      sink->send(make_notification("notifications/progress", std::move(p)));
    };
  }

  const bool structured_ok = version_at_least(version, "2025-06-18");
  reply->add_pending();
  // On a pooled worker (common/worker_pool.h): no thread is created per call in steady state.
  const bool started = common::WorkerPool::shared().submit(
      [shared = shared_, tool, arguments = std::move(arguments), context = std::move(context), reply, id, key,
       call, progress_state, structured_ok]() mutable {
        tools::ToolResult result;
        try {
          result = tool->call(arguments, context);
        } catch (const std::exception& e) {
          spdlog::error("mcp: tool {} threw: {}", tool->name(), e.what());
          result = tools::ToolResult::error("internal error while running the tool");
        } catch (...) {
          spdlog::error("mcp: tool {} threw a non-standard exception", tool->name());
          result = tools::ToolResult::error("internal error while running the tool");
        }
        {
          std::lock_guard lock(progress_state->mu);
          progress_state->finished = true;
        }
        bool cancelled = false;
        {
          std::lock_guard lock(shared->mu);
          cancelled = call->cancelled;
          const auto it = shared->calls.find(key);
          if (it != shared->calls.end() && it->second == call) shared->calls.erase(it);
        }
        if (!cancelled) {
          json body = result.to_json();
          if (!structured_ok) body.erase("structuredContent");
          reply->respond(make_result(id, std::move(body)));
        }
        reply->finish_one();
        {
          std::lock_guard lock(shared->mu);
          --shared->active;
        }
        shared->cv.notify_all();
      });
  if (!started) {
    spdlog::error("mcp: no worker thread for the call (every worker is busy or none can be created)");
    {
      std::lock_guard lock(shared_->mu);
      shared_->calls.erase(key);
      --shared_->active;
    }
    reply->respond(make_result(
        id, tools::ToolResult::error("the server cannot start the call right now; retry later").to_json()));
    reply->finish_one();
  }
}

tools::CallContext McpSession::make_context() const {
  tools::CallContext context;
  {
    std::lock_guard lock(shared_->mu);
    context.principal = shared_->principal;
  }
  context.session_id = info_.session_id;
  context.transport = info_.transport;
  context.remote_address = info_.remote_address;
  context.progress = [](double, double, std::string_view) {};
  return context;
}

void McpSession::set_notification_sink(std::shared_ptr<Sink> sink) {
  std::lock_guard lock(shared_->mu);
  shared_->notification_sink = std::move(sink);
}

void McpSession::log(LogLevel level, std::string_view logger, const json& data) {
  if (static_cast<int>(level) < shared_->log_level.load()) return;
  std::shared_ptr<Sink> sink;
  {
    std::lock_guard lock(shared_->mu);
    sink = shared_->notification_sink;
  }
  if (!sink) return;
  json params = {{"level", std::string(log_level_name(level))}, {"data", data}};
  if (!logger.empty()) params["logger"] = std::string(logger);
  sink->send(make_notification("notifications/message", std::move(params)));
}

std::size_t McpSession::close(std::string_view reason) {
  std::size_t leftover = 0;
  bool report_end = false;
  {
    std::unique_lock lock(shared_->mu);
    if (shared_->ended) return shared_->active;
    shared_->closed = true;
    shared_->cv.wait_for(lock, options_.shutdown_grace, [&] { return shared_->active == 0; });
    if (shared_->active > 0) {
      std::vector<std::stop_source> stops;
      for (auto& [key, call] : shared_->calls) {
        call->cancelled = true;
        stops.push_back(call->stop);
      }
      spdlog::warn("mcp: cancelling {} call(s) still running at session end", shared_->active);
      lock.unlock();
      for (auto& stop : stops) stop.request_stop();
      lock.lock();
      shared_->cv.wait_for(lock, options_.cancel_grace, [&] { return shared_->active == 0; });
    }
    leftover = shared_->active;
    if (leftover > 0) {
      spdlog::warn("mcp: {} call(s) did not stop in time; their results are dropped", leftover);
    }
    report_end = shared_->started && !shared_->ended;
    shared_->ended = true;
  }
  if (report_end) {
    try {
      observer_->session_ended(make_context(), reason);
    } catch (const std::exception& e) {
      spdlog::error("mcp: session_ended failed: {}", e.what());
    }
  }
  return leftover;
}

bool McpSession::initialized() const {
  std::lock_guard lock(shared_->mu);
  return shared_->initialized;
}

std::string McpSession::protocol_version() const {
  std::lock_guard lock(shared_->mu);
  return shared_->version;
}

std::size_t McpSession::calls_in_flight() const {
  std::lock_guard lock(shared_->mu);
  return shared_->active;
}

}  // namespace sqlguard::server
