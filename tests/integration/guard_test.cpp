// The guard end to end against a real MariaDB: policy refusals have no effect, limits hold,
// sessions do not carry state, the database can restart, and every call is recorded.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "mariadb_fixture.h"
#include "recorder/audit_verify.h"
#include "recorder/log_files.h"
#include "server/cli/app.h"
#include "server/config/config.h"

namespace sqlguard {
namespace {

namespace fs = std::filesystem;
using testing::MariaDbFixture;

/// Writes a config for the fixture's database with the given policy section (YAML text).
server::Config make_config(const fs::path& dir, const std::string& policy_yaml) {
  auto& db = MariaDbFixture::instance();
  std::ofstream(dir / "sqlguard.yaml")
      << "database:\n"
      << "  socket: " << db.socket() << "\n"
      << "  user: sqlguard_agent\n"
      << "  password_file: " << db.password_file().string() << "\n"
      << "  database: shop\n"
      << "stdio:\n  principal: {subject: it-agent, groups: [analysts]}\n"
      << policy_yaml << "masking:\n"
      << "  hash_key_file: " << db.masking_key_file().string() << "\n"
      << "  rules:\n"
      << "    - {id: pii-email, columns: [shop.customers.email], method: email}\n"
      << "    - {id: pii-ssn, columns: [shop.customers.ssn], method: redact}\n"
      << "audit:\n  dir: " << (dir / "audit").string() << "\n  origin: it.sqlguard/audit\n";
  auto config = server::load_config(dir / "sqlguard.yaml");
  EXPECT_TRUE(config.has_value()) << config.error().message;
  return config.value_or(server::Config{});
}

const char* kReadPolicy =
    "policy:\n"
    "  defaults: {max_rows: 100, timeout_ms: 5000}\n"
    "  rules:\n"
    "    - {id: read-shop, action: allow, principals: {groups: [analysts]}, kinds: [select, show, describe, "
    "explain], tables: ['shop.*']}\n"
    "    - {id: no-notes, action: deny, tables: [shop.staff_notes]}\n"
    "    - {id: order-updates, action: approve, kinds: [update], tables: [shop.orders], approvers: [dba]}\n"
    "    - {id: slow-limit, action: allow, principals: {groups: [analysts]}, kinds: [select], tables: "
    "[shop.orders], timeout_ms: 200}\n";

class GuardIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("guard");
    config_ = make_config(dir_, kReadPolicy);
    auto app = server::App::create(config_);
    ASSERT_TRUE(app.has_value()) << app.error().message;
    app_ = std::move(*app);
  }

  guard::CallInfo call() const {
    guard::CallInfo c;
    c.principal = config_.stdio_principal;
    c.session_id = "it-session";
    c.request_id = "1";
    c.transport = "stdio";
    c.tool = "run_sql";
    return c;
  }

  std::expected<guard::SqlOutcome, guard::SqlFailure> run(const std::string& sql) {
    return app_->guard().run_sql(call(), sql, std::nullopt);
  }

  static std::string count(const std::string& sql) {
    auto rs = MariaDbFixture::instance().root_query(sql);
    return rs.rows.empty() || !rs.rows[0][0] ? "" : *rs.rows[0][0];
  }

  fs::path dir_;
  server::Config config_;
  std::unique_ptr<server::App> app_;
};

TEST_F(GuardIntegration, AllowedSelectReturnsRowsAndMasks) {
  auto r = run("SELECT id, name, email, ssn FROM customers WHERE id = 1");
  ASSERT_TRUE(r.has_value()) << r.error().error.message;
  ASSERT_EQ(r->result.rows.size(), 1u);
  EXPECT_EQ(r->result.rows[0][1], "Ada Lovelace");
  EXPECT_NE(r->result.rows[0][2], "ada.lovelace@example.com");
  EXPECT_TRUE(r->result.columns[2].masked);
  EXPECT_NE(r->result.rows[0][3], "900-12-0001");
  EXPECT_EQ(r->masked_columns.size(), 2u);
}

struct Hostile {
  std::string sql;
  std::string effect_check;  // root query that must return `expected` afterwards
  std::string expected;
};

