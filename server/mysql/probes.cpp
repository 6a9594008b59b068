#include "server/mysql/probes.h"

#include <array>
#include <cctype>
#include <utility>

#include "policy/sql_lexer.h"

namespace sqlguard::server::mysql {
namespace {

common::ResultColumn text_column(std::string name) {
  common::ResultColumn c;
  c.name = std::move(name);
  c.type = common::ColumnType::kVarString;
  c.charset = common::kCharsetUtf8mb4;
  return c;
}

ProbeAnswer one_value(std::string column, common::Cell value) {
  ProbeAnswer a;
  a.result.has_result_set = true;
  a.result.columns.push_back(text_column(std::move(column)));
  a.result.rows.push_back({std::move(value)});
  return a;
}

ProbeAnswer ok() { return ProbeAnswer{}; }

/// The settings the front door fixes, by lower-case name, for SHOW VARIABLES / SELECT @@name.
std::optional<std::string> fixed_setting(std::string_view name, const ProbeContext& c) {
  if (name == "character_set_client" || name == "character_set_connection" || name == "character_set_results")
    return "utf8mb4";
  if (name == "collation_connection") return "utf8mb4_general_ci";
  if (name == "autocommit") return "ON";
  if (name == "max_allowed_packet") return std::to_string(c.max_allowed_packet);
  if (name == "version") return c.server_version;
  if (name == "version_comment") return c.version_comment;
  return std::nullopt;
}

/// `name` without a leading "@@", "@@session." or "@@local.".
std::optional<std::string_view> session_variable(std::string_view expr) {
  if (expr.rfind("@@", 0) != 0) return std::nullopt;
  expr.remove_prefix(2);
  for (std::string_view scope : {"session.", "local."}) {
    if (expr.rfind(scope, 0) == 0) expr.remove_prefix(scope.size());
  }
  for (char ch : expr) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_')) return std::nullopt;
  }
  return expr;
}

std::string unquote(std::string_view s) {
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"' || s.front() == '`') && s.back() == s.front())
    return std::string(s.substr(1, s.size() - 2));
  return std::string(s);
}

bool is_utf8_name(std::string_view s) {
  const std::string n = unquote(s);
  return n == "utf8" || n == "utf8mb4" || n == "utf8mb3";
}

/// Whether `pattern` (a LIKE pattern: %, _ and \ escapes) matches `text`. Iterative, with one
/// backtracking point (the last %), so O(|pattern| x |text|): the recursive form was exponential
/// in the number of %s (found by fuzz_mysql_packet: one SHOW VARIABLES LIKE held a thread).
bool like(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '\\' && p + 1 < pattern.size()) {
      if (pattern[p + 1] == text[t]) {
        p += 2;
        ++t;
        continue;
      }
    } else if (p < pattern.size() && pattern[p] == '%') {
      star = p++;
      mark = t;
      continue;
    } else if (p < pattern.size() && (pattern[p] == '_' || pattern[p] == text[t])) {
      ++p;
      ++t;
      continue;
    }
    if (star == std::string_view::npos) return false;
    p = star + 1;
    t = ++mark;
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

}  // namespace

namespace {

/// normalize_probe, with case kept when `lower` is false (same length and offsets either way).
std::string collapse(std::string_view sql, bool lower) {
  std::string out;
  out.reserve(sql.size());
  bool blank = false;
  for (char ch : sql) {
    const auto u = static_cast<unsigned char>(ch);
    if (std::isspace(u)) {
      blank = !out.empty();
      continue;
    }
    if (blank) out.push_back(' ');
    blank = false;
    out.push_back(lower ? static_cast<char>(std::tolower(u)) : ch);
  }
  if (!out.empty() && out.back() == ';') out.pop_back();
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

std::string normalize_probe(std::string_view sql) { return collapse(sql, true); }

std::optional<std::string> use_statement(std::string_view sql) {
  auto blank = [](char ch) { return std::isspace(static_cast<unsigned char>(ch)) != 0; };
  while (!sql.empty() && blank(sql.front())) sql.remove_prefix(1);
  while (!sql.empty() && blank(sql.back())) sql.remove_suffix(1);
  if (!sql.empty() && sql.back() == ';') sql.remove_suffix(1);
  while (!sql.empty() && blank(sql.back())) sql.remove_suffix(1);
  if (sql.size() < 5 || !policy::iequals(sql.substr(0, 3), "use") || !blank(sql[3])) return std::nullopt;
  sql.remove_prefix(4);
  while (!sql.empty() && blank(sql.front())) sql.remove_prefix(1);
  std::string name;
  if (!sql.empty() && sql.front() == '`') {
    std::size_t i = 1;
    for (; i < sql.size(); ++i) {
      if (sql[i] != '`') {
        name.push_back(sql[i]);
      } else if (i + 1 < sql.size() && sql[i + 1] == '`') {
        name.push_back('`');
        ++i;
      } else {
        break;
      }
    }
    if (i + 1 != sql.size()) return std::nullopt;  // unterminated, or something after the name
  } else {
    for (char ch : sql) {
      if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '$')) return std::nullopt;
    }
    name = std::string(sql);
  }
  if (name.empty() || name.size() > 64) return std::nullopt;
  return name;
}

