// The Streamable HTTP transport on 127.0.0.1 (port 0) driven by httplib::Client: sessions,
// status codes, Host/Origin checks, content negotiation, SSE for progress, cancellation,
// authentication hook, health, idle expiry, shutdown.
#include "server/mcp/http_transport.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/address.h"
#include "server/mcp/json_rpc.h"

#if defined(CPPHTTPLIB_OPENSSL_SUPPORT)
#include <httplib.h>

namespace sqlguard::server {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class EchoTool : public tools::Tool {
 public:
  std::string_view name() const override { return "echo"; }
  json definition() const override {
    return {{"name", "echo"},
            {"description", "Echoes"},
            {"inputSchema", {{"type", "object"}, {"properties", json::object()}}}};
  }
  tools::ToolResult call(const json& arguments, const tools::CallContext& context) override {
    tools::ToolResult r;
    r.structured = {{"arguments", arguments},
                    {"subject", context.principal.subject},
                    {"client", context.principal.client_name},
                    {"transport", context.transport},
                    {"remote", context.remote_address},
                    {"session", context.session_id}};
    r.content = json::array({{{"type", "text"}, {"text", r.structured.dump()}}});
    return r;
  }
};

// Sends progress, then waits for release or cancellation.
class GateTool : public tools::Tool {
 public:
  std::string_view name() const override { return "gate"; }
  json definition() const override {
    return {{"name", "gate"},
            {"description", "Waits"},
            {"inputSchema", {{"type", "object"}, {"properties", json::object()}}}};
  }
  tools::ToolResult call(const json&, const tools::CallContext& context) override {
    context.progress(50, 100, "half");
    std::stop_callback wake(context.cancel, [this] {
      std::lock_guard l(mu_);
      cv_.notify_all();
    });
    std::unique_lock lock(mu_);
    ++started_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_ || context.cancel.stop_requested(); });
    if (context.cancel.stop_requested()) ++cancelled_;
    tools::ToolResult r;
    r.content = json::array({{{"type", "text"}, {"text", "done"}}});
    return r;
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

// "Bearer <name>" authenticates as <name>; anything else is a 401 with a challenge.
class FakeAuthenticator : public Authenticator {
 public:
  std::expected<policy::Principal, AuthFailure> authenticate(const httplib::Request& req) override {
    const std::string value = req.get_header_value("Authorization");
    if (value.starts_with("Bearer ") && value.size() > 7) {
      if (value == "Bearer lowscope") {
        return std::unexpected(AuthFailure{403, "Bearer error=\"insufficient_scope\"", "need scope"});
      }
      policy::Principal p;
      p.subject = value.substr(7);
      p.issuer = "https://idp.test";
      p.auth_method = "oidc";
      return p;
    }
    return std::unexpected(
        AuthFailure{401, "Bearer resource_metadata=\"http://x/.well-known\"", "missing bearer token"});
  }
};

class Observer : public tools::SessionObserver {
 public:
  void session_started(const tools::CallContext&) override {
    std::lock_guard lock(mu);
    ++started;
  }
  void session_ended(const tools::CallContext&, std::string_view reason) override {
    std::lock_guard lock(mu);
    reasons.emplace_back(reason);
  }
  std::vector<std::string> ended() {
    std::lock_guard lock(mu);
    return reasons;
  }
  std::mutex mu;
  int started = 0;
  std::vector<std::string> reasons;
};

json init_request(const std::string& version = "2025-11-25") {
  return {{"jsonrpc", "2.0"},
          {"id", 0},
          {"method", "initialize"},
          {"params",
           {{"protocolVersion", version},
            {"capabilities", json::object()},
            {"clientInfo", {{"name", "http-test"}, {"version", "1"}}}}}};
}

class HttpTransportTest : public ::testing::Test {
 protected:
  void start(HttpOptions http = {}, Authenticator* auth = nullptr, ServerOptions options = {},
             HealthCheck health = {}) {
    auto gate = std::make_unique<GateTool>();
    gate_ = gate.get();
    registry_.add(std::make_unique<EchoTool>());
    registry_.add(std::move(gate));
    http.port = 0;
    options.shutdown_grace = 3s;
    options.cancel_grace = 1s;
    policy::Principal anonymous;
    anonymous.subject = "local";
    anonymous.auth_method = "config";
    transport_ = std::make_unique<HttpTransport>(registry_, &observer_, auth, anonymous, options, http,
                                                 std::move(health));
    auto port = transport_->start();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
  }

