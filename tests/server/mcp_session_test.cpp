// McpSession with fake tools and a capturing Sink: lifecycle, negotiation, dispatch, errors,
// ids, cancellation, progress, logging, batches, concurrency bound, observer.
#include "server/mcp/mcp_session.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "server/mcp/json_rpc.h"
#include "server/mcp/server_info.h"

namespace sqlguard::server {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class CapturingSink : public Sink {
 public:
  void send(const json& message) override {
    std::lock_guard lock(mu_);
    messages_.push_back(message);
    cv_.notify_all();
  }
  void done() override {
    std::lock_guard lock(mu_);
    ++done_;
    cv_.notify_all();
  }
  std::vector<json> messages() const {
    std::lock_guard lock(mu_);
    return messages_;
  }
  int done_count() const {
    std::lock_guard lock(mu_);
    return done_;
  }
  bool wait_done(int count, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return done_ >= count; });
  }
  bool wait_messages(std::size_t count, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return messages_.size() >= count; });
  }
  void clear() {
    std::lock_guard lock(mu_);
    messages_.clear();
    done_ = 0;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<json> messages_;
  int done_ = 0;
};

// Echoes its arguments and the caller's identity.
class EchoTool : public tools::Tool {
 public:
  std::string_view name() const override { return "echo"; }
  json definition() const override {
    return {{"name", "echo"},
            {"title", "Echo"},
            {"description", "Echoes its arguments"},
            {"inputSchema", {{"type", "object"}, {"properties", json::object()}}},
            {"outputSchema", {{"type", "object"}, {"properties", json::object()}}},
            {"annotations", {{"readOnlyHint", true}}}};
  }
  tools::ToolResult call(const json& arguments, const tools::CallContext& context) override {
    tools::ToolResult r;
    json s = {{"arguments", arguments},
              {"client_name", context.principal.client_name},
              {"client_version", context.principal.client_version},
              {"subject", context.principal.subject},
              {"session_id", context.session_id},
              {"request_id", context.request_id},
              {"transport", context.transport}};
    r.structured = s;
    r.content = json::array({{{"type", "text"}, {"text", s.dump()}}});
    return r;
  }
};

// Blocks until released or cancelled; reports progress 1, 1 (dropped: not increasing), 2.
class SlowTool : public tools::Tool {
 public:
  std::string_view name() const override { return "slow"; }
  json definition() const override {
    return {{"name", "slow"},
            {"description", "Waits"},
            {"inputSchema", {{"type", "object"}, {"properties", json::object()}}}};
  }
  tools::ToolResult call(const json&, const tools::CallContext& context) override {
    context.progress(1, 10, "one");
    context.progress(1, 10, "one again");
    context.progress(2, 0, "");
    {
      std::lock_guard lock(mu_);
      ++started_;
    }
    cv_.notify_all();
    std::stop_callback wake(context.cancel, [this] {
      std::lock_guard l(mu_);
      cv_.notify_all();
    });
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return released_ || context.cancel.stop_requested(); });
    if (context.cancel.stop_requested()) {
      ++cancelled_;
      return tools::ToolResult::error("cancelled");
    }
    return tools::ToolResult::error("released");
  }
  void release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  bool wait_started(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 5s, [&] { return started_ >= n; });
  }
  int cancelled() {
    std::lock_guard lock(mu_);
    return cancelled_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  int started_ = 0;
  int cancelled_ = 0;
};

class ThrowingTool : public tools::Tool {
 public:
  std::string_view name() const override { return "throws"; }
  json definition() const override {
    return {{"name", "throws"},
            {"description", "Throws"},
            {"inputSchema", {{"type", "object"}, {"properties", json::object()}}}};
  }
  tools::ToolResult call(const json&, const tools::CallContext&) override {
    throw std::runtime_error("secret detail");
  }
};

class RecordingObserver : public tools::SessionObserver {
 public:
  void session_started(const tools::CallContext& context) override {
    std::lock_guard lock(mu);
    if (fail_start) throw std::runtime_error("audit down");
    started.push_back(context);
  }
  void session_ended(const tools::CallContext& context, std::string_view reason) override {
    std::lock_guard lock(mu);
    ended.push_back(context);
    reasons.emplace_back(reason);
  }
  std::mutex mu;
  bool fail_start = false;
  std::vector<tools::CallContext> started;
  std::vector<tools::CallContext> ended;
  std::vector<std::string> reasons;
};

