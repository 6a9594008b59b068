// The legacy HTTP+SSE transport (MCP 2024-11-05 §basic/transports "HTTP with SSE") served next
// to Streamable HTTP: GET /sse with its `endpoint` event, POST /messages?sessionId=..., answers
// as `event: message` on the stream; request rules, principal binding, stream limits, idle
// expiry, shutdown. Driven by httplib::Client on 127.0.0.1 (port 0).
#include "server/mcp/http_transport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

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
    if (arguments.contains("progress")) context.progress(1, 2, "half");
    tools::ToolResult r;
    r.structured = {{"arguments", arguments},
                    {"subject", context.principal.subject},
                    {"transport", context.transport},
                    {"session", context.session_id}};
    r.content = json::array({{{"type", "text"}, {"text", r.structured.dump()}}});
    return r;
  }
};

// "Bearer <name>" authenticates as <name>; anything else is a 401 with a challenge.
class FakeAuthenticator : public Authenticator {
 public:
  std::expected<policy::Principal, AuthFailure> authenticate(const httplib::Request& req) override {
    const std::string value = req.get_header_value("Authorization");
    if (value.starts_with("Bearer ") && value.size() > 7) {
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
  void session_started(const tools::CallContext&) override {}
  void session_ended(const tools::CallContext&, std::string_view reason) override {
    std::lock_guard lock(mu_);
    reasons_.emplace_back(reason);
  }
  std::vector<std::string> ended() {
    std::lock_guard lock(mu_);
    return reasons_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> reasons_;
};

struct SseEvent {
  std::string event;
  std::string data;
};

// Reads GET /sse on its own thread and splits the stream into events (comments dropped).
class SseReader {
 public:
  SseReader(int port, httplib::Headers headers) : client_("127.0.0.1", port) {
    client_.set_read_timeout(30, 0);
    thread_ = std::thread([this, headers] {
      std::string buffer;
      auto result = client_.Get(
          "/sse", headers,
          [this](const httplib::Response& res) {
            std::lock_guard lock(mu_);
            status_ = res.status;
            content_type_ = res.get_header_value("Content-Type");
            cv_.notify_all();
            return true;
          },
          [this, &buffer](const char* data, size_t size) {
            buffer.append(data, size);
            std::size_t end;
            while ((end = buffer.find("\n\n")) != std::string::npos) {
              parse(buffer.substr(0, end));
              buffer.erase(0, end + 2);
            }
            return !closing_.load();
          });
      std::lock_guard lock(mu_);
      if (status_ == 0 && result) {
        status_ = result->status;
        body_ = result->body;
      }
      finished_ = true;
      cv_.notify_all();
    });
  }
  ~SseReader() { close(); }

  // HTTP status of the stream (0 if none within 5 s).
  int status() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return status_ != 0 || finished_; });
    return status_;
  }
  std::string content_type() {
    status();
    std::lock_guard lock(mu_);
    return content_type_;
  }
  std::string body() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return finished_; });
    return body_;
  }
  std::optional<SseEvent> next(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return !events_.empty() || finished_; });
    if (events_.empty()) return std::nullopt;
    SseEvent e = std::move(events_.front());
    events_.pop_front();
    return e;
  }
  // The next `event: message`, parsed.
  json next_message() {
    auto e = next();
    if (!e) return json();
    EXPECT_EQ(e->event, "message");
    return json::parse(e->data);
  }
  // True once the server ended the stream.
  bool wait_finished(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return finished_; });
  }
  void close() {
    if (!thread_.joinable()) return;
    closing_ = true;
    client_.stop();
    thread_.join();
  }

 private:
  void parse(const std::string& block) {
    SseEvent e;
    bool any = false;
    std::size_t pos = 0;
    while (pos <= block.size()) {
      const auto nl = std::min(block.find('\n', pos), block.size());
      const std::string line = block.substr(pos, nl - pos);
      if (line.starts_with("event: ")) {
        e.event = line.substr(7);
        any = true;
      } else if (line.starts_with("data: ")) {
        e.data += line.substr(6);
        any = true;
      }
      pos = nl + 1;
    }
    if (!any) return;  // a keep-alive comment
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }

  httplib::Client client_;
  std::thread thread_;
  std::atomic<bool> closing_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SseEvent> events_;
  int status_ = 0;
  std::string content_type_;
  std::string body_;
  bool finished_ = false;
};