  void TearDown() override {
    if (gate_) gate_->release();
    if (transport_) transport_->stop();
  }

  httplib::Client client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(10, 0);
    return c;
  }

  httplib::Headers headers(const std::string& session = "", const std::string& extra_name = "",
                           const std::string& extra_value = "") {
    httplib::Headers h{{"Accept", "application/json, text/event-stream"}};
    if (!session.empty()) h.emplace("Mcp-Session-Id", session);
    if (!extra_name.empty()) h.emplace(extra_name, extra_value);
    return h;
  }

  httplib::Result post(const json& body, const httplib::Headers& h) {
    auto c = client();
    return c.Post("/mcp", h, serialize(body), "application/json");
  }

  // initialize + notifications/initialized; returns the session id.
  std::string open_session(const httplib::Headers& extra = {}, const std::string& version = "2025-11-25") {
    auto h = headers();
    for (const auto& [k, v] : extra) h.emplace(k, v);
    auto res = post(init_request(version), h);
    EXPECT_TRUE(res);
    if (!res) return "";
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(json::parse(res->body)["result"]["protocolVersion"], version);
    const std::string id = res->get_header_value("Mcp-Session-Id");
    EXPECT_EQ(id.size(), 32u);
    h.emplace("Mcp-Session-Id", id);
    h.emplace("MCP-Protocol-Version", version);
    auto note = post({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}, h);
    EXPECT_EQ(note->status, 202);
    EXPECT_TRUE(note->body.empty());
    return id;
  }

  tools::ToolRegistry registry_;
  GateTool* gate_ = nullptr;
  Observer observer_;
  std::unique_ptr<HttpTransport> transport_;
  int port_ = 0;
};

TEST_F(HttpTransportTest, SessionLifecycleOverPost) {
  start();
  const std::string sid = open_session();
  ASSERT_FALSE(sid.empty());
  EXPECT_EQ(transport_->session_count(), 1u);
  EXPECT_EQ(observer_.started, 1);

  auto res = post({{"jsonrpc", "2.0"}, {"id", "l"}, {"method", "tools/list"}},
                  headers(sid, "MCP-Protocol-Version", "2025-11-25"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(res->body)["result"]["tools"].size(), 2u);

  res = post({{"jsonrpc", "2.0"},
              {"id", 7},
              {"method", "tools/call"},
              {"params", {{"name", "echo"}, {"arguments", {{"a", 1}}}}}},
             headers(sid));
  ASSERT_TRUE(res);
  json body = json::parse(res->body);
  EXPECT_EQ(body["id"], 7);
  EXPECT_EQ(body["result"]["structuredContent"]["subject"], "local");
  EXPECT_EQ(body["result"]["structuredContent"]["client"], "http-test");
  EXPECT_EQ(body["result"]["structuredContent"]["transport"], "http");
  EXPECT_EQ(body["result"]["structuredContent"]["session"], sid);
  EXPECT_EQ(body["result"]["structuredContent"]["remote"], "127.0.0.1");

  // A client response is accepted with 202.
  res = post(json::parse(R"({"jsonrpc":"2.0","id":"srv-1","result":{}})"), headers(sid));
  EXPECT_EQ(res->status, 202);

  // Second initialize on the session → 400.
  res = post(init_request(), headers(sid));
  EXPECT_EQ(res->status, 400);

  auto c = client();
  auto del = c.Delete("/mcp", headers(sid));
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200);
  res = post({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}}, headers(sid));
  EXPECT_EQ(res->status, 404);
  del = c.Delete("/mcp", headers(sid));
  EXPECT_EQ(del->status, 404);
  del = c.Delete("/mcp", headers());
  EXPECT_EQ(del->status, 400);
  for (int i = 0; i < 100 && observer_.ended().empty(); ++i) std::this_thread::sleep_for(20ms);
  ASSERT_EQ(observer_.ended().size(), 1u);
  EXPECT_EQ(observer_.ended()[0], "client ended the session");
}