json request(const json& id, const std::string& method, json params = nullptr) {
  json r = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) r["params"] = std::move(params);
  return r;
}

json notification(const std::string& method, json params = nullptr) {
  json r = {{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) r["params"] = std::move(params);
  return r;
}

json init_params(const std::string& version = "2025-11-25") {
  return {{"protocolVersion", version},
          {"capabilities", json::object()},
          {"clientInfo", {{"name", "test-client"}, {"version", "9.9"}}}};
}

class McpSessionTest : public ::testing::Test {
 protected:
  McpSessionTest() {
    auto slow = std::make_unique<SlowTool>();
    slow_ = slow.get();
    registry_.add(std::make_unique<EchoTool>());
    registry_.add(std::move(slow));
    registry_.add(std::make_unique<ThrowingTool>());
    principal_.subject = "alice";
    principal_.auth_method = "config";
  }

  std::unique_ptr<McpSession> make_session(ServerOptions options = {}) {
    options.shutdown_grace = 2s;
    options.cancel_grace = 2s;
    return std::make_unique<McpSession>(registry_, &observer_, principal_, SessionInfo{"sess-1", "stdio", ""},
                                        options);
  }

  // Sends one message and returns what the sink received once done() was called.
  std::vector<json> exchange(McpSession& session, const json& message, bool* responds = nullptr) {
    auto sink = std::make_shared<CapturingSink>();
    const bool r = session.handle(message, sink);
    if (responds) *responds = r;
    EXPECT_TRUE(sink->wait_done(1));
    EXPECT_EQ(sink->done_count(), 1);
    return sink->messages();
  }

  json call_one(McpSession& session, const json& message) {
    auto out = exchange(session, message);
    EXPECT_EQ(out.size(), 1u) << json(out).dump();
    return out.empty() ? json() : out[0];
  }

  void initialize(McpSession& session, const std::string& version = "2025-11-25") {
    auto r = call_one(session, request(0, "initialize", init_params(version)));
    ASSERT_TRUE(r.contains("result")) << r.dump();
    exchange(session, notification("notifications/initialized"));
  }

  tools::ToolRegistry registry_;
  SlowTool* slow_ = nullptr;
  RecordingObserver observer_;
  policy::Principal principal_;
};

TEST_F(McpSessionTest, InitializeAnswersCapabilitiesServerInfoAndInstructions) {
  auto session = make_session();
  auto r = call_one(*session, request(0, "initialize", init_params()));
  EXPECT_EQ(r["jsonrpc"], "2.0");
  ASSERT_TRUE(r["id"].is_number_integer());
  EXPECT_EQ(r["id"], 0);
  const json& result = r["result"];
  EXPECT_EQ(result["protocolVersion"], "2025-11-25");
  EXPECT_EQ(result["capabilities"], json::parse(R"({"tools":{"listChanged":false},"logging":{}})"));
  EXPECT_EQ(result["serverInfo"]["name"], std::string(server_name()));
  EXPECT_EQ(result["serverInfo"]["version"], std::string(server_version()));
  const std::string instructions = result["instructions"];
  EXPECT_NE(instructions.find("run_sql"), std::string::npos);
  EXPECT_NE(instructions.find("audit"), std::string::npos);
  EXPECT_TRUE(session->initialized());
}

TEST_F(McpSessionTest, NegotiatesEverySupportedVersionAndFallsBackToLatest) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"2025-11-25", "2025-11-25"}, {"2025-06-18", "2025-06-18"}, {"2025-03-26", "2025-03-26"},
      {"2024-11-05", "2024-11-05"}, {"2026-07-28", "2025-11-25"}, {"1999-01-01", "2025-11-25"},
      {"garbage", "2025-11-25"}};
  for (const auto& [asked, answered] : cases) {
    auto session = make_session();
    auto r = call_one(*session, request(1, "initialize", init_params(asked)));
    EXPECT_EQ(r["result"]["protocolVersion"], answered) << asked;
    EXPECT_EQ(session->protocol_version(), answered);
  }
}

