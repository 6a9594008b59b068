// libFuzzer target: the Streamable HTTP request path (server/mcp/http_transport.h) end to end —
// cpp-httplib's request parser, the Host/Origin/auth/Content-Type/Accept/size/version checks,
// sessions, JSON parsing and McpSession dispatch — on a real in-process HttpTransport bound to
// 127.0.0.1:0 with API-key authentication (BearerHttpAuthenticator) and echo tools.
//
// Input: raw bytes written to a fresh TCP connection, and the answer read until the server closes
// or goes quiet. If the input contains "@SID@", a fixed initialize request is sent first
// and every "@SID@" is replaced with the Mcp-Session-Id it returned, so the fuzzer reaches
// in-session requests. "@KEY@" is replaced with the valid API key. Slow-ish (one connection per
// input) but exercises exactly what the network sees. After each input the transport must still
// answer GET /healthz.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "server/auth/bearer_authenticator.h"
#include "server/auth/bearer_http_authenticator.h"
#include "server/mcp/http_transport.h"
#include "tools/sql_tools.h"
#include "tools/tool.h"

namespace {

using nlohmann::json;
using namespace sqlguard;

constexpr std::string_view kApiKey = "sgk_fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfu";

class EchoTool : public tools::Tool {
 public:
  EchoTool(std::string name, json definition) : name_(std::move(name)), definition_(std::move(definition)) {}
  std::string_view name() const override { return name_; }
  json definition() const override { return definition_; }
  tools::ToolResult call(const json& arguments, const tools::CallContext& context) override {
    context.progress(1, 2, "half");
    tools::ToolResult r;
    r.content = json::array(
        {{{"type", "text"}, {"text", arguments.dump(-1, ' ', false, json::error_handler_t::replace)}}});
    return r;
  }

 private:
  std::string name_;
  json definition_;
};

struct Fixture {
  tools::ToolRegistry tools;
  std::unique_ptr<server::BearerHttpAuthenticator> auth;
  std::unique_ptr<server::HttpTransport> transport;
  int port = 0;

  Fixture() {
    spdlog::set_level(spdlog::level::warn);
    tools.add(std::make_unique<EchoTool>("run_sql", tools::RunSqlTool::tool_definition()));
    tools.add(std::make_unique<EchoTool>("list_tables", tools::ListTablesTool::tool_definition()));
    server::HttpConfig http;
    http.resource_url = "http://127.0.0.1/mcp";
    server::AuthConfig auth_config;
    auth_config.api_keys.push_back({"fuzz", server::api_key_sha256_hex(kApiKey), "svc:fuzz", {"analysts"}});
    auto bearer = server::BearerAuthenticator::create(http, auth_config);
    if (!bearer) {
      std::fprintf(stderr, "fuzz_http_request: %s\n", bearer.error().message.c_str());
      std::abort();
    }
    auth = std::make_unique<server::BearerHttpAuthenticator>(*bearer);
    server::ServerOptions options;
    options.max_message_bytes = 64u * 1024u;
    options.shutdown_grace = std::chrono::milliseconds(1000);
    server::HttpOptions h;
    h.port = 0;
    h.max_sessions = 100000;
    h.session_idle_timeout = std::chrono::seconds(5);
    h.worker_threads = 4;
    h.public_documents.push_back(
        {"/.well-known/oauth-protected-resource/mcp", json{{"resource", "http://127.0.0.1/mcp"}}});
    transport = std::make_unique<server::HttpTransport>(tools, nullptr, auth.get(), policy::Principal{},
                                                        options, h, [] {
                                                          return json{{"status", "ok"}};
                                                        });
    auto started = transport->start();
    if (!started) {
      std::fprintf(stderr, "fuzz_http_request: %s\n", started.error().message.c_str());
      std::abort();
    }
    port = *started;
  }
};

Fixture& fixture() {
  // Never destroyed, but stopped at exit: libFuzzer ends with exit(), and the transport's worker
  // threads must be joined before static objects of the libraries they use are destroyed
  // (otherwise ASan reports a heap-use-after-free in a worker during exit).
  static Fixture* f = [] {
    auto* fx = new Fixture;
    std::atexit([] { (void)fixture().transport->stop(); });
    return fx;
  }();
  return *f;
}

// True once `r` holds a whole HTTP response (Content-Length body or the last chunk).
bool response_complete(const std::string& r) {
  const std::size_t end = r.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  const std::string head = r.substr(0, end);
  if (const std::size_t p = head.find("Content-Length: "); p != std::string::npos) {
    return r.size() - end - 4 >= std::strtoull(head.c_str() + p + 16, nullptr, 10);
  }
  if (head.find("Transfer-Encoding: chunked") != std::string::npos) {
    return r.size() >= 5 && r.compare(r.size() - 5, 5, "0\r\n\r\n") == 0;
  }
  return false;
}

// Writes `request` and returns what comes back until the server closes the connection, a whole
// response is in, or nothing arrives for `first_byte_ms` (first byte) / 50 ms (later bytes): a
// keep-alive connection stays open after its answer. No half-close: the transport treats a
// client that shut down its sending side as gone and drops the response.
std::string send_request(int port, std::string_view request, int first_byte_ms = 300) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) std::abort();
  timeval tv{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) std::abort();
  std::size_t off = 0;
  while (off < request.size()) {
    const ssize_t n = ::send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early (e.g. 413); that is an answer too
    off += static_cast<std::size_t>(n);
  }
  std::string response;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, response.empty() ? first_byte_ms : 50) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<std::size_t>(n));
    if (response_complete(response)) break;
  }
  ::close(fd);
  return response;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
}

std::string header_value(const std::string& response, std::string_view name) {
  const std::size_t p = response.find(std::string(name) + ": ");
  if (p == std::string::npos) return {};
  const std::size_t b = p + name.size() + 2;
  return response.substr(b, response.find("\r\n", b) - b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& f = fixture();
  std::string request(reinterpret_cast<const char*>(data), size);
  replace_all(request, "@KEY@", kApiKey);
  if (request.find("@SID@") != std::string::npos) {
    const std::string body = R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":)"
                             R"("2025-11-25","capabilities":{},"clientInfo":{"name":"fuzz","version":"1"}}})";
    const std::string init = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: " + std::string(kApiKey) +
                             "\r\nContent-Type: application/json\r\nAccept: application/json, "
                             "text/event-stream\r\nConnection: close\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body;
    const std::string answer = send_request(f.port, init, 5000);
    const std::string sid = header_value(answer, "Mcp-Session-Id");
    if (sid.empty()) {  // a valid initialize must create a session
      std::fprintf(stderr, "fuzz_http_request: initialize created no session: %.400s\n", answer.c_str());
      std::abort();
    }
    replace_all(request, "@SID@", sid);
  }
  (void)send_request(f.port, request);
  const std::string health =
      send_request(f.port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 5000);
  if (health.rfind("HTTP/1.1 200", 0) != 0) {  // the server must stay up
    std::fprintf(stderr, "fuzz_http_request: /healthz answered: %.200s\n", health.c_str());
    std::abort();
  }
  return 0;
}