TEST_F(GuardIntegration, RefusedStatementsHaveNoEffect) {
  MariaDbFixture::instance().reset_data();
  const std::string files = (MariaDbFixture::instance().dir() / "db" / "files").string();
  const std::string table_exists =
      "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='shop' AND TABLE_NAME=";
  const std::vector<Hostile> cases = {
      {"DROP TABLE customers", table_exists + "'customers'", "1"},
      {"SELECT 1; DROP TABLE orders", table_exists + "'orders'", "1"},
      {"SELECT 1 /*!50000 ; DROP TABLE orders */", table_exists + "'orders'", "1"},
      {"/*!DROP TABLE orders*/", table_exists + "'orders'", "1"},
      {"/*M!100000 DROP TABLE orders */", table_exists + "'orders'", "1"},
      {"SELECT 1 #'\n;DROP TABLE orders;#'", table_exists + "'orders'", "1"},
      {"SELECT '\\' , ' ; DROP TABLE orders; -- '", table_exists + "'orders'", "1"},
      {"SELECT 1--1;DROP TABLE orders", table_exists + "'orders'", "1"},
      {"EXECUTE IMMEDIATE CONCAT('DR','OP TABLE orders')", table_exists + "'orders'", "1"},
      {"PREPARE s FROM 'DROP TABLE orders'", table_exists + "'orders'", "1"},
      {"UPDATE orders SET status='cancelled' WHERE id=1", "SELECT status FROM shop.orders WHERE id=1",
       "delivered"},
      {"DELETE FROM orders", "SELECT COUNT(*) FROM shop.orders", "16"},
      {"INSERT INTO orders VALUES (99,1,1,1,1,'placed',NOW())", "SELECT COUNT(*) FROM shop.orders", "16"},
      {"TRUNCATE TABLE orders", "SELECT COUNT(*) FROM shop.orders", "16"},
      {"CREATE TABLE shop.copy AS SELECT * FROM customers", table_exists + "'copy'", "0"},
      {"GRANT ALL ON *.* TO 'sqlguard_agent'@'localhost'",
       "SELECT COUNT(*) FROM mysql.global_priv WHERE User='sqlguard_agent' AND Priv LIKE "
       "'%\"access\":18446744073709551615%'",
       "0"},
      {"CREATE USER evil IDENTIFIED BY 'x'", "SELECT COUNT(*) FROM mysql.global_priv WHERE User='evil'", "0"},
  };
  for (const auto& c : cases) {
    auto r = run(c.sql);
    EXPECT_FALSE(r.has_value()) << "allowed: " << c.sql;
    if (!r) {
      EXPECT_EQ(r.error().error.code, common::ErrorCode::kRefused)
          << c.sql << ": " << r.error().error.message;
    }
    EXPECT_EQ(count(c.effect_check), c.expected) << "effect of: " << c.sql;
  }
  // File I/O: nothing written, nothing read.
  for (const std::string& sql :
       std::vector<std::string>{"SELECT * FROM customers INTO OUTFILE '" + files + "/out.txt'",
                                "SELECT email FROM customers LIMIT 1 INTO DUMPFILE '" + files + "/dump.bin'",
                                std::string("SELECT LOAD_FILE('/etc/passwd')"),
                                std::string("SELECT load_file /**/ ('/etc/hostname')"),
                                "LOAD DATA INFILE '" + files + "/x' INTO TABLE orders"}) {
    auto r = run(sql);
    EXPECT_FALSE(r.has_value()) << "allowed: " << sql;
  }
  EXPECT_FALSE(fs::exists(files + "/out.txt"));
  EXPECT_FALSE(fs::exists(files + "/dump.bin"));
  // Locks and timing: refused, so no lock is held afterwards.
  for (const char* sql :
       {"SELECT GET_LOCK('sg_it', 0)", "DO GET_LOCK('sg_it', 0)", "SELECT SLEEP(3)",
        "SELECT BENCHMARK(100000000, SHA2('x', 256))",
        "SET STATEMENT max_statement_time=0 FOR SELECT * FROM orders", "SELECT * FROM orders FOR UPDATE",
        "LOCK TABLES orders WRITE", "START TRANSACTION", "SET @a = 1", "SET SESSION sql_mode = 'ANSI_QUOTES'",
        "HANDLER customers OPEN", "SELECT * FROM staff_notes", "SELECT note FROM shop.staff_notes",
        "SELECT * FROM mysql.user", "SHOW PROCESSLIST", "SELECT @@datadir"}) {
    auto r = run(sql);
    EXPECT_FALSE(r.has_value()) << "allowed: " << sql;
  }
  EXPECT_EQ(count("SELECT IS_FREE_LOCK('sg_it')"), "1");
}