TEST_F(HttpTransportTest, ResponsesAreNotCompressedWhateverTheClientAccepts) {
  start();
  auto c = client();
  c.set_decompress(false);  // see the bytes as sent
  auto h = headers();
  h.emplace("Accept-Encoding", "gzip, deflate, br");
  auto res = c.Post("/mcp", h, serialize(init_request()), "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_FALSE(res->has_header("Content-Encoding")) << res->get_header_value("Content-Encoding");
  EXPECT_EQ(json::parse(res->body)["result"]["protocolVersion"], "2025-11-25");
}

TEST_F(HttpTransportTest, SessionHeaderRules) {
  start();
  auto res = post({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}}, headers());
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body)["error"]["code"], -32000);
  res =
      post({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}}, headers("0123456789abcdef0123456789abcdef"));
  EXPECT_EQ(res->status, 404);
  res = post({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}, headers());
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(transport_->session_count(), 0u);
  // initialize that fails does not create a session.
  res = post(json::parse(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})"), headers());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body)["error"]["code"], rpc_error::kInvalidParams);
  EXPECT_FALSE(res->has_header("Mcp-Session-Id"));
  EXPECT_EQ(transport_->session_count(), 0u);
}

TEST_F(HttpTransportTest, OtherMethodsAndPaths) {
  start();
  auto c = client();
  auto res = c.Get("/mcp", headers());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_NE(res->get_header_value("Allow").find("POST"), std::string::npos);
  res = c.Put("/mcp", "{}", "application/json");
  EXPECT_EQ(res->status, 405);
  res = c.Post("/mcp/", headers(), serialize(init_request()), "application/json");
  EXPECT_EQ(res->status, 404);
  res = c.Post("/other", headers(), serialize(init_request()), "application/json");
  EXPECT_EQ(res->status, 404);
}

TEST_F(HttpTransportTest, DnsRebindingProtection) {
  start();
  auto res = post(init_request(), headers("", "Host", "evil.example.com"));
  EXPECT_EQ(res->status, 403);
  auto h = headers("", "Origin", "http://evil.example.com");
  res = post(init_request(), h);
  EXPECT_EQ(res->status, 403);
  res = post(init_request(), headers("", "Origin", "null"));
  EXPECT_EQ(res->status, 403);
  // The conformance suite's positive case: Host and Origin are the real localhost:port.
  auto ok = headers("", "Origin", "http://localhost:" + std::to_string(port_));
  ok.emplace("Host", "localhost:" + std::to_string(port_));
  res = post(init_request(), ok);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Access-Control-Allow-Origin"),
            "http://localhost:" + std::to_string(port_));
  EXPECT_NE(res->get_header_value("Access-Control-Expose-Headers").find("Mcp-Session-Id"), std::string::npos);
  auto c = client();
  res = c.Get("/mcp", headers("", "Host", "attacker.test"));
  EXPECT_EQ(res->status, 403);
}

TEST_F(HttpTransportTest, ExtraRoutesPassTheHostAndOriginCheckHealthzDoesNot) {
  HttpOptions http;
  http.extra_routes.push_back([](httplib::Server& svr) {
    svr.Get("/api/thing", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{}", "application/json");
    });
  });
  start(http);
  auto c = client();
  auto res = c.Get("/api/thing");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = c.Get("/api/thing", headers("", "Host", "rebound.attacker.test"));
  EXPECT_EQ(res->status, 403);
  res = c.Get("/api/thing", headers("", "Origin", "http://attacker.test"));
  EXPECT_EQ(res->status, 403);
  res = c.Get("/api/thing", headers("", "Origin", "http://127.0.0.1:" + std::to_string(port_)));
  EXPECT_EQ(res->status, 200);
  // Orchestrator probes address the pod by IP: /healthz answers whatever the Host.
  res = c.Get("/healthz", headers("", "Host", "10.1.2.3:8080"));
  EXPECT_EQ(res->status, 200);
}

