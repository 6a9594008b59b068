// The approvals: config section (defaults, locations of errors) and the `sqlguard approvals`
// CLI (list, show, approve, deny) on a SQLite store.
#include "server/cli/approvals_commands.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "approvals/approval_service.h"
#include "server/cli/app.h"
#include "server/config/config.h"

namespace sqlguard::server {
namespace {

namespace fs = std::filesystem;

const std::string kBase =
    "database: {socket: /tmp/none.sock, user: u, password_env: NONE}\n"
    "policy:\n"
    "  rules:\n"
    "    - {id: order-updates, action: approve, kinds: [update], tables: [shop.orders], approvers: [dba]}\n"
    "audit: {dir: audit}\n";

TEST(ApprovalsConfig, AbsentSectionDisablesAndDefaultsApply) {
  auto off = parse_config(kBase, "sqlguard.yaml", "/etc/sqlguard");
  ASSERT_TRUE(off.has_value()) << off.error().message;
  EXPECT_FALSE(off->approvals.enabled);
  auto on = parse_config(kBase + "approvals: {}\n", "sqlguard.yaml", "/etc/sqlguard");
  ASSERT_TRUE(on.has_value()) << on.error().message;
  EXPECT_TRUE(on->approvals.enabled);
  EXPECT_EQ(on->approvals.store, "sqlite");
  EXPECT_EQ(on->approvals.sqlite_path, fs::path("/etc/sqlguard/approvals.db"));
  EXPECT_EQ(on->approvals.wait_ms, 25000u);
  EXPECT_EQ(on->approvals.expiry_s, 3600u);
  EXPECT_FALSE(on->approvals.trust_loopback_reviewer_header);
  const auto options = approval_service_options(*on);
  EXPECT_EQ(options.known_approver_groups, std::vector<std::string>{"dba"});
}

TEST(ApprovalsConfig, MariaDbStoreAndErrorsWithLocations) {
  auto ok =
      parse_config(kBase +
                       "approvals:\n"
                       "  store: {type: mariadb, host: db.internal, port: 3307, user: sg, password_file: pw, "
                       "database: meta}\n"
                       "  wait_ms: 1000\n  expiry_s: 60\n  reviewer_groups: [security]\n"
                       "  webhook_url: https://hooks.example/x\n  trust_loopback_reviewer_header: true\n",
                   "sqlguard.yaml", "/etc/sqlguard");
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_EQ(ok->approvals.store, "mariadb");
  EXPECT_EQ(ok->approvals.mariadb.host, "db.internal");
  EXPECT_EQ(ok->approvals.mariadb.port, 3307);
  EXPECT_EQ(ok->approvals.mariadb.database, "meta");
  EXPECT_EQ(ok->approvals.mariadb_credential.password_file, fs::path("/etc/sqlguard/pw"));
  EXPECT_EQ(ok->approvals.reviewer_groups, std::vector<std::string>{"security"});
  EXPECT_TRUE(ok->approvals.trust_loopback_reviewer_header);

  struct Case {
    std::string yaml;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {"approvals:\n  store: {type: postgres}\n",
            "sqlguard.yaml:7:17: approvals.store.type: expected sqlite or mariadb"},
           {"approvals:\n  store: {type: mariadb, user: u, password: x, database: d}\n",
            "approvals.store.password: inline passwords are not allowed"},
           {"approvals:\n  store: {type: mariadb, user: u, database: d}\n",
            "set password_file or password_env"},
           {"approvals:\n  store: {type: sqlite, user: u}\n", "approvals.store.user: only for type: mariadb"},
           {"approvals:\n  wait_ms: soon\n", "approvals.wait_ms"},
           {"approvals:\n  webhook_url: ftp://x\n",
            "approvals.webhook_url: expected an http:// or https:// URL"},
           {"approvals:\n  reviewers: [x]\n", "approvals.reviewers: unknown key"},
       }) {
    auto r = parse_config(kBase + c.yaml, "sqlguard.yaml", "/etc/sqlguard");
    ASSERT_FALSE(r.has_value()) << c.yaml;
    EXPECT_NE(r.error().message.find(c.expected), std::string::npos) << r.error().message;
  }
}

class ApprovalsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sqlguard-approvals-cli-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
    fs::create_directories(dir_);
    config_file_ = dir_ / "sqlguard.yaml";
    std::ofstream(config_file_) << kBase << "approvals: {store: {type: sqlite, path: approvals.db}}\n";
    auto config = load_config(config_file_);
    ASSERT_TRUE(config.has_value()) << config.error().message;
    auto store = open_approval_store(config->approvals);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    approvals::ApprovalServiceOptions o = approval_service_options(*config);
    o.background = false;
    service_ = std::make_unique<approvals::ApprovalService>(std::move(*store), nullptr, o);
    approvals::NewApproval n;
    n.principal.subject = "agent";
    n.statement = "UPDATE shop.orders SET status='x' WHERE id=1";
    n.sha256 = "abc";
    n.rule = "order-updates";
    n.approver_groups = {"dba"};
    auto r = service_->create(n);
    ASSERT_TRUE(r.has_value());
    id_ = r->id;
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// Runs `sqlguard approvals ARGS...` in-process; returns the exit code, stdout in `out`.
  int run(std::vector<std::string> args, std::string* out = nullptr) {
    CLI::App app;
    int exit_code = -1;
    register_approvals_commands(app, exit_code);
    args.insert(args.begin(), "approvals");
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    std::stringstream captured;
    auto* old = std::cout.rdbuf(captured.rdbuf());
    try {
      app.parse(reversed);
    } catch (const CLI::ParseError& e) {
      exit_code = app.exit(e);
    }
    std::cout.rdbuf(old);
    if (out) *out = captured.str();
    return exit_code;
  }

  fs::path dir_;
  fs::path config_file_;
  std::unique_ptr<approvals::ApprovalService> service_;
  std::string id_;
};

TEST_F(ApprovalsCliTest, ListShowApproveDeny) {
  std::string out;
  EXPECT_EQ(run({"list", "--config", config_file_.string()}, &out), 0);
  EXPECT_NE(out.find(id_), std::string::npos) << out;
  EXPECT_EQ(run({"show", "--config", config_file_.string(), "--json", id_}, &out), 0);
  EXPECT_EQ(nlohmann::json::parse(out)["state"], "pending");

  EXPECT_EQ(run({"approve", "--config", config_file_.string(), "--as", "agent:dba", id_}), 1)
      << "self-approval";
  EXPECT_EQ(run({"approve", "--config", config_file_.string(), "--as", "eve:analysts", id_}), 1)
      << "not a reviewer";
  EXPECT_EQ(
      run({"approve", "--config", config_file_.string(), "--as", "bob:dba", "--comment", "ok", id_}, &out),
      0);
  EXPECT_NE(out.find("approved"), std::string::npos) << out;
  EXPECT_EQ(run({"deny", "--config", config_file_.string(), "--as", "bob:dba", id_}), 1) << "already decided";
  EXPECT_EQ(run({"show", "--config", config_file_.string(), "apr_missing"}), 1);
  EXPECT_EQ(run({"list", "--config", config_file_.string(), "--state", "bogus"}), 2);

  auto r = service_->get(id_);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, approvals::ApprovalState::kApproved);
  ASSERT_EQ(r->approvals.size(), 1u);
  EXPECT_EQ(r->approvals[0].auth, "cli");
  EXPECT_EQ(r->approvals[0].comment, "ok");
  EXPECT_EQ(r->recorded, 0u) << "the CLI has no audit log: the server records it";
}

}  // namespace
}  // namespace sqlguard::server