TEST_F(GuardIntegration, LimitsHold) {
  auto r = app_->guard().run_sql(call(), "SELECT id FROM orders ORDER BY id", 3);
  ASSERT_TRUE(r.has_value()) << r.error().error.message;
  EXPECT_EQ(r->result.rows.size(), 3u);
  EXPECT_TRUE(r->result.truncated);
  // rule slow-limit sets a 200 ms timeout for selects on orders; a cartesian product exceeds it.
  auto slow =
      run("SELECT COUNT(*) FROM orders a, orders b, orders c, orders d, orders e, orders f, orders g");
  ASSERT_FALSE(slow.has_value());
  EXPECT_EQ(slow.error().error.code, common::ErrorCode::kTimeout) << slow.error().error.message;
  // The connection went back healthy.
  auto after = run("SELECT COUNT(*) FROM orders");
  ASSERT_TRUE(after.has_value()) << after.error().error.message;
}

TEST_F(GuardIntegration, SessionStateDoesNotCarryOver) {
  auto c = db::MariaDbConnection::open(MariaDbFixture::instance().agent_endpoint());
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE((*c)->query("SET @leak = 'x'").has_value());
  ASSERT_TRUE((*c)->query("SELECT GET_LOCK('sg_carry', 0)").has_value());
  ASSERT_TRUE((*c)->reset());
  auto v = (*c)->query("SELECT @leak, IS_FREE_LOCK('sg_carry')");
  ASSERT_TRUE(v.has_value());
  EXPECT_FALSE(v->rows[0][0].has_value());
  EXPECT_EQ(v->rows[0][1], "1");
}

TEST_F(GuardIntegration, SessionResetsAreSkippedOnlyWhereTheCallerProvedThem) {
  auto c = db::MariaDbConnection::open(MariaDbFixture::instance().agent_endpoint());
  ASSERT_TRUE(c.has_value());
  db::ExecuteOptions keep;
  keep.leaves_session_unchanged = true;
  keep.ignores_session_residue = true;
  const db::ExecuteOptions unproven;  // the defaults: reset before (if used) and after
  // A session variable only a reset clears, set by a statement that (falsely, for the test)
  // claims to change nothing: the reset is skipped, so the variable survives.
  ASSERT_TRUE((*c)->execute("SET @probe = 'kept'", keep).has_value());
  ASSERT_TRUE((*c)->reset());
  auto v = (*c)->execute("SELECT @probe", keep);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->rows[0][0], "kept");
  // A statement without the proof: the reset runs when the connection is given back.
  ASSERT_TRUE((*c)->execute("SELECT GET_LOCK('sg_unproven', 0)", unproven).has_value());
  ASSERT_TRUE((*c)->reset());
  v = (*c)->execute("SELECT @probe, IS_FREE_LOCK('sg_unproven')", keep);
  ASSERT_TRUE(v.has_value());
  EXPECT_FALSE(v->rows[0][0].has_value());
  EXPECT_EQ(v->rows[0][1], "1");
  // Residue: FOUND_ROWS() after a clean read sees that read's count only when it claims to
  // ignore residue (it never does: the guard sends it with the proof missing).
  const std::string total = count("SELECT COUNT(*) FROM orders");
  ASSERT_NE(total, "1");
  ASSERT_TRUE((*c)->execute("SELECT SQL_CALC_FOUND_ROWS id FROM shop.orders LIMIT 1", keep).has_value());
  auto leaked = (*c)->execute("SELECT FOUND_ROWS()", keep);
  ASSERT_TRUE(leaked.has_value());
  EXPECT_EQ(leaked->rows[0][0], total);
  ASSERT_TRUE((*c)->execute("SELECT SQL_CALC_FOUND_ROWS id FROM shop.orders LIMIT 1", keep).has_value());
  db::ExecuteOptions reader = keep;
  reader.ignores_session_residue = false;
  auto fresh = (*c)->execute("SELECT FOUND_ROWS()", reader);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->rows[0][0], "0");  // COM_RESET_CONNECTION alone keeps FOUND_ROWS()
  // The settings are still pinned after the reset that reader caused (a write is refused).
  auto w = (*c)->execute("UPDATE shop.orders SET quantity = quantity WHERE id = 1", keep);
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().db_errno, 1792u);  // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
}