namespace {

/// `SELECT x AS alias` (DBHub sends `SELECT VERSION() AS version`): the statement without the
/// alias, and the alias (a plain or backquoted identifier); the statement unchanged otherwise.
std::pair<std::string, std::string> without_alias(std::string n) {
  if (n.rfind("select ", 0) != 0) return {std::move(n), ""};
  const auto at = n.rfind(" as ");
  if (at == std::string::npos) return {std::move(n), ""};
  std::string alias = unquote(std::string_view(n).substr(at + 4));
  if (alias.empty() || alias.size() > 64) return {std::move(n), ""};
  for (char ch : alias) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_')) return {std::move(n), ""};
  }
  n.resize(at);
  return {std::move(n), std::move(alias)};
}

std::optional<ProbeAnswer> renamed(std::optional<ProbeAnswer> a, const std::string& alias) {
  if (a && !alias.empty() && a->result.columns.size() == 1) a->result.columns[0].name = alias;
  return a;
}

}  // namespace

namespace {

std::optional<ProbeAnswer> answer_normalized(std::string_view sql, const ProbeContext& c) {
  auto [n, alias] = without_alias(normalize_probe(sql));
  if (!alias.empty()) return renamed(answer_normalized(n, c), alias);

  if (n == "select @@version_comment limit 1") return one_value("@@version_comment", c.version_comment);
  if (n == "select version()") return one_value("version()", c.server_version);
  if (n == "select database()") return one_value("database()", c.schema.empty() ? common::Cell{} : c.schema);
  if (n == "select schema()") return one_value("schema()", c.schema.empty() ? common::Cell{} : c.schema);
  if (n == "select connection_id()") return one_value("connection_id()", std::to_string(c.connection_id));
  if (n.rfind("select @@", 0) == 0) {
    std::string_view expr = std::string_view(n).substr(7);
    if (const auto at = expr.find(" limit 1"); at != std::string_view::npos && at + 8 == expr.size()) {
      expr = expr.substr(0, at);
    }
    if (auto name = session_variable(expr)) {
      std::optional<std::string> value = fixed_setting(*name, c);
      if (*name == "autocommit") value = "1";
      if (*name == "transaction_read_only" || *name == "tx_read_only") value = "0";
      if (value) return one_value(std::string(expr), *value);
    }
    return std::nullopt;
  }

  // SET NAMES utf8mb4 [COLLATE x], SET CHARACTER SET utf8mb4, SET [SESSION] autocommit = 1.
  if (n.rfind("set names ", 0) == 0) {
    std::string_view rest = std::string_view(n).substr(10);
    const auto space = rest.find(' ');
    const std::string_view charset = rest.substr(0, space);
    if (!is_utf8_name(charset)) return std::nullopt;
    if (space == std::string_view::npos) return ok();
    const std::string_view tail = rest.substr(space + 1);
    if (tail.rfind("collate ", 0) == 0 && unquote(tail.substr(8)).rfind("utf8", 0) == 0 &&
        tail.find(' ', 8) == std::string_view::npos)
      return ok();
    return std::nullopt;
  }
  if (n.rfind("set character set ", 0) == 0 && is_utf8_name(std::string_view(n).substr(18))) return ok();
  for (std::string_view form :
       {"set autocommit=1", "set autocommit = 1", "set autocommit=on", "set autocommit = on",
        "set session autocommit=1", "set session autocommit = 1", "set @@autocommit=1",
        "set @@session.autocommit=1", "set autocommit=true"}) {
    if (n == form) return ok();
  }

  if (n == "show warnings") {
    ProbeAnswer a;
    a.result.has_result_set = true;
    a.result.columns = {text_column("Level"), text_column("Code"), text_column("Message")};
    if (c.notes != nullptr) {
      for (const auto& note : *c.notes)
        a.result.rows.push_back({note.level, std::to_string(note.code), note.message});
    }
    return a;
  }
  for (std::string_view prefix : {"show variables like ", "show session variables like "}) {
    if (n.rfind(prefix, 0) != 0) continue;
    const std::string_view quoted = std::string_view(n).substr(prefix.size());
    if (quoted.size() < 2 || quoted.front() != '\'' || quoted.back() != '\'' ||
        quoted.substr(1, quoted.size() - 2).find('\'') != std::string_view::npos)
      return std::nullopt;
    const std::string pattern = unquote(quoted);
    ProbeAnswer a;
    a.result.has_result_set = true;
    a.result.columns = {text_column("Variable_name"), text_column("Value")};
    static constexpr std::array<std::string_view, 8> kNames = {"autocommit",
                                                               "character_set_client",
                                                               "character_set_connection",
                                                               "character_set_results",
                                                               "collation_connection",
                                                               "max_allowed_packet",
                                                               "version",
                                                               "version_comment"};
    for (auto name : kNames) {
      if (like(pattern, name)) a.result.rows.push_back({std::string(name), *fixed_setting(name, c)});
    }
    return a;
  }
  return std::nullopt;
}

}  // namespace

std::optional<ProbeAnswer> answer_probe(std::string_view sql, const ProbeContext& c) {
  if (sql.size() > 256) return std::nullopt;  // no probe is that long
  auto a = answer_normalized(sql, c);
  // A SELECT's column is named by its expression (or alias) as the client wrote it, case kept:
  // `SELECT DATABASE()` answers a column `DATABASE()`, as MySQL does.
  if (a && a->result.columns.size() == 1) {
    const std::string n = normalize_probe(sql);
    auto& name = a->result.columns[0].name;
    const std::string wanted = normalize_probe(name);
    const auto at = n.rfind(wanted);
    if (n.rfind("select ", 0) == 0 && !wanted.empty() && at != std::string::npos)
      name = collapse(sql, false).substr(at, wanted.size());
  }
  return a;
}

}  // namespace sqlguard::server::mysql