json request(int id, const std::string& method, json params = json::object()) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}

json init_request() {
  return request(0, "initialize",
                 {{"protocolVersion", "2024-11-05"},
                  {"capabilities", json::object()},
                  {"clientInfo", {{"name", "sse-test"}, {"version", "1"}}}});
}

class HttpSseTest : public ::testing::Test {
 protected:
  void start(HttpOptions http = {}, Authenticator* auth = nullptr) {
    registry_.add(std::make_unique<EchoTool>());
    http.port = 0;
    http.sse_keepalive = 1s;
    ServerOptions options;
    options.shutdown_grace = 2s;
    options.cancel_grace = 1s;
    options.max_message_bytes = 64 * 1024;
    policy::Principal anonymous;
    anonymous.subject = "local";
    anonymous.auth_method = "loopback";
    transport_ =
        std::make_unique<HttpTransport>(registry_, &observer_, auth, anonymous, options, http, HealthCheck{});
    auto port = transport_->start();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
  }

  void TearDown() override {
    readers_.clear();
    if (transport_) transport_->stop();
  }

  // Opens a stream and returns it with the message endpoint it announced.
  std::pair<SseReader*, std::string> open(httplib::Headers headers = {}) {
    headers.emplace("Accept", "text/event-stream");
    readers_.push_back(std::make_unique<SseReader>(port_, headers));
    SseReader* reader = readers_.back().get();
    EXPECT_EQ(reader->status(), 200);
    auto endpoint = reader->next();
    EXPECT_TRUE(endpoint);
    if (!endpoint) return {reader, ""};
    EXPECT_EQ(endpoint->event, "endpoint");
    return {reader, endpoint->data};
  }

  httplib::Result post(const std::string& target, const std::string& body, httplib::Headers headers = {},
                       const std::string& type = "application/json") {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(10, 0);
    return c.Post(target, headers, body, type);
  }

  // initialize + notifications/initialized over the legacy transport.
  void initialize(SseReader& reader, const std::string& endpoint, const httplib::Headers& headers = {}) {
    auto res = post(endpoint, serialize(init_request()), headers);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 202) << res->body;
    EXPECT_EQ(res->body, "Accepted");
    const json init = reader.next_message();
    EXPECT_EQ(init["id"], 0);
    EXPECT_EQ(init["result"]["protocolVersion"], "2024-11-05");
    res = post(endpoint, R"({"jsonrpc":"2.0","method":"notifications/initialized"})", headers);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202);
  }

  std::size_t wait_sessions(std::size_t n) {
    for (int i = 0; i < 200 && transport_->session_count() != n; ++i) std::this_thread::sleep_for(25ms);
    return transport_->session_count();
  }

  tools::ToolRegistry registry_;
  Observer observer_;
  std::unique_ptr<HttpTransport> transport_;
  std::vector<std::unique_ptr<SseReader>> readers_;
  int port_ = 0;
};

