#include "server/cli/init_command.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml-cpp/yaml.h>
#include <cerrno>
#include <cstring>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "common/address.h"
#include "common/bytes.h"
#include "common/random.h"
#include "common/time.h"
#include "db/credential_vault.h"
#include "db/mariadb_connection.h"
#include "db/sql_literal.h"
#include "policy/sensitive_values.h"
#include "recorder/key_file.h"
#include "server/cli/doctor_command.h"
#include "server/config/config.h"

namespace sqlguard::server {
namespace {

namespace fs = std::filesystem;

/// One column of a base table, and what the classifier made of it.
struct ColumnReport {
  std::string schema, table, column, data_type;
  policy::ColumnVerdict verdict;
};

std::string quote_identifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    out.push_back(c);
    if (c == '`') out.push_back('`');
  }
  return out + "`";
}

/// A YAML scalar as yaml-cpp would write it (plain when safe, quoted otherwise).
std::string yaml_scalar(const std::string& s) {
  YAML::Emitter e;
  e << YAML::DoubleQuoted << s;
  return e.c_str();
}

std::string yaml_plain_or_quoted(const std::string& s) {
  YAML::Emitter e;
  e << s;
  return e.c_str();
}

/// The mysql_native_password verifier: "*" + upper-case hex of SHA1(SHA1(password)).
std::string native_password_hash(const std::string& password) {
  unsigned char once[EVP_MAX_MD_SIZE], twice[EVP_MAX_MD_SIZE];
  unsigned int n1 = 0, n2 = 0;
  EVP_Digest(password.data(), password.size(), once, &n1, EVP_sha1(), nullptr);
  EVP_Digest(once, n1, twice, &n2, EVP_sha1(), nullptr);
  std::string hex = common::hex_encode(std::string_view(reinterpret_cast<const char*>(twice), n2));
  std::transform(hex.begin(), hex.end(), hex.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return "*" + hex;
}

/// A rule id from schema.table.column: lower-case letters, digits and '-'.
std::string rule_id(const ColumnReport& c, std::set<std::string>& taken) {
  std::string id;
  for (char ch : c.table + "-" + c.column) {
    const auto u = static_cast<unsigned char>(ch);
    id.push_back(std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '-');
  }
  if (id.empty() || !std::isalpha(static_cast<unsigned char>(id[0]))) id = "col-" + id;
  std::string unique = id;
  for (int n = 2; taken.count(unique); ++n) unique = id + "-" + std::to_string(n);
  taken.insert(unique);
  return unique;
}

/// The masking method for a kind, in the config's flow-map form.
std::string method_for(policy::SensitiveKind kind) {
  using K = policy::SensitiveKind;
  switch (kind) {
    case K::kEmail: return "method: email";
    case K::kCard:
    case K::kIban: return "method: partial, keep_last: 4";
    case K::kPhone: return "method: hash";
    case K::kNationalId:
    case K::kSecret:
    case K::kPasswordHash:
    case K::kBirthDate: return "method: redact";
  }
  return "method: redact";
}

bool sampleable(const std::string& data_type) {
  static const std::set<std::string> types = {"char",     "varchar", "tinytext", "text",   "mediumtext",
                                              "longtext", "bigint",  "int",      "decimal"};
  return types.count(data_type) > 0;
}

/// Creates `path` with `mode` (refusing an existing file unless `force`) and writes `content`.
common::Result<void> write_new_file(const fs::path& path, const std::string& content, mode_t mode,
                                    bool force) {
  if (force) fs::remove(path);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST)
      return common::fail(common::ErrorCode::kInvalidInput,
                          path.string() + " exists (use --force to overwrite)");
    return common::fail(common::ErrorCode::kUnavailable,
                        path.string() + ": cannot create: " + std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 || done != content.size())
    return common::fail(common::ErrorCode::kUnavailable, path.string() + ": cannot write");
  return {};
}

std::string in_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + db::sql_quote(n);
  return out;
}

struct Catalogue {
  std::vector<std::string> schemas;
  std::vector<ColumnReport> columns;  ///< base-table columns, in schema/table/ordinal order
  std::size_t tables = 0, views = 0;
};

