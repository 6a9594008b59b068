// The web console routes on 127.0.0.1 (port 0) driven by httplib::Client: embedded assets and
// their security headers, authentication and authorization of /api/audit/*, session summaries
// and timelines from a small audit log written with recorder::AuditLog, and verification.
#include "server/admin/console_http.h"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "recorder/audit_log.h"
#include "tests/temp_dir.h"

#if defined(CPPHTTPLIB_OPENSSL_SUPPORT)
#include <httplib.h>

namespace sqlguard::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class TempDir : public test_support::TempDir {
 public:
  TempDir() : test_support::TempDir("console") {}
};

// "Bearer reviewer" → bob in dba; "Bearer agent" → alice in analysts; "Bearer auditor" → carol
// in auditors; anything else → 401 with a challenge.
class FakeAuthenticator : public Authenticator {
 public:
  std::expected<policy::Principal, AuthFailure> authenticate(const httplib::Request& req) override {
    const std::string header = req.get_header_value("Authorization");
    policy::Principal p;
    p.auth_method = "oidc";
    if (header == "Bearer reviewer") {
      p.subject = "bob";
      p.groups = {"dba"};
    } else if (header == "Bearer agent") {
      p.subject = "alice";
      p.groups = {"analysts"};
    } else if (header == "Bearer auditor") {
      p.subject = "carol";
      p.groups = {"auditors"};
    } else {
      return std::unexpected(AuthFailure{401, R"(Bearer resource_metadata="http://x/.well-known")",
                                         "missing or invalid bearer token"});
    }
    return p;
  }
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Three sessions: s-read (a read, ended), s-held (an update held for approval, approved and
// executed), s-refused (a refused DROP), in that order.
void write_log(const fs::path& dir) {
  recorder::AuditLogOptions options;
  options.dir = dir;
  options.origin = "sqlguard.test/console";
  auto log = recorder::AuditLog::open(options);
  ASSERT_TRUE(log.has_value()) << log.error().message;
  const json alice = {{"subject", "alice"},
                      {"issuer", "https://issuer.test"},
                      {"groups", {"analysts"}},
                      {"auth", "oidc"},
                      {"client", {{"name", "agent"}, {"version", "1.0"}}}};
  auto append = [&](json event) {
    auto r = (*log)->append(std::move(event));
    ASSERT_TRUE(r.has_value()) << r.error().message;
  };
  append({{"type", "session.start"}, {"session", "s-read"}, {"principal", alice}, {"transport", "http"}});
  append({{"type", "call.intent"},
          {"session", "s-read"},
          {"call", "s-read-1"},
          {"tool", "run_sql"},
          {"principal", alice},
          {"transport", "http"},
          {"statement",
           {{"text", "SELECT id, email FROM customers"}, {"kind", "select"}, {"tables", {"shop.customers"}}}},
          {"decision", {{"action", "allow"}, {"rule", "analysts-read-shop"}, {"reason", "allowed"}}}});
  append({{"type", "call.outcome"},
          {"session", "s-read"},
          {"call", "s-read-1"},
          {"status", "ok"},
          {"rows", 2},
          {"masked_columns", {{{"column", "email"}, {"rule", "pii-email"}, {"method", "email"}}}},
          {"result_sha256", "abc"}});
  append({{"type", "session.end"}, {"session", "s-read"}, {"reason", "client closed"}});

  append({{"type", "session.start"}, {"session", "s-held"}, {"principal", alice}, {"transport", "http"}});
  append({{"type", "call.intent"},
          {"session", "s-held"},
          {"call", "s-held-1"},
          {"tool", "run_sql"},
          {"principal", alice},
          {"transport", "http"},
          {"statement", {{"text", "UPDATE orders SET status='shipped' WHERE id=6"}, {"kind", "update"}}},
          {"decision", {{"action", "approve"}, {"rule", "order-updates-need-review"}}}});
  append({{"type", "approval.request"}, {"session", "s-held"}, {"call", "s-held-1"}, {"approval", "a1"}});
  append({{"type", "approval.decision"},
          {"session", "s-held"},
          {"call", "s-held-1"},
          {"approval", "a1"},
          {"decision", "approved"},
          {"reviewer", "bob"}});
  append({{"type", "call.outcome"},
          {"session", "s-held"},
          {"call", "s-held-1"},
          {"status", "ok"},
          {"affected_rows", 1}});

  append({{"type", "session.start"}, {"session", "s-refused"}, {"principal", alice}, {"transport", "stdio"}});
  append({{"type", "call.intent"},
          {"session", "s-refused"},
          {"call", "s-refused-1"},
          {"tool", "run_sql"},
          {"principal", alice},
          {"statement", {{"text", "DROP TABLE customers"}}},
          {"decision", {{"action", "deny"}, {"rule", "default-deny"}}}});
  append(
      {{"type", "call.outcome"}, {"session", "s-refused"}, {"call", "s-refused-1"}, {"status", "refused"}});
  append({{"type", "auth.rejected"}, {"reason", "expired"}});
}

class ConsoleHttpTest : public ::testing::Test {
 protected:
  void start(ConsoleOptions options, Authenticator* auth) {
    if (options.audit_dir.empty()) options.audit_dir = dir_.path() / "audit";
    server_ = std::make_unique<httplib::Server>();
    register_console_routes(*server_, std::move(options), auth);
    port_ = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  }

  void SetUp() override { write_log(dir_.path() / "audit"); }

  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  static ConsoleOptions reviewers() {
    ConsoleOptions o;
    o.reviewer_groups = {"dba"};
    return o;
  }

  httplib::Result get(const std::string& path, const std::string& token = "") {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return client_->Get(path, headers);
  }

  TempDir dir_;
  FakeAuthenticator auth_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<httplib::Client> client_;
  std::thread thread_;
  int port_ = 0;
};

void expect_console_headers(const httplib::Response& res) {
  EXPECT_NE(res.get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_NE(res.get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);
  EXPECT_EQ(res.get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(res.get_header_value("X-Frame-Options"), "DENY");
  EXPECT_EQ(res.get_header_value("Referrer-Policy"), "no-referrer");
}

TEST_F(ConsoleHttpTest, ServesTheEmbeddedAssetsWithoutAuthenticationAndWithSecurityHeaders) {
  start(reviewers(), &auth_);
  const fs::path source = fs::path(SQLGUARD_SOURCE_DIR) / "server" / "admin" / "console";
  struct Case {
    const char* path;
    const char* type;
    const char* file;
  };
  for (const Case& c : {Case{"/console", "text/html; charset=utf-8", "index.html"},
                        Case{"/console/", "text/html; charset=utf-8", "index.html"},
                        Case{"/console/index.html", "text/html; charset=utf-8", "index.html"},
                        Case{"/console/app.js", "text/javascript; charset=utf-8", "app.js"},
                        Case{"/console/app.css", "text/css; charset=utf-8", "app.css"}}) {
    auto res = get(c.path);
    ASSERT_TRUE(res) << c.path;
    EXPECT_EQ(res->status, 200) << c.path;
    EXPECT_EQ(res->get_header_value("Content-Type"), c.type) << c.path;
    expect_console_headers(*res);
    // The binary serves the current files (the embedding is rebuilt when they change).
    EXPECT_EQ(res->body, read_file(source / c.file)) << c.path;
  }
  auto missing = get("/console/other.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(ConsoleHttpTest, AssetsLoadNothingFromElsewhereAndNeverParseDataAsHtml) {
  start(reviewers(), &auth_);
  auto html = get("/console");
  auto js = get("/console/app.js");
  auto css = get("/console/app.css");
  ASSERT_TRUE(html && js && css);
  for (const std::string* body : {&html->body, &js->body, &css->body}) {
    EXPECT_EQ(body->find("http://"), std::string::npos);
    EXPECT_EQ(body->find("https://"), std::string::npos);
    EXPECT_EQ(body->find("@import"), std::string::npos);
  }
  EXPECT_EQ(js->body.find("innerHTML"), std::string::npos);
  EXPECT_EQ(js->body.find("insertAdjacentHTML"), std::string::npos);
  EXPECT_EQ(js->body.find("document.write"), std::string::npos);
  EXPECT_EQ(js->body.find("localStorage"), std::string::npos);  // sessionStorage only
  // No inline script or style (CSP default-src 'self' would block them).
  EXPECT_EQ(html->body.find("<script>"), std::string::npos);
  EXPECT_EQ(html->body.find("style="), std::string::npos);
  for (const char* handler : {"onclick=", "onload=", "onsubmit=", "onchange=", "javascript:"}) {
    EXPECT_EQ(html->body.find(handler), std::string::npos) << handler;
  }
  EXPECT_NE(html->body.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(html->body.find("aria-live"), std::string::npos);
}

TEST_F(ConsoleHttpTest, AuditApiNeedsAnAuthenticatedReviewer) {
  start(reviewers(), &auth_);
  for (const char* path : {"/api/audit/sessions", "/api/audit/sessions/s-read", "/api/audit/verify"}) {
    auto none = get(path);
    ASSERT_TRUE(none);
    EXPECT_EQ(none->status, 401) << path;
    EXPECT_NE(none->get_header_value("WWW-Authenticate").find("resource_metadata"), std::string::npos);
    EXPECT_EQ(json::parse(none->body)["error"], "missing or invalid bearer token");
    expect_console_headers(*none);

    auto bad = get(path, "forged");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 401) << path;

    auto agent = get(path, "agent");
    ASSERT_TRUE(agent);
    EXPECT_EQ(agent->status, 403) << path;
    EXPECT_NE(json::parse(agent->body)["error"].get<std::string>().find("alice"), std::string::npos);

    auto reviewer = get(path, "reviewer");
    ASSERT_TRUE(reviewer);
    EXPECT_EQ(reviewer->status, 200) << path;
    EXPECT_EQ(reviewer->get_header_value("Content-Type"), "application/json");
    EXPECT_EQ(reviewer->get_header_value("Cache-Control"), "no-store");
  }
}

TEST_F(ConsoleHttpTest, AuditorGroupsReplaceTheReviewerDefault) {
  ConsoleOptions o = reviewers();
  o.auditor_groups = {"auditors"};
  start(o, &auth_);
  EXPECT_EQ(get("/api/audit/sessions", "auditor")->status, 200);
  EXPECT_EQ(get("/api/audit/sessions", "reviewer")->status, 403);
}

TEST_F(ConsoleHttpTest, NoGroupsConfiguredMeansNobodyReadsTheAuditApi) {
  start(ConsoleOptions{}, &auth_);
  EXPECT_EQ(get("/api/audit/sessions", "reviewer")->status, 403);
  EXPECT_EQ(get("/api/audit/sessions", "auditor")->status, 403);
}

TEST_F(ConsoleHttpTest, WithoutAnAuthenticatorOnlyTrustedLoopbackIsServed) {
  {
    start(reviewers(), nullptr);
    EXPECT_EQ(get("/api/audit/sessions")->status, 401);
    EXPECT_EQ(get("/console")->status, 200);
    TearDown();
  }
  ConsoleOptions o = reviewers();
  o.trust_loopback_reviewer_header = true;
  start(o, nullptr);
  EXPECT_EQ(get("/api/audit/sessions")->status, 401);  // no header
  auto as = [&](const std::string& spec, const std::string& host = "127.0.0.1") {
    return client_->Get("/api/audit/sessions", {{"X-Sqlguard-Reviewer", spec}, {"Host", host}})->status;
  };
  EXPECT_EQ(as("bob:dba"), 200);
  EXPECT_EQ(as("bob:dba", "localhost:8080"), 200);
  EXPECT_EQ(as("alice:analysts"), 403);           // still needs an auditor group
  EXPECT_EQ(as("bob:dba", "evil.example"), 401);  // DNS rebinding
}

TEST_F(ConsoleHttpTest, RequestFilterRunsFirst) {
  ConsoleOptions o = reviewers();
  o.request_filter = [](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Host").starts_with("evil")) {
      res.status = 403;
      res.set_content(R"({"error":"host not allowed"})", "application/json");
      return false;
    }
    return true;
  };
  start(o, &auth_);
  httplib::Headers evil = {{"Host", "evil.example"}, {"Authorization", "Bearer reviewer"}};
  EXPECT_EQ(client_->Get("/console", evil)->status, 403);
  EXPECT_EQ(client_->Get("/api/audit/sessions", evil)->status, 403);
  EXPECT_EQ(get("/api/audit/sessions", "reviewer")->status, 200);
}

TEST_F(ConsoleHttpTest, ListsSessionsNewestFirstWithCounts) {
  start(reviewers(), &auth_);
  auto res = get("/api/audit/sessions", "reviewer");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json sessions = json::parse(res->body)["sessions"];
  ASSERT_EQ(sessions.size(), 3u) << sessions.dump();
  EXPECT_EQ(sessions[0]["session"], "s-refused");
  EXPECT_EQ(sessions[1]["session"], "s-held");
  EXPECT_EQ(sessions[2]["session"], "s-read");
  EXPECT_EQ(sessions[2]["subject"], "alice");
  EXPECT_EQ(sessions[2]["client"], "agent 1.0");
  EXPECT_EQ(sessions[2]["transport"], "http");
  EXPECT_EQ(sessions[2]["calls"], 1);
  EXPECT_EQ(sessions[2]["refusals"], 0);
  EXPECT_TRUE(sessions[2]["ended"].is_string());
  EXPECT_TRUE(sessions[1]["ended"].is_null());
  EXPECT_EQ(sessions[0]["transport"], "stdio");
  EXPECT_EQ(sessions[0]["refusals"], 1);  // the deny intent and its refused outcome: one call

  auto one = get("/api/audit/sessions?limit=1", "reviewer");
  ASSERT_TRUE(one);
  EXPECT_EQ(json::parse(one->body)["sessions"].size(), 1u);
  for (const char* bad : {"0", "abc", "1001", "-1", "5x"}) {
    auto r = get(std::string("/api/audit/sessions?limit=") + bad, "reviewer");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad;
  }
}

TEST_F(ConsoleHttpTest, SessionTimelineHoldsItsRecordsInLogOrder) {
  start(reviewers(), &auth_);
  auto res = get("/api/audit/sessions/s-held", "reviewer");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json doc = json::parse(res->body);
  EXPECT_EQ(doc["session"], "s-held");
  EXPECT_EQ(doc["truncated"], false);
  std::vector<std::string> types;
  uint64_t last_seq = 0;
  for (const auto& r : doc["records"]) {
    types.push_back(r["type"]);
    EXPECT_GT(r["seq"].get<uint64_t>(), last_seq);
    last_seq = r["seq"];
    EXPECT_TRUE(r.contains("prev"));  // records as stored, envelope included
  }
  EXPECT_EQ(types, (std::vector<std::string>{"session.start", "call.intent", "approval.request",
                                             "approval.decision", "call.outcome"}));
  EXPECT_EQ(get("/api/audit/sessions/nope", "reviewer")->status, 404);
}

TEST_F(ConsoleHttpTest, SessionTimelineIsCutAtTheConfiguredMaximum) {
  ConsoleOptions o = reviewers();
  o.max_session_records = 2;
  start(o, &auth_);
  const json doc = json::parse(get("/api/audit/sessions/s-held", "reviewer")->body);
  EXPECT_EQ(doc["records"].size(), 2u);
  EXPECT_EQ(doc["truncated"], true);
}

TEST_F(ConsoleHttpTest, VerifyReportsTheLogStatusAndDetectsAnEdit) {
  start(reviewers(), &auth_);
  auto res = get("/api/audit/verify", "reviewer");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json v = json::parse(res->body);
  EXPECT_EQ(v["ok"], true) << v.dump();
  EXPECT_TRUE(v["summary"].get<std::string>().starts_with("audit verify: OK")) << v["summary"];
  EXPECT_GE(v["records"].get<uint64_t>(), 14u);
  EXPECT_EQ(v["origin"], "sqlguard.test/console");
  EXPECT_TRUE(v["warnings"].is_array());
  EXPECT_FALSE(v["warnings"].empty());  // unsigned checkpoints are not proven
  EXPECT_TRUE(v["failure"].is_null());

  // Edit one byte of a record: the chain breaks.
  const fs::path segment = dir_.path() / "audit" / "audit-000001.jsonl";
  std::string text = read_file(segment);
  const auto at = text.find("DROP TABLE customers");
  ASSERT_NE(at, std::string::npos);
  text[at] = 'd';
  std::ofstream(segment, std::ios::binary | std::ios::trunc) << text;
  v = json::parse(get("/api/audit/verify", "reviewer")->body);
  EXPECT_EQ(v["ok"], false);
  EXPECT_TRUE(v["summary"].get<std::string>().starts_with("audit verify: FAILED")) << v["summary"];
  ASSERT_TRUE(v["failure"].is_object());
  EXPECT_EQ(v["failure"]["segment"], "audit-000001.jsonl");
  EXPECT_FALSE(v["failure"]["message"].get<std::string>().empty());
}

TEST_F(ConsoleHttpTest, UnreadableLogIsAServiceError) {
  ConsoleOptions o = reviewers();
  o.audit_dir = dir_.path() / "missing";
  start(o, &auth_);
  auto res = get("/api/audit/sessions", "reviewer");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(json::parse(res->body)["error"], "cannot read the audit log");
}

TEST(SummarizeSessions, UsesTheFirstRecordWhenThereIsNoSessionStart) {
  std::vector<json> records = {
      {{"type", "call.intent"},
       {"time", "2026-01-01T00:00:00.000000Z"},
       {"session", "x"},
       {"call", "x-1"},
       {"principal", {{"subject", "svc"}}},
       {"decision", {{"action", "deny"}}}},
      {{"type", "call.intent"},
       {"time", "2026-01-01T00:00:01.000000Z"},
       {"session", "x"},
       {"call", "x-2"},
       {"principal", {{"subject", "svc"}}},
       {"decision", {{"action", "allow"}}}},
      {{"type", "auth.rejected"}, {"time", "2026-01-01T00:00:02.000000Z"}},
      "not an object",
  };
  const json out = summarize_sessions(records, 10);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["subject"], "svc");
  EXPECT_EQ(out[0]["started"], "2026-01-01T00:00:00.000000Z");
  EXPECT_EQ(out[0]["calls"], 2);
  EXPECT_EQ(out[0]["refusals"], 1);
  EXPECT_TRUE(summarize_sessions(records, 0).empty());
}

}  // namespace
}  // namespace sqlguard::server

#endif  // CPPHTTPLIB_OPENSSL_SUPPORT