TEST_F(HttpSseTest, EndpointEventThenAnswersOnTheStream) {
  start();
  auto [reader, endpoint] = open();
  EXPECT_EQ(reader->content_type(), "text/event-stream");
  ASSERT_TRUE(endpoint.starts_with("/messages?sessionId=")) << endpoint;
  const std::string sid = endpoint.substr(std::string("/messages?sessionId=").size());
  EXPECT_EQ(sid.size(), 32u);
  EXPECT_EQ(transport_->session_count(), 1u);
  initialize(*reader, endpoint);

  auto res = post(endpoint, serialize(request(1, "tools/list")));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  json list = reader->next_message();
  EXPECT_EQ(list["id"], 1);
  EXPECT_EQ(list["result"]["tools"][0]["name"], "echo");

  // Progress comes on the same stream, before the result.
  res = post(
      endpoint,
      serialize(request(
          2, "tools/call",
          {{"name", "echo"}, {"arguments", {{"progress", true}}}, {"_meta", {{"progressToken", "p"}}}})));
  EXPECT_EQ(res->status, 202);
  json progress = reader->next_message();
  EXPECT_EQ(progress["method"], "notifications/progress");
  EXPECT_EQ(progress["params"]["progressToken"], "p");
  json call = reader->next_message();
  EXPECT_EQ(call["id"], 2);
  // 2024-11-05 has no structuredContent: the text content carries it.
  const json echoed = json::parse(call["result"]["content"][0]["text"].get<std::string>());
  EXPECT_EQ(echoed["transport"], "sse");
  EXPECT_EQ(echoed["session"], sid);
  EXPECT_EQ(echoed["subject"], "local");

  // Several requests in flight are all answered on the one stream.
  for (int id = 10; id < 15; ++id) EXPECT_EQ(post(endpoint, serialize(request(id, "ping")))->status, 202);
  std::set<int> ids;
  for (int i = 0; i < 5; ++i) ids.insert(reader->next_message()["id"].get<int>());
  EXPECT_EQ(ids, (std::set<int>{10, 11, 12, 13, 14}));

  // Keep-alive comments do not end the stream; closing it ends the session.
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(post(endpoint, serialize(request(20, "ping")))->status, 202);
  EXPECT_EQ(reader->next_message()["id"], 20);
  reader->close();
  EXPECT_EQ(wait_sessions(0), 0u);
  res = post(endpoint, serialize(request(21, "ping")));
  EXPECT_EQ(res->status, 404);
  for (int i = 0; i < 100 && observer_.ended().empty(); ++i) std::this_thread::sleep_for(20ms);
  ASSERT_EQ(observer_.ended().size(), 1u);
  EXPECT_EQ(observer_.ended()[0], "SSE stream closed");
}

TEST_F(HttpSseTest, RequestRules) {
  start();
  auto [reader, endpoint] = open();
  initialize(*reader, endpoint);
  auto res = post("/messages", serialize(request(1, "ping")));
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body)["error"]["code"], -32000);
  res = post("/messages?sessionId=0123456789abcdef0123456789abcdef", serialize(request(1, "ping")));
  EXPECT_EQ(res->status, 404);
  res = post(endpoint, serialize(request(1, "ping")), {}, "text/plain");
  EXPECT_EQ(res->status, 415);
  res = post(endpoint, "{not json");
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body)["error"]["code"], rpc_error::kParseError);
  res = post(endpoint, std::string(70 * 1024, ' ') + "{}");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  res = post(endpoint, serialize(request(1, "ping")), {{"MCP-Protocol-Version", "1999-01-01"}});
  EXPECT_EQ(res->status, 400);
  res = post(endpoint, serialize(request(1, "ping")), {{"Host", "evil.example.com"}});
  EXPECT_EQ(res->status, 403);
  res = post(endpoint, serialize(request(1, "ping")), {{"Origin", "http://evil.example.com"}});
  EXPECT_EQ(res->status, 403);

  // A legacy session id is not a Streamable HTTP session, and the other way round.
  const std::string sid = endpoint.substr(endpoint.find('=') + 1);
  res = post("/mcp", serialize(request(1, "ping")),
             {{"Mcp-Session-Id", sid}, {"Accept", "application/json, text/event-stream"}});
  EXPECT_EQ(res->status, 404);
  res = post("/mcp", serialize(init_request()), {{"Accept", "application/json"}});
  ASSERT_EQ(res->status, 200);
  const std::string streamable = res->get_header_value("Mcp-Session-Id");
  res = post("/messages?sessionId=" + streamable, serialize(request(1, "ping")));
  EXPECT_EQ(res->status, 404);

  // GET /sse checks.
  httplib::Client c("127.0.0.1", port_);
  auto get = c.Get("/sse", {{"Host", "evil.example.com"}});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 403);
  get = c.Get("/sse", {{"Accept", "application/json"}});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 406);
  // The stream still works after all of the above.
  EXPECT_EQ(post(endpoint, serialize(request(5, "ping")))->status, 202);
  EXPECT_EQ(reader->next_message()["id"], 5);
}

