// The approvals HTTP API on 127.0.0.1 (port 0) driven by httplib::Client: authentication
// (Authenticator, loopback reviewer header, 401 otherwise), the Approval JSON contract, list
// filters and visibility, approve/deny with their 403/404/409/400 answers, whoami; the webhook.
#include "server/admin/approvals_http.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "approvals/sqlite_approval_store.h"

#if defined(CPPHTTPLIB_OPENSSL_SUPPORT)
#include <httplib.h>

namespace sqlguard::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

/// Authenticates "Authorization: Bearer SUBJECT:groups" (test only).
class FakeAuthenticator final : public Authenticator {
 public:
  std::expected<policy::Principal, AuthFailure> authenticate(const httplib::Request& req) override {
    const std::string h = req.get_header_value("Authorization");
    if (h.rfind("Bearer ", 0) != 0)
      return std::unexpected(AuthFailure{401, "Bearer realm=\"test\"", "missing token"});
    policy::Principal p;
    const std::string spec = h.substr(7);
    const auto colon = spec.find(':');
    p.subject = spec.substr(0, colon);
    if (colon != std::string::npos) {
      std::string groups = spec.substr(colon + 1);
      size_t start = 0;
      while (start <= groups.size()) {
        const auto comma = groups.find(',', start);
        p.groups.push_back(groups.substr(start, comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    p.auth_method = "test";
    return p;
  }
};

class ApprovalsHttpTest : public ::testing::Test {
 protected:
  void start(Authenticator* auth, ApprovalsHttpOptions options = {}) {
    dir_ = fs::temp_directory_path() /
           ("sqlguard-approvals-http-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
    fs::create_directories(dir_);
    auto store = approvals::SqliteApprovalStore::open(dir_ / "approvals.db");
    ASSERT_TRUE(store.has_value());
    approvals::ApprovalServiceOptions o;
    o.background = false;
    o.reviewer_groups = {"security"};
    o.known_approver_groups = {"dba"};
    service_ = std::make_unique<approvals::ApprovalService>(std::move(*store), nullptr, o);
    register_approval_routes(server_, *service_, auth, options);
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }

  void TearDown() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
    fs::remove_all(dir_);
  }

  std::string hold(const std::string& requester = "agent", uint32_t required = 1) {
    approvals::NewApproval n;
    n.principal.subject = requester;
    n.principal.groups = {"analysts"};
    n.principal.client_name = "claude-code";
    n.session_id = "s";
    n.call_id = "c";
    n.statement = "UPDATE shop.orders SET status='x' WHERE id=1";
    n.sha256 = "abc";
    n.kind = "update";
    n.tables = {"shop.orders"};
    n.rule = "order-updates";
    n.reason = "needs a DBA";
    n.approver_groups = {"dba"};
    n.approvals_required = required;
    auto r = service_->create(n);
    EXPECT_TRUE(r.has_value());
    return r ? r->id : "";
  }

  httplib::Result get(const std::string& path, const std::string& as) {
    httplib::Client c("127.0.0.1", port_);
    httplib::Headers h;
    if (!as.empty()) h.emplace("Authorization", "Bearer " + as);
    return c.Get(path.c_str(), h);
  }

  httplib::Result post(const std::string& path, const std::string& as, const std::string& body) {
    httplib::Client c("127.0.0.1", port_);
    httplib::Headers h;
    if (!as.empty()) h.emplace("Authorization", "Bearer " + as);
    return c.Post(path.c_str(), h, body, "application/json");
  }

  fs::path dir_;
  std::unique_ptr<approvals::ApprovalService> service_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  FakeAuthenticator auth_;
};

TEST_F(ApprovalsHttpTest, ApprovalJsonContract) {
  start(&auth_);
  const std::string id = hold();
  auto r = get("/api/approvals/" + id, "bob:dba");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  const json a = json::parse(r->body);
  EXPECT_EQ(a["id"], id);
  EXPECT_EQ(a["state"], "pending");
  EXPECT_EQ(a["principal"],
            (json{{"subject", "agent"}, {"groups", {"analysts"}}, {"client", "claude-code"}}));
  EXPECT_EQ(a["statement"], "UPDATE shop.orders SET status='x' WHERE id=1");
  EXPECT_EQ(a["sha256"], "abc");
  EXPECT_EQ(a["kind"], "update");
  EXPECT_EQ(a["tables"], json::array({"shop.orders"}));
  EXPECT_EQ(a["rule"], "order-updates");
  EXPECT_EQ(a["reason"], "needs a DBA");
  EXPECT_TRUE(a["created_at"].get<std::string>().ends_with("Z"));
  EXPECT_TRUE(a["expires_at"].is_string());
  EXPECT_EQ(a["approvals_required"], 1);
  EXPECT_EQ(a["approvals"], json::array());
  EXPECT_TRUE(a["denial"].is_null());
}

TEST_F(ApprovalsHttpTest, ApproveDenyAndErrors) {
  start(&auth_);
  const std::string id = hold("agent", 2);
  auto unauth = post("/api/approvals/" + id + "/approve", "", "{}");
  ASSERT_TRUE(unauth);
  EXPECT_EQ(unauth->status, 401);
  EXPECT_EQ(unauth->get_header_value("WWW-Authenticate"), "Bearer realm=\"test\"");
  EXPECT_EQ(post("/api/approvals/" + id + "/approve", "mallory:analysts", "{}")->status, 403);
  auto self = post("/api/approvals/" + id + "/approve", "agent:dba", "{}");
  EXPECT_EQ(self->status, 409);
  EXPECT_NE(json::parse(self->body)["error"].get<std::string>().find("self-approval"), std::string::npos);
  EXPECT_EQ(post("/api/approvals/apr_nope/approve", "bob:dba", "{}")->status, 404);
  EXPECT_EQ(post("/api/approvals/" + id + "/approve", "bob:dba", "{not json")->status, 400);
  EXPECT_EQ(post("/api/approvals/" + id + "/approve", "bob:dba", R"({"comment": 5})")->status, 400);
  EXPECT_EQ(post("/api/approvals/" + id + "/approve", "bob:dba", R"({"note": "x"})")->status, 400);

  auto first = post("/api/approvals/" + id + "/approve", "bob:dba", R"({"comment": "one"})");
  ASSERT_EQ(first->status, 200) << first->body;
  EXPECT_EQ(json::parse(first->body)["state"], "pending");
  EXPECT_EQ(post("/api/approvals/" + id + "/approve", "bob:dba", "{}")->status, 409) << "same reviewer twice";
  auto second = post("/api/approvals/" + id + "/approve", "carol:security", "");
  ASSERT_EQ(second->status, 200) << second->body;
  const json a = json::parse(second->body);
  EXPECT_EQ(a["state"], "approved");
  ASSERT_EQ(a["approvals"].size(), 2u);
  EXPECT_EQ(a["approvals"][0]["reviewer"], "bob");
  EXPECT_EQ(a["approvals"][0]["comment"], "one");
  EXPECT_TRUE(a["approvals"][0]["at"].is_string());
  EXPECT_EQ(post("/api/approvals/" + id + "/deny", "bob:dba", "{}")->status, 409) << "already decided";

  const std::string id2 = hold();
  auto denied = post("/api/approvals/" + id2 + "/deny", "bob:dba", R"({"comment": "not today"})");
  ASSERT_EQ(denied->status, 200);
  const json d = json::parse(denied->body);
  EXPECT_EQ(d["state"], "denied");
  EXPECT_EQ(d["denial"]["reviewer"], "bob");
  EXPECT_EQ(d["denial"]["comment"], "not today");
}

TEST_F(ApprovalsHttpTest, ListFiltersAndVisibility) {
  start(&auth_);
  const std::string mine = hold("agent");
  const std::string other = hold("other-agent");
  ASSERT_EQ(post("/api/approvals/" + other + "/deny", "bob:dba", "{}")->status, 200);
  auto pending = get("/api/approvals", "bob:dba");
  ASSERT_EQ(pending->status, 200);
  json list = json::parse(pending->body)["approvals"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], mine);
  auto all = json::parse(get("/api/approvals?state=all", "bob:dba")->body)["approvals"];
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["id"], other) << "newest first";
  EXPECT_EQ(json::parse(get("/api/approvals?state=denied", "bob:dba")->body)["approvals"].size(), 1u);
  EXPECT_EQ(get("/api/approvals?state=bogus", "bob:dba")->status, 400);
  // A non-reviewer sees only their own requests.
  auto own = json::parse(get("/api/approvals?state=all", "agent:analysts")->body)["approvals"];
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0]["id"], mine);
  EXPECT_EQ(get("/api/approvals/" + other, "agent:analysts")->status, 404);
  EXPECT_EQ(get("/api/approvals/" + mine, "agent:analysts")->status, 200);
}