common::Result<Catalogue> read_catalogue(db::MariaDbConnection& c, const InitOptions& o,
                                         const db::CredentialVault& vault) {
  Catalogue cat;
  auto schemas = c.query(
      "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN "
      "('information_schema', 'mysql', 'performance_schema', 'sys') ORDER BY 1");
  if (!schemas) return common::fail(schemas.error().code, vault.scrub(schemas.error().message));
  std::set<std::string> present;
  for (const auto& row : schemas->rows) {
    if (!row.empty() && row[0]) present.insert(*row[0]);
  }
  if (o.schemas.empty()) {
    cat.schemas.assign(present.begin(), present.end());
  } else {
    for (const auto& s : o.schemas) {
      if (!present.count(s))
        return common::fail(common::ErrorCode::kInvalidInput,
                            "schema '" + s + "' does not exist or is not visible to " + o.user);
      cat.schemas.push_back(s);
    }
  }
  if (cat.schemas.empty())
    return common::fail(common::ErrorCode::kInvalidInput,
                        "no schema to describe (none visible to " + o.user + ")");
  auto tables = c.query(
      "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (" +
      in_list(cat.schemas) + ")");
  if (!tables) return common::fail(tables.error().code, vault.scrub(tables.error().message));
  std::set<std::pair<std::string, std::string>> base;
  for (const auto& row : tables->rows) {
    if (row.size() < 3 || !row[0] || !row[1] || !row[2]) continue;
    if (*row[2] == "BASE TABLE") {
      base.insert({*row[0], *row[1]});
      ++cat.tables;
    } else if (*row[2] == "VIEW") {
      ++cat.views;
    }
  }
  auto cols = c.query(
      "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE "
      "TABLE_SCHEMA IN (" +
      in_list(cat.schemas) + ") ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION");
  if (!cols) return common::fail(cols.error().code, vault.scrub(cols.error().message));
  for (const auto& row : cols->rows) {
    if (row.size() < 4 || !row[0] || !row[1] || !row[2] || !row[3]) continue;
    if (!base.count({*row[0], *row[1]})) continue;  // views: masked through their lineage
    cat.columns.push_back({*row[0], *row[1], *row[2], *row[3], {}});
  }
  return cat;
}

/// Samples and classifies every column. Sampled values live only inside this function.
void classify_columns(db::MariaDbConnection& c, Catalogue& cat, const InitOptions& o,
                      const policy::ColumnClassifier& classifier, const db::CredentialVault& vault,
                      std::ostream& err) {
  for (auto& col : cat.columns) {
    std::vector<std::string> sample;
    if (sampleable(col.data_type)) {
      const std::string select = "SELECT CAST(" + quote_identifier(col.column) + " AS CHAR) FROM " +
                                 quote_identifier(col.schema) + "." + quote_identifier(col.table) +
                                 " WHERE " + quote_identifier(col.column) + " IS NOT NULL LIMIT " +
                                 std::to_string(o.sample_rows);
      // Read-only, bounded in rows, bytes and time: a sample of a huge, sparse column must not
      // scan for minutes.
      db::ExecuteOptions options;
      options.max_rows = o.sample_rows;
      options.max_result_bytes = 1 << 20;
      options.timeout_ms = 5000;
      auto rs = c.execute(select, options);
      if (!rs) {
        // The error names the statement's failure, never a value.
        err << "init: could not sample " << col.schema << "." << col.table << "." << col.column << " ("
            << vault.scrub(rs.error().message) << "); judged by its name only\n";
      } else {
        for (auto& row : rs->rows) {
          if (!row.empty() && row[0]) sample.push_back(std::move(*row[0]));
        }
      }
    }
    col.verdict = classifier.classify(col.column, sample);
    for (auto& v : sample) std::fill(v.begin(), v.end(), '\0');
  }
}

