#include "mariadb_fixture.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace sqlguard::testing {
namespace fs = std::filesystem;

fs::path source_dir() { return fs::path(SQLGUARD_SOURCE_DIR); }

fs::path temp_dir(const std::string& name) {
  static std::mt19937_64 rng{std::random_device{}()};
  fs::path p = fs::path(SQLGUARD_BINARY_DIR) / "test-tmp" /
               (name + "-" + std::to_string(::getpid()) + "-" + std::to_string(rng() % 1000000));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

namespace {
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}
}  // namespace

MariaDbFixture::MariaDbFixture() {
  // Short path: unix socket paths are limited to 107 bytes.
  dir_ = fs::path("/tmp") / ("sqlguard-it-" + std::to_string(::getpid()));
  fs::remove_all(dir_);
  const std::string cmd = shell_quote((source_dir() / "scripts" / "provision-db").string()) + " " +
                          shell_quote(dir_.string()) + " >/dev/null";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "integration tests: could not start MariaDB (%s); run scripts/setup\n", cmd.c_str());
    std::abort();
  }
  running_ = true;
  std::atexit([] { MariaDbFixture::instance().stop(); });
}

MariaDbFixture& MariaDbFixture::instance() {
  // Never destroyed: the atexit handler registered by the constructor stops the server.
  static MariaDbFixture* fixture = new MariaDbFixture();
  return *fixture;
}

std::string MariaDbFixture::agent_password() const {
  std::ifstream in(password_file());
  std::string pw;
  std::getline(in, pw);
  return pw;
}

db::DatabaseEndpoint MariaDbFixture::agent_endpoint() const {
  db::DatabaseEndpoint ep;
  ep.socket = socket();
  ep.user = "sqlguard_agent";
  ep.password = agent_password();
  ep.database = "shop";
  return ep;
}

db::DatabaseEndpoint MariaDbFixture::root_endpoint() const {
  db::DatabaseEndpoint ep;
  ep.socket = socket();
  ep.user = "root";
  ep.database = "shop";
  return ep;
}

int MariaDbFixture::root_script(const std::string& sql) const {
  const fs::path f = dir_ / "script.sql";
  {
    std::ofstream out(f);
    out << sql;
  }
  const std::string cmd = shell_quote((source_dir() / "scripts" / "mariadb-sandbox").string()) + " sql " +
                          shell_quote((dir_ / "db").string()) + " < " + shell_quote(f.string());
  return std::system(cmd.c_str());
}

common::ResultSet MariaDbFixture::root_query(const std::string& sql) const {
  auto c = db::MariaDbConnection::open(root_endpoint());
  if (!c) {
    ADD_FAILURE() << "root connect: " << c.error().message;
    return {};
  }
  auto rs = (*c)->query(sql);
  if (!rs) {
    ADD_FAILURE() << "root query '" << sql << "': " << rs.error().message;
    return {};
  }
  return *rs;
}

void MariaDbFixture::reset_data() const {
  std::ifstream in(source_dir() / "examples" / "demo" / "schema.sql");
  std::stringstream ss;
  ss << in.rdbuf();
  ASSERT_EQ(root_script(ss.str()), 0);
}

void MariaDbFixture::stop() {
  if (!running_) return;
  running_ = false;
  const std::string cmd = shell_quote((source_dir() / "scripts" / "mariadb-sandbox").string()) + " stop " +
                          shell_quote((dir_ / "db").string());
  (void)std::system(cmd.c_str());
  if (!std::getenv("SQLGUARD_KEEP_TEST_DB")) fs::remove_all(dir_);
}

void MariaDbFixture::restart() {
  const std::string base = shell_quote((source_dir() / "scripts" / "mariadb-sandbox").string());
  const std::string d = shell_quote((dir_ / "db").string());
  (void)std::system((base + " stop " + d).c_str());
  if (std::system((base + " start " + d + " >/dev/null").c_str()) != 0) {
    ADD_FAILURE() << "MariaDB restart failed";
  }
}

}  // namespace sqlguard::testing