TEST_F(HttpTransportTest, ConfiguredHostsAndOrigins) {
  HttpOptions http;
  http.allowed_hosts = {"mcp.example.com"};
  http.allowed_origins = {"https://console.example.com"};
  start(http);
  auto res = post(init_request(), headers("", "Host", "MCP.example.com:443"));
  EXPECT_EQ(res->status, 200);
  res = post(init_request(), headers("", "Origin", "https://console.example.com"));
  EXPECT_EQ(res->status, 200);
  res = post(init_request(), headers("", "Origin", "https://other.example.com"));
  EXPECT_EQ(res->status, 403);
  auto c = client();
  httplib::Headers pre{{"Origin", "https://console.example.com"}, {"Access-Control-Request-Method", "POST"}};
  res = c.Options("/mcp", pre);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 204);
  EXPECT_NE(res->get_header_value("Access-Control-Allow-Headers").find("Mcp-Session-Id"), std::string::npos);
}

TEST_F(HttpTransportTest, ContentNegotiationAndLimits) {
  ServerOptions options;
  options.max_message_bytes = 4096;
  start({}, nullptr, options);
  auto c = client();
  auto res = c.Post("/mcp", headers(), serialize(init_request()), "text/plain");
  EXPECT_EQ(res->status, 415);
  res = c.Post("/mcp", httplib::Headers{{"Accept", "text/html"}}, serialize(init_request()),
               "application/json");
  EXPECT_EQ(res->status, 406);
  res = c.Post("/mcp", httplib::Headers{{"Accept", "*/*"}}, serialize(init_request()),
               "application/json; charset=utf-8");
  EXPECT_EQ(res->status, 200);
  res = c.Post("/mcp", headers(), "{not json", "application/json");
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body)["error"]["code"], rpc_error::kParseError);
  res = c.Post("/mcp", headers(), "{\"a\":\"\xff\"}", "application/json");
  EXPECT_EQ(res->status, 400);
  res = c.Post("/mcp", headers(), std::string(200, '['), "application/json");
  EXPECT_EQ(res->status, 400);
  res = c.Post("/mcp", headers(), std::string(5000, ' ') + serialize(init_request()), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
}

TEST_F(HttpTransportTest, ProtocolVersionHeader) {
  start();
  const std::string sid = open_session();
  auto res = post({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}},
                  headers(sid, "MCP-Protocol-Version", "1999-01-01"));
  EXPECT_EQ(res->status, 400);
  // Any supported version is accepted, even one other than negotiated.
  res = post({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "ping"}},
             headers(sid, "MCP-Protocol-Version", "2025-03-26"));
  EXPECT_EQ(res->status, 200);
  res = post({{"jsonrpc", "2.0"}, {"id", 3}, {"method", "ping"}}, headers(sid));
  EXPECT_EQ(res->status, 200);
}

TEST_F(HttpTransportTest, ProgressUsesSseWhenAccepted) {
  start();
  const std::string sid = open_session();
  gate_->release();
  json call = {{"jsonrpc", "2.0"},
               {"id", 5},
               {"method", "tools/call"},
               {"params", {{"name", "gate"}, {"_meta", {{"progressToken", 5}}}}}};
  auto res = post(call, headers(sid));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/event-stream");
  // Two events: progress, then the result.
  std::vector<json> events;
  std::size_t pos = 0;
  while ((pos = res->body.find("data: ", pos)) != std::string::npos) {
    const auto end = res->body.find('\n', pos);
    events.push_back(json::parse(res->body.substr(pos + 6, end - pos - 6)));
    pos = end;
  }
  ASSERT_EQ(events.size(), 2u) << res->body;
  EXPECT_EQ(events[0]["method"], "notifications/progress");
  EXPECT_EQ(events[0]["params"]["progressToken"], 5);
  EXPECT_EQ(events[1]["id"], 5);
  EXPECT_EQ(res->body.find("event: message\n"), 0u);

  // A JSON-only client gets the result alone.
  auto h = headers(sid);
  h.erase("Accept");
  h.emplace("Accept", "application/json");
  call["id"] = 6;
  res = post(call, h);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(res->body)["id"], 6);

  // Without a progress token: plain JSON even when SSE is accepted.
  res = post({{"jsonrpc", "2.0"}, {"id", 8}, {"method", "tools/call"}, {"params", {{"name", "gate"}}}},
             headers(sid));
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
}