std::string config_text(const InitOptions& o, const Catalogue& cat, const std::string& account_host,
                        std::vector<std::string>& review) {
  std::string y;
  y += "# sqlguard configuration written by `sqlguard init` at " + common::rfc3339_ms(common::unix_ms_now()) +
       "\n# from the catalogue of " + std::to_string(cat.tables) + " table(s) and " +
       std::to_string(cat.views) + " view(s) in: ";
  for (std::size_t i = 0; i < cat.schemas.size(); ++i) y += (i ? ", " : "") + cat.schemas[i];
  y += ".\n# Sampled values were held in memory only: none of them is in this file or anywhere else.\n"
       "# Review every line marked REVIEW, then: sqlguard validate --config THIS_FILE; sqlguard doctor ...\n"
       "# Relative paths are resolved against this file's directory.\n";
  y += "server:\n  name: sqlguard\n\n";
  y += "database:\n";
  if (!o.socket.empty()) {
    y += "  socket: " + yaml_plain_or_quoted(o.socket) + "\n";
  } else {
    y += "  host: " + yaml_plain_or_quoted(o.host) + "\n  port: " + std::to_string(o.port) + "\n";
  }
  y += "  user: " + yaml_plain_or_quoted(o.account) + "   # sqlguard's own account: see " +
       o.out.filename().string() + ".grants.sql (host '" + account_host + "')\n";
  y += "  password_file: sqlguard-db-password   # mode 0600; or password_env: VAR\n";
  y += "  database: " + yaml_plain_or_quoted(cat.schemas.front()) +
       "   # default schema for unqualified names\n";
  if (!o.socket.empty() || common::is_loopback_address(o.host)) {
    y += "  pool: {max_connections: 8, acquire_timeout_ms: 5000}\n\n";
  } else {
    y += "  # REVIEW: the database is not on this host; turn TLS on (ca_file: the server's CA)\n"
         "  tls: {enabled: true, verify_server_cert: true}\n"
         "  pool: {max_connections: 8, acquire_timeout_ms: 5000}\n\n";
    review.push_back("database.tls: the database is reached over the network; check the TLS settings");
  }
  y += "# The identity of whoever launches `sqlguard serve --stdio` with this file. For HTTP, add\n"
       "# auth: (OIDC or API keys) and give rules principals by group: see docs/configuration.md.\n";
  y += "stdio:\n  principal:\n    subject: local-agent\n    groups: [agents]\n\n";
  y += "policy:\n  defaults: {max_rows: 200, max_result_bytes: 1048576, timeout_ms: 5000}\n  rules:\n";
  y +=
      "    - id: agents-read\n      action: allow\n      description: agents may read the schemas init "
      "described\n"
      "      principals: {groups: [agents]}\n      kinds: [select, show, describe, explain]\n      tables: [";
  for (std::size_t i = 0; i < cat.schemas.size(); ++i)
    y += (i ? ", " : "") + yaml_scalar(cat.schemas[i] + ".*");
  y += "]\n    # Writes are refused unless a rule allows them; to let agents propose changes for a\n"
       "    # reviewer, add an `approve` rule (docs/approvals.md) and grant the write privilege.\n\n";
  y += "masking:\n  hash_key_file: masking.key   # HMAC key for method hash (mode 0600)\n  rules:\n";
  std::set<std::string> ids;
  std::size_t masked = 0;
  for (const auto& c : cat.columns) {
    if (!c.verdict.mask) continue;
    const auto& f = *c.verdict.mask;
    const std::string target = c.schema + "." + c.table + "." + c.column;
    y += "    # " + std::string(f.by_name ? "REVIEW: " : "") + target + ": " + f.evidence + "\n";
    y += "    - {id: " + rule_id(c, ids) + ", columns: [" + yaml_scalar(target) + "], " + method_for(f.kind) +
         "}\n";
    if (f.by_name)
      review.push_back("masking: " + target + " is masked because of its name only (" + f.evidence + ")");
    ++masked;
  }
  if (masked == 0) y += "    []   # no column was flagged: REVIEW\n";
  y += "  # A safety net over every returned value, whatever its column.\n  detectors:\n"
       "    - {id: emails-in-text, kind: email, method: email}\n"
       "    - {id: cards-in-text, kind: card, method: redact}\n"
       "    - {id: ibans-in-text, kind: iban, method: redact}\n\n";
  y += "audit:\n  dir: audit   # created mode 0700\n  origin: " + yaml_plain_or_quoted(o.origin) +
       "\n  signing_key_file: audit-ed25519.key   # verify with audit-ed25519.pub\n"
       "  checkpoint_every_records: 1000\n  checkpoint_every_ms: 60000\n";
  for (const auto& c : cat.columns) {
    if (!c.verdict.review.empty())
      review.push_back("masking: " + c.schema + "." + c.table + "." + c.column + ": " + c.verdict.review);
  }
  return y;
}

