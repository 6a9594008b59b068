// GET /metrics on the HTTP transport: Prometheus text exposition 0.0.4 with the registry's
// families and the scrape-time gauges, authentication like /mcp, loopback-only without it.
#include "server/mcp/http_transport.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#if defined(CPPHTTPLIB_OPENSSL_SUPPORT)
#include <httplib.h>

namespace sqlguard::server {
namespace {

class FakeAuthenticator : public Authenticator {
 public:
  std::expected<policy::Principal, AuthFailure> authenticate(const httplib::Request& req) override {
    if (req.get_header_value("Authorization") == "Bearer scraper") {
      policy::Principal p;
      p.subject = "scraper";
      p.auth_method = "api_key";
      return p;
    }
    return std::unexpected(AuthFailure{401, "Bearer realm=\"sqlguard\"", "missing bearer token"});
  }
};

class HttpMetricsTest : public ::testing::Test {
 protected:
  void start(Authenticator* auth = nullptr, bool callbacks = true) {
    registry_.counter("sqlguard_tool_calls_total", "Tool calls.", {"tool", "decision"})
        .inc({"run_sql", "allow"});
    HttpOptions http;
    http.port = 0;
    http.metrics.registry = &registry_;
    if (callbacks) {
      http.metrics.pool = [] {
        db::SourceStats s;
        s.open = 4;
        s.leased = 1;
        return s;
      };
      http.metrics.approvals_pending = [this]() -> std::optional<std::uint64_t> { return pending_; };
    }
    policy::Principal anonymous;
    anonymous.subject = "local";
    transport_ = std::make_unique<HttpTransport>(registry_tools_, nullptr, auth, anonymous, ServerOptions{},
                                                 http, HealthCheck{});
    auto port = transport_->start();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
  }
  void TearDown() override {
    if (transport_) transport_->stop();
  }
  httplib::Result get(const httplib::Headers& headers = {}) {
    httplib::Client c("127.0.0.1", port_);
    return c.Get("/metrics", headers);
  }

  common::MetricsRegistry registry_;
  tools::ToolRegistry registry_tools_;
  std::optional<std::uint64_t> pending_ = 2;
  std::unique_ptr<HttpTransport> transport_;
  int port_ = 0;
};

TEST_F(HttpMetricsTest, ServesTheExpositionFormatToLoopbackClients) {
  start();
  auto res = get();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& body = res->body;
  EXPECT_NE(body.find("# TYPE sqlguard_tool_calls_total counter\n"
                      "sqlguard_tool_calls_total{tool=\"run_sql\",decision=\"allow\"} 1\n"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("# TYPE sqlguard_db_connections gauge\n"
                      "sqlguard_db_connections{state=\"open\"} 4\n"
                      "sqlguard_db_connections{state=\"leased\"} 1\n"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("# TYPE sqlguard_approvals_pending gauge\nsqlguard_approvals_pending 2\n"),
            std::string::npos);
  EXPECT_NE(body.find("sqlguard_mcp_sessions{transport=\"streamable_http\"} 0\n"), std::string::npos);
  EXPECT_NE(body.find("sqlguard_mcp_sessions{transport=\"sse\"} 0\n"), std::string::npos);
  EXPECT_EQ(body.back(), '\n');

  // Approvals off (nullopt): the gauge is left out rather than reported as 0.
  pending_.reset();
  res = get();
  EXPECT_EQ(res->body.find("sqlguard_approvals_pending"), std::string::npos);

  // DNS rebinding: a foreign Host is refused like on /mcp.
  res = get({{"Host", "evil.example.com"}});
  EXPECT_EQ(res->status, 403);
}

TEST_F(HttpMetricsTest, RequiresAuthenticationWhenConfigured) {
  FakeAuthenticator auth;
  start(&auth);
  auto res = get();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer realm=\"sqlguard\"");
  EXPECT_EQ(res->body.find("sqlguard_tool_calls_total"), std::string::npos);
  res = get({{"Authorization", "Bearer scraper"}});
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("sqlguard_tool_calls_total"), std::string::npos);
}

TEST_F(HttpMetricsTest, NoRegistryNoRoute) {
  HttpOptions http;
  http.port = 0;
  tools::ToolRegistry tools;
  HttpTransport transport(tools, nullptr, nullptr, policy::Principal{}, ServerOptions{}, http, HealthCheck{});
  auto port = transport.start();
  ASSERT_TRUE(port);
  httplib::Client c("127.0.0.1", *port);
  auto res = c.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  transport.stop();
}

TEST_F(HttpMetricsTest, WithoutCallbacksOnlyTheRegistryAndSessions) {
  start(nullptr, false);
  auto res = get();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body.find("sqlguard_db_connections"), std::string::npos);
  EXPECT_EQ(res->body.find("sqlguard_approvals_pending"), std::string::npos);
}

}  // namespace
}  // namespace sqlguard::server

#endif  // CPPHTTPLIB_OPENSSL_SUPPORT