TEST_F(GuardIntegration, ReadOnlyDecisionRunsInReadOnlyTransaction) {
  auto c = db::MariaDbConnection::open(MariaDbFixture::instance().root_endpoint());
  ASSERT_TRUE(c.has_value());
  db::ExecuteOptions ro;
  ro.read_only = true;
  // Even with a privileged account, a write inside the guard's read-only transaction fails.
  auto w = (*c)->execute("UPDATE shop.orders SET quantity = quantity WHERE id = 1", ro);
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().db_errno, 1792u);  // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
  // DDL too: a read-only session is not escaped by an implicit commit.
  auto ddl = (*c)->execute("CREATE TABLE shop.ro_escape (id INT)", ro);
  ASSERT_FALSE(ddl.has_value());
  EXPECT_EQ(ddl.error().db_errno, 1792u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME='ro_escape'"), "0");
}

TEST_F(GuardIntegration, SurvivesDatabaseRestart) {
  ASSERT_TRUE(run("SELECT 1 FROM orders LIMIT 1").has_value());
  MariaDbFixture::instance().restart();
  auto r = run("SELECT COUNT(*) FROM orders");
  ASSERT_TRUE(r.has_value()) << r.error().error.message;
  EXPECT_EQ(r->result.rows[0][0], "16");
}

TEST_F(GuardIntegration, EveryCallIsRecordedAndTheLogVerifies) {
  ASSERT_TRUE(run("SELECT id FROM products").has_value());
  ASSERT_FALSE(run("DROP TABLE products").has_value());
  const uint64_t size = app_->audit().size();
  EXPECT_GE(size, 4u);  // intent + outcome for each call
  app_.reset();         // closes the log (final checkpoint)
  recorder::VerifyOptions opts;
  opts.dir = dir_ / "audit";
  auto report = recorder::verify_log(opts);
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_GE(report.records, size);
}