TEST_F(HttpTransportTest, CancellationEndsTheWaitingPost) {
  start();
  const std::string sid = open_session();
  std::optional<httplib::Response> call_res;
  std::thread caller([&] {
    auto r = post({{"jsonrpc", "2.0"}, {"id", "c"}, {"method", "tools/call"}, {"params", {{"name", "gate"}}}},
                  headers(sid));
    if (r) call_res = *r;
  });
  ASSERT_TRUE(gate_->wait_started(1));
  auto res =
      post({{"jsonrpc", "2.0"}, {"method", "notifications/cancelled"}, {"params", {{"requestId", "c"}}}},
           headers(sid));
  EXPECT_EQ(res->status, 202);
  caller.join();
  ASSERT_TRUE(call_res);
  EXPECT_EQ(call_res->status, 202);
  EXPECT_TRUE(call_res->body.empty());
  EXPECT_EQ(gate_->cancelled(), 1);
}

TEST_F(HttpTransportTest, BatchUnder20250326) {
  start();
  const std::string sid = open_session({}, "2025-03-26");
  json batch = json::array({{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}},
                            {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/list"}}});
  auto res = post(batch, headers(sid));
  ASSERT_TRUE(res);
  json body = json::parse(res->body);
  ASSERT_TRUE(body.is_array());
  EXPECT_EQ(body.size(), 2u);
}

TEST_F(HttpTransportTest, AuthenticatorIsCalledAndSessionsAreBoundToThePrincipal) {
  FakeAuthenticator auth;
  start({}, &auth);
  auto res = post(init_request(), headers());
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer resource_metadata=\"http://x/.well-known\"");
  res = post(init_request(), headers("", "Authorization", "Bearer lowscope"));
  EXPECT_EQ(res->status, 403);
  EXPECT_NE(res->get_header_value("WWW-Authenticate").find("insufficient_scope"), std::string::npos);

  const std::string sid = open_session({{"Authorization", "Bearer alice"}});
  auto h = headers(sid, "Authorization", "Bearer alice");
  res = post({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"}, {"params", {{"name", "echo"}}}}, h);
  EXPECT_EQ(json::parse(res->body)["result"]["structuredContent"]["subject"], "alice");
  // The credential is checked on every request.
  res = post({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "ping"}}, headers(sid));
  EXPECT_EQ(res->status, 401);
  // Another principal cannot use alice's session id.
  res = post({{"jsonrpc", "2.0"}, {"id", 3}, {"method", "ping"}},
             headers(sid, "Authorization", "Bearer mallory"));
  EXPECT_EQ(res->status, 404);
  auto c = client();
  auto del = c.Delete("/mcp", headers(sid, "Authorization", "Bearer mallory"));
  EXPECT_EQ(del->status, 404);
  EXPECT_EQ(transport_->session_count(), 1u);
}

TEST(HttpTransportStartTest, RefusesNonLoopbackWithoutAuthenticator) {
  tools::ToolRegistry registry;
  HttpOptions http;
  http.bind_address = "0.0.0.0";
  http.port = 0;
  HttpTransport t(registry, nullptr, nullptr, {}, {}, http, {});
  auto r = t.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("without authentication"), std::string::npos);
  EXPECT_TRUE(common::is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(common::is_loopback_address("127.1.2.3"));
  EXPECT_TRUE(common::is_loopback_address("::1"));
  EXPECT_FALSE(common::is_loopback_address("0.0.0.0"));
  EXPECT_FALSE(common::is_loopback_address("127.evil.com"));
  EXPECT_FALSE(common::is_loopback_address("10.0.0.1"));
}

TEST_F(HttpTransportTest, Healthz) {
  std::atomic<bool> healthy{true};
  start({}, nullptr, {}, [&] {
    return healthy ? json{{"status", "ok"}, {"database", "up"}}
                   : json{{"status", "unhealthy"}, {"database", "down"}};
  });
  auto c = client();
  auto res = c.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body)["database"], "up");
  healthy = false;
  res = c.Get("/healthz");
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(json::parse(res->body)["status"], "unhealthy");
}