TEST_F(McpSessionTest, InitializeWithoutProtocolVersionIsInvalidParams) {
  auto session = make_session();
  auto r = call_one(*session, request(1, "initialize", json::object()));
  EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidParams);
  r = call_one(*session, request(2, "initialize"));
  EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidParams);
  EXPECT_FALSE(session->initialized());
}

TEST_F(McpSessionTest, SecondInitializeIsInvalidRequest) {
  auto session = make_session();
  initialize(*session);
  auto r = call_one(*session, request(5, "initialize", init_params()));
  EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidRequest);
  EXPECT_EQ(r["id"], 5);
}

TEST_F(McpSessionTest, PingWorksBeforeAndAfterInitialize) {
  auto session = make_session();
  auto r = call_one(*session, request("p1", "ping"));
  EXPECT_EQ(r, json::parse(R"({"jsonrpc":"2.0","id":"p1","result":{}})"));
  initialize(*session);
  r = call_one(*session, request("p2", "ping"));
  EXPECT_TRUE(r["result"].is_object());
  EXPECT_TRUE(r["result"].empty());
}

TEST_F(McpSessionTest, RequestsBeforeInitializeAreRejectedButUnknownMethodsAre32601) {
  auto session = make_session();
  auto r = call_one(*session, request(1, "tools/list"));
  EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidRequest);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("initialize"), std::string::npos);
  r = call_one(*session, request(2, "tools/call", {{"name", "echo"}}));
  EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidRequest);
  r = call_one(*session, request(3, "server/discover"));
  EXPECT_EQ(r["error"]["code"], rpc_error::kMethodNotFound);
  r = call_one(*session, request(4, "resources/list"));
  EXPECT_EQ(r["error"]["code"], rpc_error::kMethodNotFound);
}

TEST_F(McpSessionTest, UnknownMethodAfterInitializeIs32601) {
  auto session = make_session();
  initialize(*session);
  auto r = call_one(*session, request(7, "prompts/list"));
  EXPECT_EQ(r["error"]["code"], rpc_error::kMethodNotFound);
  EXPECT_EQ(r["id"], 7);
}

TEST_F(McpSessionTest, NotificationsAndClientResponsesGetNoReply) {
  auto session = make_session();
  bool responds = true;
  EXPECT_TRUE(exchange(*session, notification("notifications/initialized"), &responds).empty());
  EXPECT_FALSE(responds);
  EXPECT_TRUE(exchange(*session, notification("notifications/roots/list_changed"), &responds).empty());
  EXPECT_TRUE(exchange(*session, notification("unknown/thing", {{"x", 1}}), &responds).empty());
  EXPECT_TRUE(
      exchange(*session, notification("notifications/cancelled", {{"requestId", 99}}), &responds).empty());
  EXPECT_TRUE(exchange(*session, json::parse(R"({"jsonrpc":"2.0","id":3,"result":{}})"), &responds).empty());
  EXPECT_FALSE(responds);
  EXPECT_TRUE(exchange(*session, json::parse(R"({"jsonrpc":"2.0","id":4,"error":{"code":1,"message":"x"}})"),
                       &responds)
                  .empty());
}

TEST_F(McpSessionTest, InvalidRequestsGet32600) {
  auto session = make_session();
  struct Case {
    const char* text;
    json expected_id;
  };
  const std::vector<Case> cases = {
      {R"({"id":1,"method":"ping"})", 1},                      // no jsonrpc
      {R"({"jsonrpc":"1.0","id":"a","method":"ping"})", "a"},  // wrong version
      {R"({"jsonrpc":"2.0","id":null,"method":"ping"})", nullptr},
      {R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})", nullptr},
      {R"({"jsonrpc":"2.0","id":{"a":1},"method":"ping"})", nullptr},
      {R"({"jsonrpc":"2.0","id":1,"method":5})", 1},
      {R"({"jsonrpc":"2.0","id":1})", 1},
      {R"(42)", nullptr},
      {R"("ping")", nullptr},
      {R"({"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"ping"})", nullptr},
  };
  for (const auto& c : cases) {
    auto r = call_one(*session, json::parse(c.text));
    EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidRequest) << c.text;
    EXPECT_EQ(r["id"], c.expected_id) << c.text;
  }
}

