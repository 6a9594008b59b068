#include "server/cli/doctor_command.h"

#include <algorithm>
#include <iostream>
#include <set>

#include <re2/re2.h>

#include "db/credential_vault.h"
#include "db/mariadb_connection.h"
#include "policy/statement_analysis.h"

namespace sqlguard::server {
namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

/// Privileges that statement kinds need, to tell which write privileges a policy can use.
std::set<std::string> privileges_for(std::string_view kind) {
  if (kind == "insert") return {"INSERT"};
  if (kind == "replace") return {"INSERT", "DELETE"};
  if (kind == "update") return {"UPDATE"};
  if (kind == "delete") return {"DELETE"};
  if (kind == "load_data" || kind == "load_xml") return {"INSERT", "FILE"};
  if (kind == "call") return {"EXECUTE"};
  if (kind == "truncate" || kind.starts_with("drop_")) return {"DROP"};
  if (kind == "create_view") return {"CREATE VIEW"};
  if (kind == "create_index") return {"INDEX"};
  if (kind == "create_routine") return {"CREATE ROUTINE"};
  if (kind == "create_trigger") return {"TRIGGER"};
  if (kind == "create_event") return {"EVENT"};
  if (kind.starts_with("create_")) return {"CREATE"};
  if (kind.starts_with("alter_") || kind == "rename_table") return {"ALTER"};
  return {};
}

const std::set<std::string>& admin_privileges() {
  static const std::set<std::string> s = {"FILE",
                                          "SUPER",
                                          "PROCESS",
                                          "SHUTDOWN",
                                          "RELOAD",
                                          "CREATE USER",
                                          "REPLICATION SLAVE",
                                          "REPLICATION CLIENT",
                                          "BINLOG ADMIN",
                                          "BINLOG MONITOR",
                                          "BINLOG REPLAY",
                                          "CONNECTION ADMIN",
                                          "READ_ONLY ADMIN",
                                          "REPLICATION MASTER ADMIN",
                                          "REPLICATION SLAVE ADMIN",
                                          "SET USER",
                                          "FEDERATED ADMIN",
                                          "SLAVE MONITOR",
                                          "CREATE TABLESPACE",
                                          "SYSTEM_VARIABLES_ADMIN"};
  return s;
}

const std::set<std::string>& write_privileges() {
  static const std::set<std::string> s = {
      "INSERT",     "UPDATE",         "DELETE",        "CREATE",      "DROP",
      "ALTER",      "INDEX",          "CREATE VIEW",   "TRIGGER",     "EXECUTE",
      "EVENT",      "CREATE ROUTINE", "ALTER ROUTINE", "LOCK TABLES", "CREATE TEMPORARY TABLES",
      "REFERENCES", "DELETE HISTORY"};
  return s;
}

}  // namespace

