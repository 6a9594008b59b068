// The analyser's reserved words (policy/sql_builtins.cpp kReserved) against the running server:
// every word of information_schema.KEYWORDS that MariaDB refuses as a column name (PREPARE of
// `SELECT <word> FROM t` answers 1064) is reserved for the analyser, and every word the server
// takes as a name is not (issue 14: the list mixed MySQL's and MariaDB's words, so `rank`,
// `position`, `row`, ... were refused as column names).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "db/mariadb_connection.h"
#include "mariadb_fixture.h"
#include "policy/sql_builtins.h"

namespace sqlguard {
namespace {

// Words the analyser keeps reserved although the server accepts them in `SELECT <word> FROM t`:
// literals and niladic functions (they are values there, never names).
const std::set<std::string> kValuesNotNames = {
    "null",          "true",         "false",     "current_date",   "current_time", "current_timestamp",
    "current_user",  "current_role", "localtime", "localtimestamp", "utc_date",     "utc_time",
    "utc_timestamp", "default",      "unknown"};
// SELECT options: the server reads them as options at the start of a select list (so
// `SELECT sql_cache FROM t` is a syntax error) and as names everywhere else (`t.sql_cache`,
// `AS sql_cache`), as the analyser does.
const std::set<std::string> kSelectOptions = {"sql_cache", "sql_no_cache", "sql_buffer_result"};

bool plain_word(const std::string& w) {
  if (w.empty()) return false;
  for (char c : w) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

TEST(ReservedWords, MatchTheServer) {
  auto& fx = testing::MariaDbFixture::instance();
  ASSERT_EQ(fx.root_script("CREATE DATABASE IF NOT EXISTS sg_reserved; "
                           "CREATE TABLE IF NOT EXISTS sg_reserved.t (x INT);"),
            0);
  auto conn = db::MariaDbConnection::open(fx.root_endpoint());
  ASSERT_TRUE(conn) << conn.error().message;
  auto words = (*conn)->query("SELECT LOWER(WORD) FROM information_schema.KEYWORDS");
  ASSERT_TRUE(words) << words.error().message;
  ASSERT_GT(words->rows.size(), 600u) << "information_schema.KEYWORDS looks truncated";

  std::vector<std::string> missing, extra;
  std::size_t checked = 0;
  for (const auto& row : words->rows) {
    if (row.empty() || !row[0]) continue;
    const std::string w = *row[0];
    if (!plain_word(w) || kSelectOptions.contains(w)) continue;  // operators such as <=> and &&
    ++checked;
    auto r = (*conn)->query("PREPARE sg_rw FROM 'SELECT " + w + " FROM sg_reserved.t'");
    const bool server_reserved = !r && r.error().db_errno == 1064;
    const bool ours = policy::is_reserved_word(w);
    if (server_reserved && !ours) missing.push_back(w);
    if (!server_reserved && ours && !kValuesNotNames.contains(w)) extra.push_back(w);
  }
  EXPECT_GT(checked, 600u);
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& w : v) s += (s.empty() ? "" : " ") + w;
    return s;
  };
  EXPECT_TRUE(missing.empty()) << "reserved by the server, a name for the analyser: " << join(missing);
  EXPECT_TRUE(extra.empty()) << "a name for the server, reserved for the analyser: " << join(extra);
  fx.root_script("DROP DATABASE sg_reserved;");
}

}  // namespace
}  // namespace sqlguard