TEST_F(McpSessionTest, IdsAreEchoedExactly) {
  auto session = make_session();
  const std::vector<std::string> ids = {"0",
                                        "-1",
                                        "\"0\"",
                                        "\"\"",
                                        "18446744073709551615",
                                        "-9223372036854775808",
                                        "\"ünïcødé\"",
                                        "9007199254740993"};
  for (const auto& text : ids) {
    json id = json::parse(text);
    auto r = call_one(*session, request(id, "ping"));
    EXPECT_EQ(serialize(r["id"]), text);
  }
}

TEST_F(McpSessionTest, ParamsMustBeAnObject) {
  auto session = make_session();
  initialize(*session);
  auto r = call_one(*session, json::parse(R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":[1]})"));
  EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidParams);
}

TEST_F(McpSessionTest, ToolsListReturnsDefinitionsGatedByVersion) {
  auto session = make_session();
  initialize(*session);
  auto r = call_one(*session, request(2, "tools/list"));
  const json& tools = r["result"]["tools"];
  ASSERT_EQ(tools.size(), 3u);
  EXPECT_EQ(tools[0]["name"], "echo");
  EXPECT_TRUE(tools[0].contains("outputSchema"));
  EXPECT_TRUE(tools[0].contains("annotations"));
  EXPECT_FALSE(r["result"].contains("nextCursor"));

  auto old = make_session();
  initialize(*old, "2024-11-05");
  r = call_one(*old, request(2, "tools/list"));
  EXPECT_FALSE(r["result"]["tools"][0].contains("outputSchema"));
  EXPECT_FALSE(r["result"]["tools"][0].contains("annotations"));
  EXPECT_FALSE(r["result"]["tools"][0].contains("title"));

  r = call_one(*session, request(3, "tools/list", {{"cursor", "abc"}}));
  EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidParams);
}

TEST_F(McpSessionTest, ToolsCallRunsTheToolWithTheSessionsPrincipal) {
  auto session = make_session();
  initialize(*session);
  auto r = call_one(*session, request("c1", "tools/call", {{"name", "echo"}, {"arguments", {{"x", 1}}}}));
  ASSERT_TRUE(r.contains("result")) << r.dump();
  const json& s = r["result"]["structuredContent"];
  EXPECT_EQ(s["arguments"], json({{"x", 1}}));
  EXPECT_EQ(s["client_name"], "test-client");
  EXPECT_EQ(s["client_version"], "9.9");
  EXPECT_EQ(s["subject"], "alice");
  EXPECT_EQ(s["session_id"], "sess-1");
  EXPECT_EQ(s["request_id"], "\"c1\"");
  EXPECT_EQ(s["transport"], "stdio");
  EXPECT_FALSE(r["result"].contains("isError"));
  EXPECT_EQ(r["result"]["content"][0]["type"], "text");
}

TEST_F(McpSessionTest, ToolsCallWithoutArgumentsPassesNull) {
  auto session = make_session();
  initialize(*session);
  auto r = call_one(*session, request(1, "tools/call", {{"name", "echo"}}));
  EXPECT_TRUE(r["result"]["structuredContent"]["arguments"].is_null());
}

TEST_F(McpSessionTest, StructuredContentIsOmittedBefore20250618) {
  auto session = make_session();
  initialize(*session, "2025-03-26");
  auto r = call_one(*session, request(1, "tools/call", {{"name", "echo"}}));
  EXPECT_FALSE(r["result"].contains("structuredContent"));
  EXPECT_FALSE(r["result"]["content"].empty());
}