TEST_F(GuardIntegration, AuditFailureRefusesEverythingUntilTheLogResumes) {
  auto cfg = config_;
  cfg.audit.log.dir = dir_ / "audit-faulty";
  cfg.audit.log.recovery_probe_every = std::chrono::milliseconds(20);
  // -1: no fault; n >= 0: n more file operations succeed, then every one fails with ENOSPC.
  std::atomic<int> ops_left{-1};
  cfg.audit.log.fault_injector = [&ops_left](std::string_view) {
    int n = ops_left.load();
    if (n < 0) return 0;
    if (n == 0) return 28;  // ENOSPC
    ops_left.compare_exchange_strong(n, n - 1);
    return 0;
  };
  auto app = server::App::create(cfg);
  ASSERT_TRUE(app.has_value()) << app.error().message;
  guard::Guard& guard = (*app)->guard();
  ASSERT_TRUE(guard.run_sql(call(), "SELECT 1 FROM orders LIMIT 1", std::nullopt).has_value());

  // The intent (write + fdatasync) is durable, the statement runs, its outcome cannot be written:
  // the result is withheld and the outcome waits for the log.
  ops_left = 2;
  auto r = guard.run_sql(call(), "SELECT COUNT(*) AS ran_before_the_disk_filled FROM orders", std::nullopt);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().error.code, common::ErrorCode::kAuditFailure);
  EXPECT_NE(r.error().error.message.find("No space left on device"), std::string::npos)
      << r.error().error.message;
  const std::string late_call = r.error().call_id;
  EXPECT_EQ(guard.deferred_outcomes(), 1u);
  std::string reason;
  EXPECT_FALSE(guard.audit_healthy(&reason));
  EXPECT_NE(reason.find("until it can write again"), std::string::npos) << reason;

  // While the disk stays full, nothing runs, whatever the tool.
  ops_left = 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto refused = guard.run_sql(call(), "SELECT 2 FROM orders LIMIT 1", std::nullopt);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().error.code, common::ErrorCode::kAuditFailure);
  EXPECT_FALSE(guard.list_tables(call(), "").has_value());

  // Space returns: the log resumes by itself; the next call runs and the late outcome precedes it.
  ops_left = -1;
  for (int i = 0; i < 500 && !guard.audit_healthy(nullptr); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(guard.audit_healthy(&reason)) << reason;
  auto after = guard.run_sql(call(), "SELECT 3 AS k FROM orders LIMIT 1", std::nullopt);
  ASSERT_TRUE(after.has_value()) << after.error().error.message;
  EXPECT_EQ(guard.deferred_outcomes(), 0u);
  app->reset();

  recorder::VerifyOptions opts;
  opts.dir = cfg.audit.log.dir;
  auto report = recorder::verify_log(opts);
  EXPECT_TRUE(report.ok()) << report.summary();
  std::map<std::string, int> intents, outcomes;
  int recoveries = 0, late = 0;
  const auto segments = recorder::list_segments(opts.dir).value();
  for (const auto& seg : segments) {
    std::ifstream in(seg.path);
    for (std::string line; std::getline(in, line);) {
      auto rec = nlohmann::json::parse(line);
      const std::string type = rec["type"];
      if (type == "recovery") {
        ++recoveries;
        EXPECT_NE(rec["reason"].get<std::string>().find("No space left on device"), std::string::npos);
        EXPECT_GE(rec["refused_requests"].get<int>(), 2);  // the SELECT and list_tables above
      }
      if (type == "call.intent") ++intents[rec["call"]];
      if (type == "call.outcome") {
        ++outcomes[rec["call"]];
        if (rec.contains("late")) {
          ++late;
          EXPECT_EQ(rec["call"], late_call);
          EXPECT_EQ(rec["status"], "ok");  // the statement did run
        }
      }
    }
  }
  EXPECT_EQ(recoveries, 1);
  EXPECT_EQ(late, 1);
  EXPECT_EQ(intents, outcomes) << "every intent in the log has exactly one outcome";
  EXPECT_EQ(intents.count(late_call), 1u);
}