TEST_F(HttpSseTest, SessionsAreBoundToThePrincipalThatOpenedThem) {
  FakeAuthenticator auth;
  start({}, &auth);
  httplib::Client c("127.0.0.1", port_);
  auto get = c.Get("/sse", {{"Accept", "text/event-stream"}});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 401);
  EXPECT_NE(get->get_header_value("WWW-Authenticate").find("resource_metadata"), std::string::npos);

  const httplib::Headers alice{{"Authorization", "Bearer alice"}};
  auto [reader, endpoint] = open(alice);
  initialize(*reader, endpoint, alice);
  auto res = post(endpoint, serialize(request(1, "ping")));
  EXPECT_EQ(res->status, 401);
  res = post(endpoint, serialize(request(1, "ping")), {{"Authorization", "Bearer mallory"}});
  EXPECT_EQ(res->status, 404);
  res = post(endpoint, serialize(request(2, "tools/call", {{"name", "echo"}, {"arguments", json::object()}})),
             alice);
  EXPECT_EQ(res->status, 202);
  json call = reader->next_message();
  EXPECT_EQ(call["id"], 2);
  EXPECT_EQ(json::parse(call["result"]["content"][0]["text"].get<std::string>())["subject"], "alice");
}

TEST_F(HttpSseTest, StreamLimit) {
  HttpOptions http;
  http.max_sse_streams = 1;
  start(http);
  auto [reader, endpoint] = open();
  ASSERT_FALSE(endpoint.empty());
  httplib::Client c("127.0.0.1", port_);
  auto get = c.Get("/sse", {{"Accept", "text/event-stream"}});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 503);
  EXPECT_EQ(transport_->session_count(), 1u);
}

TEST_F(HttpSseTest, IdleSessionsExpireAndTheirStreamEnds) {
  HttpOptions http;
  http.session_idle_timeout = 1s;
  start(http);
  auto [reader, endpoint] = open();
  initialize(*reader, endpoint);
  EXPECT_TRUE(reader->wait_finished(10s));
  EXPECT_EQ(transport_->session_count(), 0u);
  EXPECT_EQ(post(endpoint, serialize(request(1, "ping")))->status, 404);
  for (int i = 0; i < 100 && observer_.ended().empty(); ++i) std::this_thread::sleep_for(20ms);
  ASSERT_EQ(observer_.ended().size(), 1u);
  EXPECT_EQ(observer_.ended()[0], "idle timeout");
}

TEST_F(HttpSseTest, ShutdownEndsTheStream) {
  start();
  auto [reader, endpoint] = open();
  initialize(*reader, endpoint);
  EXPECT_EQ(transport_->stop(), 0u);
  EXPECT_TRUE(reader->wait_finished(5s));
  ASSERT_EQ(observer_.ended().size(), 1u);
  EXPECT_EQ(observer_.ended()[0], "server shutdown");
}

TEST_F(HttpSseTest, DisabledWhenThePathIsEmpty) {
  HttpOptions http;
  http.sse_path.clear();
  start(http);
  httplib::Client c("127.0.0.1", port_);
  auto get = c.Get("/sse", {{"Accept", "text/event-stream"}});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 404);
  EXPECT_EQ(post("/messages?sessionId=x", serialize(request(1, "ping")))->status, 404);
}

}  // namespace
}  // namespace sqlguard::server

#endif  // CPPHTTPLIB_OPENSSL_SUPPORT