TEST_F(McpSessionTest, ToolsCallErrors) {
  auto session = make_session();
  initialize(*session);
  auto r = call_one(*session, request(1, "tools/call", {{"name", "nope"}}));
  EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidParams);
  EXPECT_EQ(r["error"]["message"], "Unknown tool: nope");
  r = call_one(*session, request(2, "tools/call", json::object()));
  EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidParams);
  r = call_one(*session, request(3, "tools/call", {{"name", 7}}));
  EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidParams);
  r = call_one(*session, request(4, "tools/call", {{"name", std::string(10000, 'x')}}));
  EXPECT_LT(r["error"]["message"].get<std::string>().size(), 200u);
}

TEST_F(McpSessionTest, ThrowingToolBecomesIsErrorWithoutDetails) {
  auto session = make_session();
  initialize(*session);
  auto r = call_one(*session, request(1, "tools/call", {{"name", "throws"}}));
  EXPECT_EQ(r["result"]["isError"], true);
  EXPECT_EQ(r["result"]["content"][0]["text"].get<std::string>().find("secret"), std::string::npos);
}

TEST_F(McpSessionTest, CancellationStopsTheCallAndSuppressesTheResponse) {
  auto session = make_session();
  initialize(*session);
  auto sink = std::make_shared<CapturingSink>();
  EXPECT_TRUE(session->handle(request("slow-1", "tools/call", {{"name", "slow"}}), sink));
  ASSERT_TRUE(slow_->wait_started(1));
  EXPECT_EQ(session->calls_in_flight(), 1u);
  // Cancelling another id, or with a different id type, does nothing.
  exchange(*session, notification("notifications/cancelled", {{"requestId", "slow-2"}}));
  exchange(*session, notification("notifications/cancelled", {{"requestId", 1}}));
  EXPECT_EQ(slow_->cancelled(), 0);
  exchange(*session, notification("notifications/cancelled", {{"requestId", "slow-1"}, {"reason", "user"}}));
  ASSERT_TRUE(sink->wait_done(1));
  EXPECT_EQ(slow_->cancelled(), 1);
  EXPECT_TRUE(sink->messages().empty());  // no response, no progress (no token)
  for (int i = 0; i < 100 && session->calls_in_flight() != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(session->calls_in_flight(), 0u);
}

TEST_F(McpSessionTest, ProgressNotificationsEchoTheTokenAndIncrease) {
  for (const json& token : {json("tok"), json(42)}) {
    auto session = make_session();
    initialize(*session);
    auto sink = std::make_shared<CapturingSink>();
    session->handle(request(9, "tools/call", {{"name", "slow"}, {"_meta", {{"progressToken", token}}}}),
                    sink);
    slow_->release();
    ASSERT_TRUE(sink->wait_done(1));
    auto messages = sink->messages();
    ASSERT_EQ(messages.size(), 3u) << json(messages).dump();
    EXPECT_EQ(messages[0]["method"], "notifications/progress");
    EXPECT_EQ(messages[0]["params"]["progressToken"], token);
    EXPECT_EQ(messages[0]["params"]["progress"], 1);
    EXPECT_EQ(messages[0]["params"]["total"], 10);
    EXPECT_EQ(messages[0]["params"]["message"], "one");
    EXPECT_EQ(messages[1]["params"]["progress"], 2);
    EXPECT_FALSE(messages[1]["params"].contains("total"));
    EXPECT_FALSE(messages[1]["params"].contains("message"));
    EXPECT_EQ(messages[2]["id"], 9);
    EXPECT_TRUE(messages[2].contains("result"));
  }
}

TEST_F(McpSessionTest, ConcurrencyBoundGivesToolError) {
  ServerOptions options;
  options.max_concurrent_calls = 2;
  auto session = make_session(options);
  initialize(*session);
  auto sink = std::make_shared<CapturingSink>();
  session->handle(request(1, "tools/call", {{"name", "slow"}}), sink);
  session->handle(request(2, "tools/call", {{"name", "slow"}}), sink);
  ASSERT_TRUE(slow_->wait_started(2));
  auto r = call_one(*session, request(3, "tools/call", {{"name", "echo"}}));
  EXPECT_EQ(r["result"]["isError"], true);
  EXPECT_NE(r["result"]["content"][0]["text"].get<std::string>().find("too many concurrent calls"),
            std::string::npos);
  slow_->release();
  ASSERT_TRUE(sink->wait_done(2));
  r = call_one(*session, request(4, "tools/call", {{"name", "echo"}}));
  EXPECT_FALSE(r["result"].contains("isError"));
}

TEST_F(McpSessionTest, DuplicateInFlightIdIsRejected) {
  auto session = make_session();
  initialize(*session);
  auto sink = std::make_shared<CapturingSink>();
  session->handle(request(1, "tools/call", {{"name", "slow"}}), sink);
  ASSERT_TRUE(slow_->wait_started(1));
  auto r = call_one(*session, request(1, "tools/call", {{"name", "echo"}}));
  EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidRequest);
  slow_->release();
  ASSERT_TRUE(sink->wait_done(1));
}