std::vector<std::string> grant_statements(const InitOptions& o, const Catalogue& cat,
                                          const std::string& account_host, const std::string& password) {
  const std::string account = db::sql_quote(o.account) + "@" + db::sql_quote(account_host);
  std::vector<std::string> out;
  out.push_back("CREATE USER IF NOT EXISTS " + account + " IDENTIFIED BY PASSWORD " +
                db::sql_quote(native_password_hash(password)));
  out.push_back("ALTER USER " + account + " IDENTIFIED BY PASSWORD " +
                db::sql_quote(native_password_hash(password)));
  for (const auto& s : cat.schemas)
    out.push_back("GRANT SELECT, SHOW VIEW ON " + quote_identifier(s) + ".* TO " + account);
  return out;
}

}  // namespace

int run_init(const InitOptions& o, std::ostream& out, std::ostream& err) {
  if (o.out.empty()) {
    err << "init: --out is required\n";
    return 2;
  }
  if (o.sample_rows < 1 || o.sample_rows > 1000) {
    err << "init: --sample must be 1..1000\n";
    return 2;
  }
  auto vault = db::CredentialVault::open(o.password_file, o.password_env);
  if (!vault) {
    err << "init: " << vault.error().message << "\n";
    return 2;
  }
  db::DatabaseEndpoint ep;
  ep.host = o.host;
  ep.port = o.port;
  ep.socket = o.socket;
  ep.user = o.user;
  ep.password = vault->password();
  auto conn = db::MariaDbConnection::open(ep);
  if (!conn) {
    err << "init: " << vault->scrub(conn.error().message) << "\n";
    return 2;
  }
  auto cat = read_catalogue(**conn, o, *vault);
  if (!cat) {
    err << "init: " << cat.error().message << "\n";
    return 2;
  }
  auto classifier = policy::ColumnClassifier::create();
  if (!classifier) {
    err << "init: " << classifier.error().message << "\n";
    return 2;
  }
  out << "init: read " << cat->tables << " table(s), " << cat->views << " view(s), " << cat->columns.size()
      << " column(s) in " << cat->schemas.size() << " schema(s); sampling up to " << o.sample_rows
      << " values per column (in memory only)\n";
  classify_columns(**conn, *cat, o, **classifier, *vault, err);

  const fs::path dir = o.out.parent_path().empty() ? fs::path(".") : o.out.parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string account_host = !o.account_host.empty() ? o.account_host
                                                           : (!o.socket.empty() ? "localhost"
                                                              : common::is_loopback_address(o.host) ? o.host
                                                                                                    : "%");
  std::vector<std::string> review;
  const std::string yaml = config_text(o, *cat, account_host, review);

  auto password_bytes = common::random_bytes(24);
  auto hash_key = common::random_bytes(32);
  if (!password_bytes || !hash_key) {
    err << "init: the CSPRNG failed\n";
    return 2;
  }
  const std::string password = common::base64url_encode(*password_bytes);
  const auto grants = grant_statements(o, *cat, account_host, password);
  std::string grants_sql =
      "-- sqlguard's own database account, written by `sqlguard init`: only what the read-only policy\n"
      "-- needs (SELECT, and SHOW VIEW so sqlguard can judge views by their definitions). The password\n"
      "-- is in sqlguard-db-password; here only its mysql_native_password hash. Run as an administrator:\n"
      "--   mariadb < " +
      o.out.filename().string() +
      ".grants.sql\n"
      "-- MySQL 8: replace `IDENTIFIED BY PASSWORD '<hash>'` by `IDENTIFIED WITH mysql_native_password AS "
      "'<hash>'`.\n";
  for (const auto& g : grants) grants_sql += g + ";\n";

  const fs::path grants_path = fs::path(o.out.string() + ".grants.sql");
  if (auto r = write_new_file(o.out, yaml, 0644, o.force); !r) {
    err << "init: " << r.error().message << "\n";
    return 2;
  }
  for (auto [path, content] : {std::pair{dir / "sqlguard-db-password", password + "\n"},
                               std::pair{dir / "masking.key", common::base64_encode(*hash_key) + "\n"},
                               std::pair{grants_path, grants_sql}}) {
    if (auto r = write_new_file(path, content, 0600, o.force); !r) {
      err << "init: " << r.error().message << "\n";
      return 2;
    }
  }
  if (o.force) {
    fs::remove(dir / "audit-ed25519.key", ec);
    fs::remove(dir / "audit-ed25519.pub", ec);
  }
  if (auto keys = recorder::write_key_pair(o.origin, dir / "audit-ed25519"); !keys) {
    err << "init: signing key: " << keys.error().message << "\n";
    return 2;
  }
  out << "init: wrote " << o.out.string() << ", " << grants_path.string()
      << ", sqlguard-db-password, masking.key, audit-ed25519.key/.pub in " << dir.string() << "\n";
  std::size_t masked = 0;
  for (const auto& c : cat->columns) masked += c.verdict.mask ? 1 : 0;
  out << "init: " << masked << " column(s) masked:\n";
  for (const auto& c : cat->columns) {
    if (c.verdict.mask)
      out << "  " << c.schema << "." << c.table << "." << c.column << " ("
          << policy::to_string(c.verdict.mask->kind) << "): " << c.verdict.mask->evidence << "\n";
  }

  if (o.apply_grants) {
    db::ExecuteOptions write;
    write.read_only = false;
    for (const auto& g : grants) {
      auto r = (*conn)->execute(g, write);
      if (!r) {
        err << "init: --apply-grants: " << vault->scrub(r.error().message) << "\n";
        return 2;
      }
    }
    out << "init: created/updated account '" << o.account << "'@'" << account_host << "' with "
        << cat->schemas.size() << " grant(s)\n";
  }
  conn->reset();

  auto config = load_config(o.out.string());
  if (!config) {
    err << "init: the written config does not validate (a bug; please report): " << config.error().message
        << "\n";
    return 2;
  }
  out << "init: " << o.out.string() << " validates (" << config->policy.rules.size() << " policy rule(s), "
      << config->masking.rules.size() << " masking rule(s))\n";
  int status = 0;
  if (o.apply_grants) {
    out << "init: doctor:\n";
    status = run_doctor(*config, out, err) == 0 ? 0 : 1;
  } else {
    review.insert(review.begin(),
                  "the account: run " + grants_path.string() +
                      " as an administrator (or rerun with --apply-grants), then sqlguard doctor "
                      "--config " +
                      o.out.string());
  }
  out << "init: review by hand (" << review.size() << "):\n";
  for (const auto& r : review) out << "  - " << r << "\n";
  out << "init: then serve: sqlguard serve --stdio --config " << o.out.string() << "\n";
  return status;
}

