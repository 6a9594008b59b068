// The MySQL front door with MariaDB Connector/C as the client (the C API applications and most
// language bindings use): prepared statements (binary protocol) against the text protocol and the
// guard's run_sql (what the MCP tool returns), cell by cell with masking; a refused statement through both;
// the connection limit and the idle timeout. The server runs in-process on a private MariaDB
// (mariadb_fixture.h).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <mysql.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "mariadb_fixture.h"
#include "server/cli/app.h"
#include "server/config/config.h"
#include "server/mysql/mysql_server.h"
#include "server/mysql/protocol.h"

namespace sqlguard {
namespace {

namespace fs = std::filesystem;
using testing::MariaDbFixture;

constexpr const char* kPassword = "front-door-it";

class MySqlFrontDoorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& db = MariaDbFixture::instance();
    dir_ = testing::temp_dir("mysql-front-door");
    std::ofstream(dir_ / "sqlguard.yaml")
        << "database: {socket: " << db.socket()
        << ", user: sqlguard_agent, password_file: " << db.password_file().string() << ", database: shop}\n"
        << "policy:\n  rules:\n    - {id: read, action: allow, principals: {groups: [analysts]}, kinds: "
           "[select],"
           " tables: ['shop.*']}\n"
        << "    - {id: read-crm, action: allow, principals: {groups: [analysts]}, kinds: [select], tables: "
           "['crm.*']}\n"
        << "masking:\n  hash_key_file: " << db.masking_key_file().string() << "\n  rules:\n"
        << "    - {id: pii-email, columns: [shop.customers.email], method: email}\n"
        << "    - {id: pii-birth, columns: [shop.customers.birth_date], method: redact}\n"
        << "    - {id: crm-email, columns: [crm.contacts.email], method: email}\n"
        << "audit: {dir: " << (dir_ / "audit").string() << "}\n"
        << "mysql:\n  port: 0\n  max_connections: 2\n  idle_timeout_s: 1\n  handshake_timeout_s: 1\n  "
           "accounts:\n"
        << "    - {user: carol, password_verifier: '" << server::mysql::native_verifier_text(kPassword)
        << "', principal: {subject: carol, groups: [analysts]}}\n";
    auto config = server::load_config(dir_ / "sqlguard.yaml");
    ASSERT_TRUE(config) << config.error().message;
    auto app = server::App::create(*config);
    ASSERT_TRUE(app) << app.error().message;
    app_ = std::move(*app);
    server::MySqlServerOptions options;
    options.config = config->mysql;
    options.server_version = "5.5.5-10.11.0-MariaDB-sqlguard-test";
    server_ = std::make_unique<server::MySqlServer>(app_->guard(), nullptr, options);
    auto port = server_->start();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  // The server counts a connection until its thread has seen the client's COM_QUIT; waits up to 5 s.
  void wait_until_no_connections() {
    for (int i = 0; i < 50 && server_->connections() > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(server_->connections(), 0u);
  }

  MYSQL* connect(const char* schema = "shop") {
    MYSQL* m = mysql_init(nullptr);
    if (mysql_real_connect(m, "127.0.0.1", "carol", kPassword, schema, port_, nullptr, 0) == nullptr) {
      ADD_FAILURE() << "connect: " << mysql_error(m);
    }
    return m;
  }

  /// Every cell of a text-protocol query, as strings ("NULL" for NULL).
  static std::vector<std::vector<std::string>> text_rows(MYSQL* m, const std::string& sql) {
    std::vector<std::vector<std::string>> out;
    if (mysql_real_query(m, sql.data(), sql.size()) != 0) {
      ADD_FAILURE() << sql << ": " << mysql_error(m);
      return out;
    }
    MYSQL_RES* r = mysql_store_result(m);
    const unsigned n = mysql_num_fields(r);
    while (MYSQL_ROW row = mysql_fetch_row(r)) {
      unsigned long* len = mysql_fetch_lengths(r);
      std::vector<std::string> cells;
      for (unsigned i = 0; i < n; ++i) cells.push_back(row[i] ? std::string(row[i], len[i]) : "NULL");
      out.push_back(std::move(cells));
    }
    mysql_free_result(r);
    return out;
  }

  fs::path dir_;
  std::unique_ptr<server::App> app_;
  std::unique_ptr<server::MySqlServer> server_;
  unsigned port_ = 0;
};

TEST_F(MySqlFrontDoorTest, PreparedStatementsReturnTheSameMaskedCellsAsTheTextProtocol) {
  MYSQL* m = connect();
  ASSERT_NE(m, nullptr);
  const auto expected = text_rows(
      m, "SELECT id, name, email, birth_date, city FROM customers WHERE id >= 2 AND name <> 'x' ORDER BY id");
  ASSERT_GE(expected.size(), 2u);
  EXPECT_EQ(expected[0][2], "g***@example.org");
  EXPECT_EQ(expected[0][3], "[REDACTED]");
  // The same cells as the guard gives the MCP run_sql tool for the same principal.
  guard::CallInfo as_mcp;
  as_mcp.principal.subject = "carol";
  as_mcp.principal.groups = {"analysts"};
  as_mcp.principal.auth_method = "test";
  as_mcp.session_id = "mcp-compare";
  as_mcp.transport = "stdio";
  as_mcp.tool = "run_sql";
  auto mcp = app_->guard().run_sql(
      as_mcp,
      "SELECT id, name, email, birth_date, city FROM customers WHERE id >= 2 AND name <> 'x' ORDER BY id",
      std::nullopt);
  ASSERT_TRUE(mcp) << mcp.error().error.message;
  std::vector<std::vector<std::string>> mcp_cells;
  for (const auto& row : mcp->result.rows) {
    std::vector<std::string> cells;
    for (const auto& cell : row) cells.push_back(cell.value_or("NULL"));
    mcp_cells.push_back(std::move(cells));
  }
  EXPECT_EQ(mcp_cells, expected);

  MYSQL_STMT* st = mysql_stmt_init(m);
  const std::string q =
      "SELECT id, name, email, birth_date, city FROM customers WHERE id >= ? AND name <> ? ORDER BY id";
  ASSERT_EQ(mysql_stmt_prepare(st, q.data(), q.size()), 0) << mysql_stmt_error(st);
  EXPECT_EQ(mysql_stmt_param_count(st), 2u);
  int from = 2;
  char name[] = "x";
  unsigned long name_len = 1;
  MYSQL_BIND params[2];
  std::memset(params, 0, sizeof params);
  params[0].buffer_type = MYSQL_TYPE_LONG;
  params[0].buffer = &from;
  params[1].buffer_type = MYSQL_TYPE_STRING;
  params[1].buffer = name;
  params[1].length = &name_len;
  ASSERT_EQ(mysql_stmt_bind_param(st, params), 0);
  ASSERT_EQ(mysql_stmt_execute(st), 0) << mysql_stmt_error(st);
  ASSERT_EQ(mysql_stmt_field_count(st), 5u);
  int id = 0;
  char cells[4][128];
  unsigned long lengths[4];
  my_bool nulls[5];
  MYSQL_BIND result[5];
  std::memset(result, 0, sizeof result);
  result[0].buffer_type = MYSQL_TYPE_LONG;
  result[0].buffer = &id;
  result[0].is_null = &nulls[0];
  for (int i = 0; i < 4; ++i) {
    result[i + 1].buffer_type = MYSQL_TYPE_STRING;
    result[i + 1].buffer = cells[i];
    result[i + 1].buffer_length = sizeof cells[i];
    result[i + 1].length = &lengths[i];
    result[i + 1].is_null = &nulls[i + 1];
  }
  ASSERT_EQ(mysql_stmt_bind_result(st, result), 0) << mysql_stmt_error(st);
  ASSERT_EQ(mysql_stmt_store_result(st), 0) << mysql_stmt_error(st);
  std::vector<std::vector<std::string>> got;
  while (mysql_stmt_fetch(st) == 0) {
    std::vector<std::string> row = {std::to_string(id)};
    for (int i = 0; i < 4; ++i) row.push_back(nulls[i + 1] ? "NULL" : std::string(cells[i], lengths[i]));
    got.push_back(std::move(row));
  }
  EXPECT_EQ(got, expected);
  mysql_stmt_close(st);

  // A refused statement is refused through both protocols, with the same error.
  ASSERT_NE(mysql_query(m, "DELETE FROM customers WHERE id = 1"), 0);
  EXPECT_EQ(mysql_errno(m), 1142u);
  MYSQL_STMT* del = mysql_stmt_init(m);
  const std::string d = "DELETE FROM customers WHERE id = ?";
  ASSERT_EQ(mysql_stmt_prepare(del, d.data(), d.size()), 0);
  mysql_stmt_bind_param(del, params);
  EXPECT_NE(mysql_stmt_execute(del), 0);
  EXPECT_EQ(mysql_stmt_errno(del), 1142u) << mysql_stmt_error(del);
  mysql_stmt_close(del);
  EXPECT_EQ(
      MariaDbFixture::instance().root_query("SELECT COUNT(*) FROM shop.customers WHERE id = 1").rows[0][0],
      "1");
  mysql_close(m);
}

/// The MariaDB extended-metadata format name of each column of `fields` ("" when none).
std::vector<std::string> format_names(const MYSQL_FIELD* fields, unsigned n) {
  std::vector<std::string> out;
  for (unsigned i = 0; i < n; ++i) {
    MARIADB_CONST_STRING attr{nullptr, 0};
    if (mariadb_field_attr(&attr, &fields[i], MARIADB_FIELD_ATTR_FORMAT_NAME) == 0 && attr.str != nullptr)
      out.emplace_back(attr.str, attr.length);
    else
      out.emplace_back();
  }
  return out;
}

// Masked columns say so in their metadata: Connector/C negotiates MariaDB's extended metadata and
// reads format name "masked" for them (mariadb_field_attr).
TEST_F(MySqlFrontDoorTest, MaskedColumnsSaySoInTheirMetadata) {
  MYSQL* m = connect();
  ASSERT_NE(m, nullptr);
  const std::string q = "SELECT id, email, city, birth_date FROM customers WHERE id = 1";
  ASSERT_EQ(mysql_real_query(m, q.data(), q.size()), 0) << mysql_error(m);
  MYSQL_RES* r = mysql_store_result(m);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(format_names(mysql_fetch_fields(r), mysql_num_fields(r)),
            (std::vector<std::string>{"", "masked", "", "masked"}));
  mysql_free_result(r);

  // Prepared results carry the same block, but Connector/C (3.3) drops the format name when it
  // copies field metadata for a statement (ma_field_extension_deep_dup copies attribute 0 only):
  // there the columns keep an extension, and SHOW WARNINGS names the masked columns.
  MYSQL_STMT* st = mysql_stmt_init(m);
  ASSERT_EQ(mysql_stmt_prepare(st, q.data(), q.size()), 0) << mysql_stmt_error(st);
  ASSERT_EQ(mysql_stmt_execute(st), 0) << mysql_stmt_error(st);
  MYSQL_RES* meta = mysql_stmt_result_metadata(st);
  ASSERT_NE(meta, nullptr);
  const MYSQL_FIELD* fields = mysql_fetch_fields(meta);
  EXPECT_EQ(fields[0].extension, nullptr);
  EXPECT_NE(fields[1].extension, nullptr) << "the masked column's extended metadata arrived";
  EXPECT_EQ(fields[2].extension, nullptr);
  EXPECT_NE(fields[3].extension, nullptr);
  mysql_free_result(meta);
  ASSERT_EQ(mysql_stmt_store_result(st), 0) << mysql_stmt_error(st);
  mysql_stmt_close(st);
  mysql_close(m);
}

TEST_F(MySqlFrontDoorTest, ConnectionLimitAndIdleTimeout) {
  MYSQL* a = connect();
  MYSQL* b = connect();
  MYSQL* c = mysql_init(nullptr);
  EXPECT_EQ(mysql_real_connect(c, "127.0.0.1", "carol", kPassword, "shop", port_, nullptr, 0), nullptr);
  EXPECT_EQ(mysql_errno(c), 1040u) << mysql_error(c);
  mysql_close(c);
  EXPECT_EQ(mysql_ping(a), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // idle_timeout_s: 1
  my_bool reconnect = 0;
  mysql_optionsv(a, MYSQL_OPT_RECONNECT, &reconnect);
  EXPECT_NE(mysql_ping(a), 0) << "an idle connection is closed";
  mysql_close(a);
  mysql_close(b);
  wait_until_no_connections();
  MYSQL* d = connect();  // the slots are free again
  EXPECT_EQ(mysql_ping(d), 0);
  mysql_close(d);
}

// A client that trickles its handshake response a byte at a time is cut off at
// handshake_timeout_s for the whole handshake, not per read.
TEST_F(MySqlFrontDoorTest, ASlowHandshakeIsCutOffAtItsDeadline) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port_));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  char buf[512];
  ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);  // the server's handshake
  const auto start = std::chrono::steady_clock::now();
  const char header[] = {'\x40', '\x00', '\x00', '\x01'};  // announces 64 bytes, sends them slowly
  ASSERT_EQ(::send(fd, header, sizeof header, MSG_NOSIGNAL), 4);
  bool closed = false;
  for (int i = 0; i < 60 && !closed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    closed = ::send(fd, "x", 1, MSG_NOSIGNAL) != 1;
  }
  const auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  EXPECT_TRUE(closed) << "still open after 6 s of trickling";
  EXPECT_LT(took, std::chrono::seconds(4));
}