TEST_F(McpSessionTest, LoggingSetLevelAndFiltering) {
  auto session = make_session();
  auto notes = std::make_shared<CapturingSink>();
  session->set_notification_sink(notes);
  initialize(*session);
  auto r = call_one(*session, request(1, "logging/setLevel", {{"level", "warning"}}));
  EXPECT_EQ(r["result"], json::object());
  session->log(LogLevel::kInfo, "db", "dropped");
  session->log(LogLevel::kError, "db", {{"what", "kept"}});
  auto m = notes->messages();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], json::parse(R"({"jsonrpc":"2.0","method":"notifications/message",
      "params":{"level":"error","logger":"db","data":{"what":"kept"}}})"));
  r = call_one(*session, request(2, "logging/setLevel", {{"level", "verbose"}}));
  EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidParams);
  r = call_one(*session, request(3, "logging/setLevel"));
  EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidParams);
  r = call_one(*session, request(4, "logging/setLevel", {{"level", "debug"}}));
  session->log(LogLevel::kDebug, "", "now kept");
  m = notes->messages();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_FALSE(m[1]["params"].contains("logger"));
}

TEST_F(McpSessionTest, BatchesOnlyWith20250326) {
  auto session = make_session();
  initialize(*session);
  auto r = call_one(*session, json::array({request(1, "ping"), request(2, "ping")}));
  EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidRequest);
  EXPECT_TRUE(r["id"].is_null());

  auto before_init = make_session();
  r = call_one(*before_init, json::array({request(1, "ping")}));
  EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidRequest);

  auto batching = make_session();
  initialize(*batching, "2025-03-26");
  r = call_one(*batching, json::array());
  EXPECT_EQ(r["error"]["code"], rpc_error::kInvalidRequest);
  auto out = exchange(*batching, json::array({request(1, "ping"), notification("notifications/whatever"),
                                              request(2, "tools/call", {{"name", "echo"}}), 5,
                                              request(3, "initialize", init_params())}));
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].is_array()) << out[0].dump();
  ASSERT_EQ(out[0].size(), 4u);
  std::map<std::string, json> by_id;
  for (const auto& m : out[0]) by_id[m["id"].dump()] = m;
  EXPECT_TRUE(by_id["1"].contains("result"));
  EXPECT_TRUE(by_id["2"]["result"].contains("content"));
  EXPECT_EQ(by_id["3"]["error"]["code"], rpc_error::kInvalidRequest);
  EXPECT_EQ(by_id["null"]["error"]["code"], rpc_error::kInvalidRequest);

  bool responds = true;
  out = exchange(*batching, json::array({notification("a"), notification("b")}), &responds);
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(responds);
}

TEST_F(McpSessionTest, ObserverSeesStartWithClientInfoAndEndOnClose) {
  auto session = make_session();
  initialize(*session);
  ASSERT_EQ(observer_.started.size(), 1u);
  EXPECT_EQ(observer_.started[0].principal.client_name, "test-client");
  EXPECT_EQ(observer_.started[0].principal.subject, "alice");
  EXPECT_EQ(observer_.started[0].session_id, "sess-1");
  EXPECT_EQ(session->close("stdin closed"), 0u);
  ASSERT_EQ(observer_.ended.size(), 1u);
  EXPECT_EQ(observer_.reasons[0], "stdin closed");
  session->close("again");
  session.reset();
  EXPECT_EQ(observer_.ended.size(), 1u);
}