TEST_F(ApprovalsHttpTest, Whoami) {
  start(&auth_);
  auto r = get("/api/whoami", "bob:dba,ops");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body), (json{{"subject", "bob"}, {"groups", {"dba", "ops"}}, {"reviewer", true}}));
  EXPECT_EQ(json::parse(get("/api/whoami", "agent:analysts")->body)["reviewer"], false);
  EXPECT_EQ(get("/api/whoami", "")->status, 401);
}

TEST_F(ApprovalsHttpTest, WithoutAuthenticatorEverythingIs401) {
  start(nullptr);
  httplib::Client c("127.0.0.1", port_);
  auto r = c.Get("/api/whoami", {{"X-Sqlguard-Reviewer", "bob:dba"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

TEST_F(ApprovalsHttpTest, LoopbackReviewerHeaderWhenTrusted) {
  ApprovalsHttpOptions options;
  options.trust_loopback_reviewer_header = true;
  start(nullptr, options);
  const std::string id = hold();
  httplib::Client c("127.0.0.1", port_);
  auto who = c.Get("/api/whoami", {{"X-Sqlguard-Reviewer", "bob:dba"}});
  ASSERT_EQ(who->status, 200);
  EXPECT_EQ(json::parse(who->body)["subject"], "bob");
  EXPECT_EQ(c.Get("/api/whoami")->status, 401) << "header missing";
  // DNS rebinding: a foreign Host is refused even from loopback.
  EXPECT_EQ(c.Get("/api/whoami", {{"X-Sqlguard-Reviewer", "bob:dba"}, {"Host", "evil.example"}})->status,
            401);
  auto ok = c.Post(("/api/approvals/" + id + "/approve").c_str(), {{"X-Sqlguard-Reviewer", "bob:dba"}},
                   R"({"comment": "local"})", "application/json");
  ASSERT_EQ(ok->status, 200) << ok->body;
  auto got = service_->get(id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->approvals[0].auth, "loopback-header");
}

TEST_F(ApprovalsHttpTest, WebhookPostsSlackCompatibleJson) {
  start(&auth_);
  httplib::Server hook;
  std::mutex m;
  std::vector<std::string> bodies;
  hook.Post("/hooks/T1", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(m);
    bodies.push_back(req.body);
    res.status = 200;
  });
  const int port = hook.bind_to_any_port("127.0.0.1");
  std::thread t([&] { hook.listen_after_bind(); });
  while (!hook.is_running()) std::this_thread::sleep_for(1ms);
  WebhookNotifier notifier("http://127.0.0.1:" + std::to_string(port) + "/hooks/T1");
  auto r = service_->get(hold());
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(notifier.announce(*r));
  WebhookNotifier nowhere("http://127.0.0.1:1/x");
  EXPECT_FALSE(nowhere.announce(*r));
  hook.stop();
  t.join();
  ASSERT_EQ(bodies.size(), 1u);
  const json body = json::parse(bodies[0]);
  ASSERT_TRUE(body["text"].is_string());
  EXPECT_NE(body["text"].get<std::string>().find(r->id), std::string::npos);
  EXPECT_NE(body["text"].get<std::string>().find("UPDATE shop.orders"), std::string::npos);
}

}  // namespace
}  // namespace sqlguard::server
#endif