// Views are judged by what their definitions read in every tool (issue 19): run_sql, describe_table
// and list_tables; a view's columns carry the masking of the base columns they show, also in
// describe_table (whose catalog reports the base column's default for them); the intent record
// names what each view reads.
TEST_F(GuardIntegration, ViewsAreJudgedByWhatTheyReadInEveryTool) {
  auto& db = MariaDbFixture::instance();
  ASSERT_EQ(
      db.root_script(
          "CREATE DATABASE IF NOT EXISTS it_hr;"
          "CREATE TABLE IF NOT EXISTS it_hr.pay (id INT PRIMARY KEY, amount INT);"
          "REPLACE INTO it_hr.pay VALUES (1, 4242);"
          "ALTER TABLE shop.customers MODIFY email VARCHAR(255) DEFAULT 'dflt@example.com' "
          "COMMENT 'like ada@example.com';"
          "CREATE OR REPLACE SQL SECURITY DEFINER VIEW shop.v_it_pay AS SELECT id, amount FROM it_hr.pay;"
          "CREATE OR REPLACE VIEW shop.v_it_notes AS SELECT id FROM shop.staff_notes;"
          "CREATE OR REPLACE VIEW shop.v_it_contacts AS SELECT id, name, email AS contact FROM "
          "shop.customers;"),
      0);
  auto cleanup = [&] {
    (void)db.root_script(
        "DROP VIEW IF EXISTS shop.v_it_pay, shop.v_it_notes, shop.v_it_contacts; DROP DATABASE IF EXISTS "
        "it_hr;");
    db.reset_data();
  };
  auto& guard = app_->guard();
  auto c = call();

  // The agent account could read it_hr.pay through the definer view; policy judges what it reads.
  auto pay = run("SELECT amount FROM v_it_pay");
  ASSERT_FALSE(pay.has_value());
  EXPECT_EQ(pay.error().error.code, common::ErrorCode::kRefused);
  EXPECT_NE(pay.error().error.message.find("it_hr.pay"), std::string::npos) << pay.error().error.message;
  EXPECT_EQ(pay.error().error.message.find("4242"), std::string::npos);
  auto notes = run("SELECT COUNT(*) FROM v_it_notes");
  ASSERT_FALSE(notes.has_value());
  ASSERT_TRUE(notes.error().decision.has_value());
  EXPECT_EQ(notes.error().decision->rule, "no-notes");
  c.tool = "describe_table";
  EXPECT_FALSE(guard.describe_table(c, "v_it_pay").has_value());
  EXPECT_FALSE(guard.describe_table(c, "shop.v_it_notes").has_value());

  // A view over allowed tables: its column showing customers.email is masked by pii-email.
  auto contacts = run("SELECT id, contact FROM v_it_contacts ORDER BY id LIMIT 1");
  ASSERT_TRUE(contacts.has_value()) << contacts.error().error.message;
  ASSERT_EQ(contacts->masked_columns.size(), 1u);
  EXPECT_EQ(contacts->masked_columns[0].rule, "pii-email");
  ASSERT_TRUE(contacts->result.rows[0][1].has_value());
  EXPECT_NE(contacts->result.rows[0][1]->find("***@"), std::string::npos) << *contacts->result.rows[0][1];

  auto cols = guard.describe_table(c, "v_it_contacts");
  ASSERT_TRUE(cols.has_value()) << cols.error().error.message;
  bool saw_contact = false;
  for (const auto& col : *cols) {
    if (col.name != "contact") continue;
    saw_contact = true;
    ASSERT_TRUE(col.masking.has_value());
    EXPECT_EQ(col.masking->rule, "pii-email");
    EXPECT_EQ(col.default_value, "(masked)");  // the catalog reports customers.email's default here
  }
  EXPECT_TRUE(saw_contact);
  auto base = guard.describe_table(c, "customers");
  ASSERT_TRUE(base.has_value());
  for (const auto& col : *base) {
    if (col.name == "email") {
      EXPECT_EQ(col.default_value, "(masked)");
      EXPECT_EQ(col.comment, "(masked)");
    }
  }

  c.tool = "list_tables";
  auto tables = guard.list_tables(c, "");
  ASSERT_TRUE(tables.has_value()) << tables.error().error.message;
  std::map<std::string, std::vector<std::string>> listed;
  for (const auto& t : *tables) listed[t.name] = t.masked_columns;
  EXPECT_EQ(listed.count("v_it_pay"), 0u) << "a view reading what the principal may not read is hidden";
  EXPECT_EQ(listed.count("v_it_notes"), 0u);
  ASSERT_EQ(listed.count("v_it_contacts"), 1u);
  EXPECT_EQ(listed["v_it_contacts"], std::vector<std::string>{"contact"});

  // The intent record of a read through a view names what the view reads.
  app_.reset();
  bool found = false;
  const auto segments = recorder::list_segments(dir_ / "audit").value();
  for (const auto& seg : segments) {
    std::ifstream in(seg.path);
    for (std::string line; std::getline(in, line);) {
      auto rec = nlohmann::json::parse(line);
      if (rec["type"] != "call.intent" || !rec.contains("statement") || !rec["statement"].contains("views"))
        continue;
      for (const auto& v : rec["statement"]["views"]) {
        if (v["view"] == "shop.v_it_pay") {
          found = true;
          EXPECT_EQ(v["reads"], nlohmann::json::array({"it_hr.pay"}));
        }
      }
    }
  }
  EXPECT_TRUE(found);
  cleanup();
}

}  // namespace
}  // namespace sqlguard