void register_init_command(CLI::App& app, int& exit_code) {
  auto* init = app.add_subcommand(
      "init",
      "Write a starter configuration from a database: read-only policy, masking rules from sampled values, "
      "signing key, least-privilege grants");
  auto o = std::make_shared<InitOptions>();
  auto schemas_ptr = std::make_shared<std::string>();
  init->add_option("--host", o->host, "database host (default 127.0.0.1)");
  init->add_option("--port", o->port, "database port (default 3306)");
  init->add_option("--socket", o->socket, "unix socket (preferred over host/port)");
  init->add_option("--user", o->user,
                   "the account init connects with (reads the catalogue and samples values)")
      ->required();
  init->add_option("--password-env", o->password_env, "environment variable holding that account's password");
  init->add_option("--password-file", o->password_file, "or a file (mode 0600) holding it");
  init->add_option("--schemas", *schemas_ptr,
                   "comma-separated schemas (default: all but the system schemas)");
  init->add_option("--sample", o->sample_rows, "values sampled per column (default 40, at most 1000)");
  init->add_option("--out", o->out, "the config file to write (the other files go next to it)")->required();
  init->add_option("--account", o->account, "sqlguard's own database account (default sqlguard_agent)");
  init->add_option("--account-host", o->account_host,
                   "its host part (default: localhost for a socket, the loopback address, else '%')");
  init->add_option("--origin", o->origin, "the audit log's origin (default sqlguard.local/audit)");
  init->add_flag("--apply-grants", o->apply_grants,
                 "create sqlguard's account with the connecting account, then run doctor");
  init->add_flag("--force", o->force, "overwrite existing files");
  init->callback([o, schemas_ptr, &exit_code] {
    o->schemas.clear();
    std::string s = *schemas_ptr;
    std::size_t start = 0;
    while (start <= s.size() && !s.empty()) {
      const auto comma = s.find(',', start);
      std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      part.erase(0, part.find_first_not_of(' '));
      part.erase(part.find_last_not_of(' ') + 1);
      if (!part.empty()) o->schemas.push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    exit_code = run_init(*o, std::cout, std::cerr);
  });
}

}  // namespace sqlguard::server