TEST_F(HttpTransportTest, IdleSessionsExpire) {
  HttpOptions http;
  http.session_idle_timeout = 1s;
  start(http);
  const std::string sid = open_session();
  EXPECT_EQ(transport_->session_count(), 1u);
  for (int i = 0; i < 100 && transport_->session_count() != 0; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(transport_->session_count(), 0u);
  auto res = post({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}}, headers(sid));
  EXPECT_EQ(res->status, 404);
  for (int i = 0; i < 100 && observer_.ended().empty(); ++i) std::this_thread::sleep_for(20ms);
  ASSERT_EQ(observer_.ended().size(), 1u);
  EXPECT_EQ(observer_.ended()[0], "idle timeout");
}

TEST_F(HttpTransportTest, StopClosesSessionsAndAnswersWaitingCalls) {
  start();
  const std::string sid = open_session();
  std::optional<httplib::Response> call_res;
  std::thread caller([&] {
    auto r = post({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"}, {"params", {{"name", "gate"}}}},
                  headers(sid));
    if (r) call_res = *r;
  });
  ASSERT_TRUE(gate_->wait_started(1));
  std::thread releaser([&] {
    std::this_thread::sleep_for(100ms);
    gate_->release();
  });
  EXPECT_EQ(transport_->stop(), 0u);
  releaser.join();
  caller.join();
  ASSERT_TRUE(call_res);
  EXPECT_EQ(call_res->status, 200);  // finished within the shutdown grace
  ASSERT_EQ(observer_.ended().size(), 1u);
  EXPECT_EQ(observer_.ended()[0], "server shutdown");
}

TEST_F(HttpTransportTest, PublicDocumentsNeedNoAuthentication) {
  FakeAuthenticator auth;
  HttpOptions http;
  http.public_documents = {
      {"/.well-known/oauth-protected-resource/mcp", {{"resource", "http://127.0.0.1/mcp"}}}};
  start(http, &auth);
  auto c = client();
  auto res = c.Get("/.well-known/oauth-protected-resource/mcp");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body)["resource"], "http://127.0.0.1/mcp");
  EXPECT_EQ(res->get_header_value("Access-Control-Allow-Origin"), "*");
  res = c.Get("/.well-known/oauth-protected-resource");
  EXPECT_EQ(res->status, 404);
}

TEST(HttpTransportTlsTest, ServesHttpsWithTheConfiguredCertificate) {
  const std::string dir = ::testing::TempDir() + "sqlguard_tls_" + std::to_string(::getpid());
  const std::string cert = dir + "/cert.pem";
  const std::string key = dir + "/key.pem";
  const std::string cmd = "mkdir -p " + dir +
                          " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                          "-nodes -days 1 -subj /CN=localhost -keyout " +
                          key + " -out " + cert + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl command line tool not available";
  tools::ToolRegistry registry;
  HttpOptions http;
  http.port = 0;
  http.tls_cert_file = cert;
  http.tls_key_file = key;
  HttpTransport t(registry, nullptr, nullptr, {}, {}, http, {});
  auto port = t.start();
  ASSERT_TRUE(port) << port.error().message;
  httplib::SSLClient c("127.0.0.1", *port);
  c.enable_server_certificate_verification(false);
  auto res = c.Post("/mcp", httplib::Headers{{"Accept", "application/json"}}, serialize(init_request()),
                    "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  t.stop();

  http.tls_key_file = dir + "/missing.pem";
  HttpTransport bad(registry, nullptr, nullptr, {}, {}, http, {});
  EXPECT_FALSE(bad.start());
  if (std::system(("rm -rf " + dir).c_str()) != 0) ADD_FAILURE() << "cannot remove " << dir;
}

}  // namespace
}  // namespace sqlguard::server

#else  // !CPPHTTPLIB_OPENSSL_SUPPORT

TEST(HttpTransportTest, RequiresCppHttplib) {
  GTEST_SKIP() << "built without cpp-httplib (pkg-config cpp-httplib not linked)";
}

#endif