std::vector<DoctorFinding> review_grants(const std::vector<std::string>& grants,
                                         const policy::PolicyConfig& policy) {
  std::set<std::string> usable;  // write privileges some allow/approve rule could need
  for (const auto& rule : policy.rules) {
    if (rule.action == policy::Action::kDeny) continue;
    if (rule.kinds.empty() || std::find(rule.kinds.begin(), rule.kinds.end(), "*") != rule.kinds.end()) {
      usable.insert(write_privileges().begin(), write_privileges().end());
      continue;
    }
    for (const auto& k : rule.kinds) {
      for (const auto& p : privileges_for(k)) usable.insert(p);
    }
  }
  std::vector<DoctorFinding> out;
  static const RE2 grant_re("(?is)^GRANT (.+?) ON (\\S+) TO (.+)$");
  for (const auto& g : grants) {
    std::string privs, target, rest;
    if (!RE2::FullMatch(g, grant_re, &privs, &target, &rest)) {
      if (upper(g).starts_with("GRANT ")) {
        out.push_back({"info", "role or proxy grant not reviewed: " + g});
      }
      continue;
    }
    if (upper(rest).find("WITH GRANT OPTION") != std::string::npos) {
      out.push_back({"warning", "WITH GRANT OPTION on " + target +
                                    ": the account can hand its privileges on; "
                                    "sqlguard never needs it (" +
                                    g + ")"});
    }
    const std::string up = upper(privs);
    if (up.find("ALL PRIVILEGES") != std::string::npos) {
      out.push_back(
          {"warning", "ALL PRIVILEGES on " + target + ": grant only what the policy needs (" + g + ")"});
      continue;
    }
    // Column-level grants look like "SELECT (a, b)"; split on commas outside parentheses.
    std::vector<std::string> list;
    std::string cur;
    int depth = 0;
    for (char c : up) {
      if (c == '(') ++depth;
      if (c == ')') --depth;
      if (c == ',' && depth == 0) {
        list.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    list.push_back(cur);
    for (auto p : list) {
      p.erase(0, p.find_first_not_of(' '));
      if (auto paren = p.find(" ("); paren != std::string::npos) p = p.substr(0, paren);
      while (!p.empty() && p.back() == ' ') p.pop_back();
      if (p == "USAGE" || p.empty()) continue;
      if (admin_privileges().count(p)) {
        out.push_back({"warning", p + " on " + target +
                                      " is an administrative privilege sqlguard never needs; run: REVOKE " +
                                      p + " ON " + target + " FROM CURRENT_USER"});
      } else if (write_privileges().count(p) && !usable.count(p)) {
        out.push_back(
            {"warning",
             p + " on " + target +
                 " is not used by any allow or approve rule; the policy is read-only for it; run: REVOKE " +
                 p + " ON " + target + " FROM <account>"});
      }
    }
  }
  return out;
}

int run_doctor(const Config& config, std::ostream& out, std::ostream& err) {
  auto vault = db::CredentialVault::open(config.credential.password_file, config.credential.password_env);
  if (!vault) {
    err << "doctor: " << vault.error().message << "\n";
    return 2;
  }
  db::DatabaseEndpoint ep = config.database;
  ep.password = vault->password();
  auto c = db::MariaDbConnection::open(ep);
  if (!c) {
    err << "doctor: " << c.error().message << "\n";
    return 2;
  }
  auto rs = (*c)->query("SHOW GRANTS FOR CURRENT_USER()");
  if (!rs) {
    err << "doctor: " << vault->scrub(rs.error().message) << "\n";
    return 2;
  }
  std::vector<std::string> grants;
  for (const auto& row : rs->rows) {
    if (!row.empty() && row[0]) grants.push_back(*row[0]);
  }
  out << "account " << ep.describe() << " has " << grants.size() << " grant(s):\n";
  for (const auto& g : grants) {
    // SHOW GRANTS prints the password hash; never echo it.
    std::string shown = g;
    static const RE2 hash_re("(?i)IDENTIFIED (BY PASSWORD|VIA \\S+ USING) '[^']*'");
    RE2::GlobalReplace(&shown, hash_re, "IDENTIFIED [hidden]");
    out << "  " << shown << "\n";
  }
  auto findings = review_grants(grants, config.policy);
  // Views judged by their definitions need SHOW VIEW: without it VIEW_DEFINITION is empty and
  // every read of the view is refused.
  auto hidden = (*c)->query(
      "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.VIEWS WHERE VIEW_DEFINITION = '' AND "
      "TABLE_SCHEMA NOT IN ('information_schema', 'mysql', 'performance_schema', 'sys') ORDER BY 1, 2");
  if (hidden) {
    std::string last_schema;
    for (const auto& row : hidden->rows) {
      if (row.size() < 2 || !row[0] || !row[1] || *row[0] == last_schema) continue;
      last_schema = *row[0];
      findings.push_back(
          {"warning", "the definition of view " + *row[0] + "." + *row[1] + " (and maybe others in " +
                          *row[0] +
                          ") is not visible to this account, so sqlguard refuses every read of it; "
                          "run: GRANT SHOW VIEW ON " +
                          *row[0] + ".* TO <account>"});
    }
  }
  size_t warnings = 0;
  for (const auto& f : findings) {
    out << f.severity << ": " << f.message << "\n";
    if (f.severity == "warning") ++warnings;
  }
  out << "doctor: "
      << (warnings ? std::to_string(warnings) + " warning(s)" : std::string("OK, grants fit the policy"))
      << "\n";
  return warnings ? 1 : 0;
}

void register_doctor_command(CLI::App& app, int& exit_code) {
  auto* doctor = app.add_subcommand("doctor", "Check the database account's grants against the policy");
  auto config_file = std::make_shared<std::string>();
  doctor->add_option("--config", *config_file, "configuration file (YAML)")->required();
  doctor->callback([config_file, &exit_code] {
    auto config = load_config(*config_file);
    if (!config) {
      std::cerr << config.error().message << "\n";
      exit_code = 2;
      return;
    }
    exit_code = run_doctor(*config, std::cout, std::cerr);
  });
}
}  // namespace sqlguard::server