TEST_F(McpSessionTest, NoSessionEndedWithoutStart) {
  auto session = make_session();
  session->close("eof");
  EXPECT_TRUE(observer_.ended.empty());
}

TEST_F(McpSessionTest, ObserverFailureFailsInitializeClosed) {
  observer_.fail_start = true;
  auto session = make_session();
  auto r = call_one(*session, request(1, "initialize", init_params()));
  EXPECT_EQ(r["error"]["code"], rpc_error::kInternalError);
  EXPECT_FALSE(session->initialized());
  observer_.fail_start = false;
  r = call_one(*session, request(2, "initialize", init_params()));
  EXPECT_TRUE(r.contains("result"));
}

TEST_F(McpSessionTest, CloseWaitsForInFlightCallsThenCancels) {
  auto session = std::make_unique<McpSession>(registry_, &observer_, principal_,
                                              SessionInfo{"s", "stdio", ""}, ServerOptions{});
  initialize(*session);
  auto sink = std::make_shared<CapturingSink>();
  session->handle(request(1, "tools/call", {{"name", "slow"}}), sink);
  ASSERT_TRUE(slow_->wait_started(1));
  std::thread releaser([&] {
    std::this_thread::sleep_for(100ms);
    slow_->release();
  });
  EXPECT_EQ(session->close("eof"), 0u);
  releaser.join();
  ASSERT_TRUE(sink->wait_done(1));
  EXPECT_EQ(sink->messages().size(), 1u);  // the response was delivered before close returned
}

TEST_F(McpSessionTest, CloseCancelsStragglersAfterGrace) {
  ServerOptions options;
  options.shutdown_grace = 50ms;
  options.cancel_grace = 2s;
  McpSession session(registry_, &observer_, principal_, SessionInfo{"s", "stdio", ""}, options);
  initialize(session);
  auto sink = std::make_shared<CapturingSink>();
  session.handle(request(1, "tools/call", {{"name", "slow"}}), sink);
  ASSERT_TRUE(slow_->wait_started(1));
  EXPECT_EQ(session.close("eof"), 0u);
  EXPECT_EQ(slow_->cancelled(), 1);
  EXPECT_TRUE(sink->messages().empty());
}

TEST(JsonRpcTest, ParseRejectsDeepNestingInvalidUtf8AndGarbage) {
  EXPECT_TRUE(parse_json_text(std::string(64, '[') + std::string(64, ']'), 64));
  EXPECT_FALSE(parse_json_text(std::string(65, '[') + std::string(65, ']'), 64));
  EXPECT_FALSE(parse_json_text(std::string(1'000'000, '['), 64));
  EXPECT_TRUE(parse_json_text(R"({"a":"[[[[[[[[[[\"[[[["})", 3));  // brackets in strings
  EXPECT_FALSE(parse_json_text("{\"a\":\"\xff\"}", 64));
  EXPECT_FALSE(parse_json_text("{\"a\":\"\xc0\xaf\"}", 64));      // overlong
  EXPECT_FALSE(parse_json_text("{\"a\":\"\xed\xa0\x80\"}", 64));  // UTF-8 surrogate
  EXPECT_FALSE(parse_json_text(R"({"a":"\ud800"})", 64));         // lone surrogate escape
  EXPECT_FALSE(parse_json_text("{} {}", 64));
  EXPECT_FALSE(parse_json_text("", 64));
  auto bad = parse_json_text("{", 64);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, rpc_error::kParseError);
  EXPECT_TRUE(parse_json_text("{\"a\":\"h\xc3\xa9\"}", 64));
}

TEST(JsonRpcTest, SerializeIsOneLineValidUtf8) {
  json m = {{"text", std::string("a\nb\xff\xfe"
                                 "c")}};
  const std::string s = serialize(m);
  EXPECT_EQ(s.find('\n'), std::string::npos);
  EXPECT_TRUE(parse_json_text(s, 64)) << s;
  EXPECT_NE(s.find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD
}

TEST(JsonRpcTest, SessionIdsAreRandomHex) {
  const std::string a = generate_session_id();
  const std::string b = generate_session_id();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace sqlguard::server