/// Every audit record line containing `needle`, from all segment files under `dir`.
std::vector<std::string> audit_lines(const fs::path& dir, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);) {
      if (line.find(needle) != std::string::npos) out.push_back(line);
    }
  }
  return out;
}

// COM_INIT_DB, `USE name` and the handshake's schema: the session's schema changes only to one
// the principal may read, unqualified names then resolve there (analysis, masking and the
// database session alike), and the pooled database connections serve other sessions in the
// default schema afterwards.
TEST_F(MySqlFrontDoorTest, ASessionUsesOnlySchemasThePolicyLetsItRead) {
  auto& db = MariaDbFixture::instance();
  ASSERT_EQ(
      db.root_script("CREATE DATABASE IF NOT EXISTS crm; CREATE DATABASE IF NOT EXISTS vault;\n"
                     "CREATE TABLE IF NOT EXISTS crm.contacts (id INT PRIMARY KEY, email VARCHAR(100));\n"
                     "REPLACE INTO crm.contacts VALUES (1, 'dora@example.net');\n"
                     "CREATE TABLE IF NOT EXISTS vault.secrets (id INT PRIMARY KEY, v VARCHAR(100));\n"
                     "GRANT SELECT ON crm.* TO 'sqlguard_agent'@'localhost';\n"
                     "GRANT SELECT ON vault.* TO 'sqlguard_agent'@'localhost';\n"),
      0);
  MYSQL* m = connect("crm");  // the handshake's schema
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(text_rows(m, "SELECT DATABASE()"), (std::vector<std::vector<std::string>>{{"crm"}}));
  EXPECT_EQ(text_rows(m, "SELECT id, email FROM contacts"),
            (std::vector<std::vector<std::string>>{{"1", "d***@example.net"}}));
  // `customers` is now crm.customers (no such table), not shop's.
  const std::string q = "SELECT id FROM customers";
  EXPECT_NE(mysql_real_query(m, q.data(), q.size()), 0);

  // COM_INIT_DB to a schema the policy does not let carol read, and to one that does not exist:
  // the same refusal (existence is not disclosed), and the session stays in crm.
  EXPECT_NE(mysql_select_db(m, "vault"), 0);
  EXPECT_EQ(mysql_errno(m), 1044u);
  const std::string vault_error = mysql_error(m);
  EXPECT_NE(vault_error.find("does not exist or you may not use it"), std::string::npos) << vault_error;
  EXPECT_NE(mysql_select_db(m, "no_such_schema"), 0);
  EXPECT_EQ(mysql_errno(m), 1044u);
  EXPECT_NE(mysql_select_db(m, "mysql"), 0);
  EXPECT_EQ(text_rows(m, "SELECT email FROM contacts"),
            (std::vector<std::vector<std::string>>{{"d***@example.net"}}));

  // Back to shop with COM_INIT_DB, to crm with a USE statement.
  EXPECT_EQ(mysql_select_db(m, "shop"), 0) << mysql_error(m);
  EXPECT_EQ(text_rows(m, "SELECT COUNT(*) > 0 FROM customers"),
            (std::vector<std::vector<std::string>>{{"1"}}));
  const std::string use = "USE `crm`";
  ASSERT_EQ(mysql_real_query(m, use.data(), use.size()), 0) << mysql_error(m);
  EXPECT_EQ(text_rows(m, "SELECT DATABASE()"), (std::vector<std::vector<std::string>>{{"crm"}}));
  // A prepared statement in crm runs in crm too.
  MYSQL_STMT* st = mysql_stmt_init(m);
  const std::string p = "SELECT email FROM contacts WHERE id = ?";
  ASSERT_EQ(mysql_stmt_prepare(st, p.data(), p.size()), 0) << mysql_stmt_error(st);
  int id = 1;
  MYSQL_BIND param;
  std::memset(&param, 0, sizeof param);
  param.buffer_type = MYSQL_TYPE_LONG;
  param.buffer = &id;
  ASSERT_EQ(mysql_stmt_bind_param(st, &param), 0);
  ASSERT_EQ(mysql_stmt_execute(st), 0) << mysql_stmt_error(st);
  char email[128];
  unsigned long email_len = 0;
  MYSQL_BIND out;
  std::memset(&out, 0, sizeof out);
  out.buffer_type = MYSQL_TYPE_STRING;
  out.buffer = email;
  out.buffer_length = sizeof email;
  out.length = &email_len;
  ASSERT_EQ(mysql_stmt_bind_result(st, &out), 0);
  ASSERT_EQ(mysql_stmt_fetch(st), 0);
  EXPECT_EQ(std::string(email, email_len), "d***@example.net");
  mysql_stmt_close(st);

  // Another session, on the same pooled database connections, is in shop again.
  MYSQL* other = connect();
  ASSERT_NE(other, nullptr);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(text_rows(other, "SELECT COUNT(*) > 0 FROM customers"),
              (std::vector<std::vector<std::string>>{{"1"}}));
  }
  mysql_close(other);
  mysql_close(m);
  wait_until_no_connections();  // max_connections: 2, and the server frees a slot after the client's close

  // A handshake naming a schema the principal may not use is refused before the session starts.
  MYSQL* denied = mysql_init(nullptr);
  EXPECT_EQ(mysql_real_connect(denied, "127.0.0.1", "carol", kPassword, "vault", port_, nullptr, 0), nullptr);
  EXPECT_EQ(mysql_errno(denied), 1044u) << mysql_error(denied);
  mysql_close(denied);

  // Recorded: every schema change as a use_schema call; statements with the session's schema.
  server_->stop();
  const auto uses = audit_lines(dir_ / "audit", "\"tool\":\"use_schema\"");
  EXPECT_GE(uses.size(), 6u);  // intents of crm (handshake), vault, no_such_schema, mysql, crm, vault
  const auto in_crm = audit_lines(dir_ / "audit", "\"schema\":\"crm\"");
  EXPECT_FALSE(in_crm.empty());
  EXPECT_EQ(audit_lines(dir_ / "audit", "dora@example.net").size(), 0u) << "masked values only";
}

}  // namespace
}  // namespace sqlguard
