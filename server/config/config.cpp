#include "server/config/config.h"

#include <fstream>
#include <sstream>

#include <re2/re2.h>

#include "common/address.h"
#include "db/credential_vault.h"
#include "policy/statement_analysis.h"
#include "server/config/yaml_reader.h"

namespace sqlguard::server {
namespace {

namespace fs = std::filesystem;

fs::path resolve(const fs::path& base, const std::string& p) {
  if (p.empty()) return {};
  fs::path path(p);
  return path.is_absolute() ? path : (base / path).lexically_normal();
}

void parse_principal(YamlReader& r, const YAML::Node& n, const std::string& path, policy::Principal& out) {
  if (!r.expect_map(n, path, {"subject", "groups"})) return;
  if (auto s = r.string(n, "subject", path)) out.subject = *s;
  out.groups = r.strings(n, "groups", path);
  if (out.subject.empty()) r.error(n, path + ".subject", "required");
}

void parse_database(YamlReader& r, const YAML::Node& n, const fs::path& base, Config& c) {
  const std::string path = "database";
  if (!n.IsDefined()) {
    r.error(n, path, "required section is missing");
    return;
  }
  if (!r.expect_map(n, path,
                    {"host", "port", "socket", "user", "password", "password_file", "password_env",
                     "database", "tls", "pool", "connect_timeout_ms"})) {
    return;
  }
  auto& db = c.database;
  if (n["password"].IsDefined()) {
    r.error(n["password"], path + ".password",
            "inline passwords are not allowed; use password_file or password_env");
  }
  if (auto v = r.string(n, "host", path)) db.host = *v;
  if (auto v = r.uint(n, "port", path, 1, 65535)) db.port = static_cast<uint16_t>(*v);
  if (auto v = r.string(n, "socket", path)) db.socket = resolve(base, *v).string();
  if (auto v = r.string(n, "user", path))
    db.user = *v;
  else
    r.error(n, path + ".user", "required");
  if (auto v = r.string(n, "database", path)) db.database = *v;
  if (auto v = r.uint(n, "connect_timeout_ms", path, 100, 600000)) {
    db.connect_timeout_ms = static_cast<uint32_t>(*v);
  }
  if (auto v = r.string(n, "password_file", path)) c.credential.password_file = resolve(base, *v);
  if (auto v = r.string(n, "password_env", path)) c.credential.password_env = *v;
  if (!c.credential.password_file.empty() && !c.credential.password_env.empty()) {
    r.error(n, path, "set password_file or password_env, not both");
  }
  const YAML::Node tls = n["tls"];
  if (r.expect_map(tls, path + ".tls",
                   {"enabled", "verify_server_cert", "ca_file", "cert_file", "key_file"})) {
    const std::string tp = path + ".tls";
    if (auto v = r.boolean(tls, "enabled", tp)) db.tls.enabled = *v;
    if (auto v = r.boolean(tls, "verify_server_cert", tp)) db.tls.verify_server_cert = *v;
    if (auto v = r.string(tls, "ca_file", tp)) db.tls.ca_file = resolve(base, *v).string();
    if (auto v = r.string(tls, "cert_file", tp)) db.tls.cert_file = resolve(base, *v).string();
    if (auto v = r.string(tls, "key_file", tp)) db.tls.key_file = resolve(base, *v).string();
  }
  const YAML::Node pool = n["pool"];
  if (r.expect_map(pool, path + ".pool", {"max_connections", "acquire_timeout_ms"})) {
    if (auto v = r.uint(pool, "max_connections", path + ".pool", 1, 1024)) {
      c.pool.max_connections = static_cast<uint32_t>(*v);
    }
    if (auto v = r.uint(pool, "acquire_timeout_ms", path + ".pool", 1, 600000)) {
      c.pool.acquire_timeout_ms = static_cast<uint32_t>(*v);
    }
  }
}

std::optional<policy::Action> parse_action(const std::string& s) {
  if (s == "allow") return policy::Action::kAllow;
  if (s == "deny") return policy::Action::kDeny;
  if (s == "approve") return policy::Action::kApprove;
  return std::nullopt;
}

void parse_limits(YamlReader& r, const YAML::Node& n, const std::string& path, policy::Limits& l) {
  if (auto v = r.uint(n, "max_rows", path, 1, 10'000'000)) l.max_rows = *v;
  if (auto v = r.uint(n, "max_result_bytes", path, 1, 1ull << 32)) l.max_result_bytes = *v;
  if (auto v = r.uint(n, "timeout_ms", path, 1, 3'600'000)) l.timeout_ms = static_cast<uint32_t>(*v);
}

void parse_policy(YamlReader& r, const YAML::Node& n, Config& c) {
  const std::string path = "policy";
  if (!n.IsDefined()) {
    r.error(n, path, "required section is missing (without rules every statement is denied)");
    return;
  }
  if (!r.expect_map(n, path, {"defaults", "unsafe_allow", "rules"})) return;
  auto& pc = c.policy;
  const YAML::Node defaults = n["defaults"];
  if (r.expect_map(defaults, path + ".defaults", {"max_rows", "max_result_bytes", "timeout_ms"})) {
    parse_limits(r, defaults, path + ".defaults", pc.defaults);
  }
  const YAML::Node unsafe = n["unsafe_allow"];
  for (const auto& name : r.strings(n, "unsafe_allow", path)) {
    auto& u = pc.unsafe_allow;
    if (name == "file_io")
      u.file_io = true;
    else if (name == "privilege_statements")
      u.privilege_statements = true;
    else if (name == "session_control")
      u.session_control = true;
    else if (name == "dynamic_sql")
      u.dynamic_sql = true;
    else if (name == "sleep_and_lock_functions")
      u.sleep_and_lock_functions = true;
    else if (name == "executable_comments")
      u.executable_comments = true;
    else if (name == "optimizer_hints")
      u.optimizer_hints = true;
    else if (name == "administration")
      u.administration = true;
    else if (name == "system_variables")
      u.system_variables = true;
    else if (name == "locking_reads")
      u.locking_reads = true;
    else if (name == "sequence_changes")
      u.sequence_changes = true;
    else {
      r.error(unsafe, path + ".unsafe_allow",
              "unknown allowance '" + name +
                  "'; expected file_io, privilege_statements, session_control, dynamic_sql, "
                  "sleep_and_lock_functions, executable_comments, optimizer_hints, administration, "
                  "system_variables, locking_reads, sequence_changes");
    }
  }
  const YAML::Node rules = n["rules"];
  if (!rules.IsDefined() || rules.IsNull()) return;
  if (!rules.IsSequence()) {
    r.error(rules, path + ".rules", "expected a list of rules");
    return;
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    const YAML::Node rn = rules[i];
    const std::string rp = YamlReader::index(path + ".rules", i);
    if (!r.expect_map(rn, rp,
                      {"id", "action", "description", "principals", "kinds", "tables", "columns", "functions",
                       "max_rows", "max_result_bytes", "timeout_ms", "approvers", "approvals_required"})) {
      if (!rn.IsMap()) continue;
    }
    policy::PolicyRule rule;
    rule.source = c.file.filename().string() + ":" + std::to_string(rn.Mark().line + 1);
    if (auto v = r.string(rn, "id", rp))
      rule.id = *v;
    else
      r.error(rn, rp + ".id", "required");
    for (const auto& other : pc.rules) {
      if (!rule.id.empty() && other.id == rule.id) {
        r.error(rn["id"], rp + ".id", "duplicate rule id '" + rule.id + "'");
      }
    }
    if (auto v = r.string(rn, "action", rp)) {
      if (auto a = parse_action(*v))
        rule.action = *a;
      else
        r.error(rn["action"], rp + ".action", "expected allow, deny or approve, got '" + *v + "'");
    } else {
      r.error(rn, rp + ".action", "required");
    }
    if (auto v = r.string(rn, "description", rp)) rule.description = *v;
    const YAML::Node pn = rn["principals"];
    if (r.expect_map(pn, rp + ".principals", {"subjects", "groups", "clients"})) {
      rule.principals.subjects = r.strings(pn, "subjects", rp + ".principals");
      rule.principals.groups = r.strings(pn, "groups", rp + ".principals");
      rule.principals.clients = r.strings(pn, "clients", rp + ".principals");
    }
    rule.kinds = r.strings(rn, "kinds", rp);
    for (size_t k = 0; k < rule.kinds.size(); ++k) {
      if (rule.kinds[k] != "*" && !policy::statement_kind_from_string(rule.kinds[k])) {
        r.error(rn["kinds"], YamlReader::index(rp + ".kinds", k),
                "unknown statement kind '" + rule.kinds[k] + "' (see docs/policy.md)");
      }
    }
    rule.tables = r.strings(rn, "tables", rp);
    rule.columns = r.strings(rn, "columns", rp);
    rule.functions = r.strings(rn, "functions", rp);
    if (auto v = r.uint(rn, "max_rows", rp, 1, 10'000'000)) rule.max_rows = *v;
    if (auto v = r.uint(rn, "max_result_bytes", rp, 1, 1ull << 32)) rule.max_result_bytes = *v;
    if (auto v = r.uint(rn, "timeout_ms", rp, 1, 3'600'000)) rule.timeout_ms = static_cast<uint32_t>(*v);
    rule.approver_groups = r.strings(rn, "approvers", rp);
    if (auto v = r.uint(rn, "approvals_required", rp, 1, 10)) {
      rule.approvals_required = static_cast<uint32_t>(*v);
    }
    if (rule.action == policy::Action::kApprove && rule.approver_groups.empty()) {
      r.error(rn, rp + ".approvers", "an approve rule needs at least one approver group");
    }
    pc.rules.push_back(std::move(rule));
  }
}

std::optional<policy::MaskingMethod> parse_method(const std::string& s) {
  using M = policy::MaskingMethod;
  if (s == "redact") return M::kRedact;
  if (s == "partial") return M::kPartial;
  if (s == "email") return M::kEmail;
  if (s == "hash") return M::kHash;
  if (s == "null") return M::kNull;
  if (s == "fixed") return M::kFixed;
  return std::nullopt;
}

void parse_exempt(YamlReader& r, const YAML::Node& n, const std::string& path,
                  std::vector<std::string>& subjects, std::vector<std::string>& groups) {
  if (!r.expect_map(n, path, {"subjects", "groups"})) return;
  subjects = r.strings(n, "subjects", path);
  groups = r.strings(n, "groups", path);
}

void parse_masking(YamlReader& r, const YAML::Node& n, const fs::path& base, Config& c) {
  const std::string path = "masking";
  if (!r.expect_map(n, path, {"hash_key_file", "rules", "detectors"})) return;
  auto& mc = c.masking;
  bool needs_key = false;
  const YAML::Node rules = n["rules"];
  if (rules.IsDefined() && !rules.IsNull() && !rules.IsSequence()) {
    r.error(rules, path + ".rules", "expected a list of rules");
  } else if (rules.IsDefined() && rules.IsSequence()) {
    for (size_t i = 0; i < rules.size(); ++i) {
      const YAML::Node rn = rules[i];
      const std::string rp = YamlReader::index(path + ".rules", i);
      if (!r.expect_map(rn, rp,
                        {"id", "columns", "column_pattern", "method", "token", "keep_first", "keep_last",
                         "hash_length", "value", "exempt", "allow"})) {
        continue;
      }
      policy::MaskingRule rule;
      rule.source = c.file.filename().string() + ":" + std::to_string(rn.Mark().line + 1);
      if (auto v = r.string(rn, "id", rp))
        rule.id = *v;
      else
        r.error(rn, rp + ".id", "required");
      rule.columns = r.strings(rn, "columns", rp);
      for (size_t k = 0; k < rule.columns.size(); ++k) {
        const auto& col = rule.columns[k];
        if (std::count(col.begin(), col.end(), '.') != 2) {
          r.error(rn["columns"], YamlReader::index(rp + ".columns", k),
                  "expected schema.table.column (globs allowed), got '" + col + "'");
        }
      }
      if (auto v = r.string(rn, "column_pattern", rp)) {
        rule.column_pattern = *v;
        RE2 re(*v, RE2::Quiet);
        if (!re.ok())
          r.error(rn["column_pattern"], rp + ".column_pattern", "invalid RE2 pattern: " + re.error());
      }
      if (rule.columns.empty() && rule.column_pattern.empty()) {
        r.error(rn, rp, "a masking rule needs columns or column_pattern");
      }
      if (auto v = r.string(rn, "method", rp)) {
        if (auto m = parse_method(*v))
          rule.method = *m;
        else
          r.error(rn["method"], rp + ".method",
                  "expected redact, partial, email, hash, null or fixed, got '" + *v + "'");
      } else {
        r.error(rn, rp + ".method", "required");
      }
      needs_key = needs_key || rule.method == policy::MaskingMethod::kHash;
      if (auto v = r.string(rn, "token", rp)) rule.token = *v;
      if (auto v = r.uint(rn, "keep_first", rp, 0, 64)) rule.keep_first = static_cast<uint32_t>(*v);
      if (auto v = r.uint(rn, "keep_last", rp, 0, 64)) rule.keep_last = static_cast<uint32_t>(*v);
      if (auto v = r.uint(rn, "hash_length", rp, 8, 64)) rule.hash_length = static_cast<uint32_t>(*v);
      if (auto v = r.string(rn, "value", rp)) rule.value = *v;
      parse_exempt(r, rn["exempt"], rp + ".exempt", rule.exempt_subjects, rule.exempt_groups);
      rule.allow = r.strings(rn, "allow", rp);
      for (const auto& a : rule.allow) {
        if (a != "where_equality" && a != "join_equality" && a != "count") {
          r.error(rn["allow"], rp + ".allow",
                  "unknown relaxation '" + a + "'; expected where_equality, join_equality or count");
        }
      }
      mc.rules.push_back(std::move(rule));
    }
  }
  const YAML::Node detectors = n["detectors"];
  if (detectors.IsDefined() && detectors.IsSequence()) {
    for (size_t i = 0; i < detectors.size(); ++i) {
      const YAML::Node dn = detectors[i];
      const std::string dp = YamlReader::index(path + ".detectors", i);
      if (!r.expect_map(dn, dp, {"id", "kind", "pattern", "method", "token", "exempt"})) continue;
      policy::ValueDetector d;
      if (auto v = r.string(dn, "id", dp))
        d.id = *v;
      else
        r.error(dn, dp + ".id", "required");
      if (auto v = r.string(dn, "kind", dp)) {
        d.kind = *v;
        if (d.kind != "email" && d.kind != "card" && d.kind != "iban" && d.kind != "phone" &&
            d.kind != "pattern") {
          r.error(dn["kind"], dp + ".kind", "expected email, card, iban, phone or pattern");
        }
      } else {
        r.error(dn, dp + ".kind", "required");
      }
      if (auto v = r.string(dn, "pattern", dp)) {
        d.pattern = *v;
        RE2 re(*v, RE2::Quiet);
        if (!re.ok()) r.error(dn["pattern"], dp + ".pattern", "invalid RE2 pattern: " + re.error());
      }
      if (d.kind == "pattern" && d.pattern.empty()) r.error(dn, dp + ".pattern", "required for kind pattern");
      if (auto v = r.string(dn, "method", dp)) {
        if (auto m = parse_method(*v))
          d.method = *m;
        else
          r.error(dn["method"], dp + ".method", "expected redact, partial, email, hash, null or fixed");
      }
      needs_key = needs_key || d.method == policy::MaskingMethod::kHash;
      if (auto v = r.string(dn, "token", dp)) d.token = *v;
      parse_exempt(r, dn["exempt"], dp + ".exempt", d.exempt_subjects, d.exempt_groups);
      mc.detectors.push_back(std::move(d));
    }
  } else if (detectors.IsDefined() && !detectors.IsNull()) {
    r.error(detectors, path + ".detectors", "expected a list of detectors");
  }
  if (auto v = r.string(n, "hash_key_file", path)) {
    auto key = db::read_secret_file(resolve(base, *v), "masking hash key");
    if (!key)
      r.error(n["hash_key_file"], path + ".hash_key_file", key.error().message);
    else
      mc.hash_key = *key;
  } else if (needs_key) {
    r.error(n, path + ".hash_key_file", "required when a rule or detector uses method hash");
  }
}

void parse_audit(YamlReader& r, const YAML::Node& n, const fs::path& base, Config& c) {
  const std::string path = "audit";
  if (!n.IsDefined()) {
    r.error(n, path, "required section is missing (sqlguard does not run unrecorded)");
    return;
  }
  if (!r.expect_map(n, path,
                    {"dir", "origin", "segment_bytes", "checkpoint_every_records", "checkpoint_every_ms",
                     "recovery_probe_ms", "signing_key_file", "witness_dir", "record_results", "durability",
                     "preallocate_bytes"})) {
    return;
  }
  auto& a = c.audit;
  if (auto v = r.string(n, "dir", path))
    a.log.dir = resolve(base, *v);
  else
    r.error(n, path + ".dir", "required");
  if (auto v = r.string(n, "origin", path)) {
    a.log.origin = *v;
    if (v->empty() || v->find_first_of(" +\t\n") != std::string::npos) {
      r.error(n["origin"], path + ".origin", "must be non-empty without spaces or '+' (C2SP origin line)");
    }
  }
  if (auto v = r.uint(n, "segment_bytes", path, 4096, 1ull << 40)) a.log.segment_bytes = *v;
  if (auto v = r.uint(n, "preallocate_bytes", path, 0, 1ull << 30)) a.log.preallocate_bytes = *v;
  if (auto v = r.uint(n, "checkpoint_every_records", path)) a.log.checkpoint_every_records = *v;
  if (auto v = r.uint(n, "checkpoint_every_ms", path)) a.log.checkpoint_every = std::chrono::milliseconds(*v);
  if (auto v = r.uint(n, "recovery_probe_ms", path, 10, 3600000))
    a.log.recovery_probe_every = std::chrono::milliseconds(*v);
  if (auto v = r.string(n, "signing_key_file", path)) a.log.signing_key_file = resolve(base, *v);
  if (auto v = r.string(n, "witness_dir", path)) a.log.witness_dir = resolve(base, *v);
  if (auto v = r.string(n, "durability", path)) {
    if (*v == "strict" || *v == "intent") {
      a.strict_durability = *v == "strict";
    } else {
      r.error(n["durability"], path + ".durability", "expected strict or intent, got '" + *v + "'");
    }
  }
  const YAML::Node rr = n["record_results"];
  if (r.expect_map(rr, path + ".record_results", {"enabled", "max_rows"})) {
    if (auto v = r.boolean(rr, "enabled", path + ".record_results")) a.record_results = *v;
    if (auto v = r.uint(rr, "max_rows", path + ".record_results", 1, 100000)) {
      a.record_results_max_rows = static_cast<uint32_t>(*v);
    }
  }
}

void parse_http(YamlReader& r, const YAML::Node& n, const fs::path& base, Config& c) {
  const std::string path = "http";
  if (!r.expect_map(n, path,
                    {"enabled", "listen", "port", "resource_url", "allowed_origins", "allowed_hosts", "tls",
                     "max_request_bytes", "session_idle_timeout_s"})) {
    return;
  }
  auto& h = c.http;
  h.enabled = true;
  if (auto v = r.boolean(n, "enabled", path)) h.enabled = *v;
  if (auto v = r.string(n, "listen", path)) h.listen_host = *v;
  if (auto v = r.uint(n, "port", path, 0, 65535)) h.port = static_cast<uint16_t>(*v);
  if (auto v = r.string(n, "resource_url", path)) h.resource_url = *v;
  h.allowed_origins = r.strings(n, "allowed_origins", path);
  h.allowed_hosts = r.strings(n, "allowed_hosts", path);
  const YAML::Node tls = n["tls"];
  if (r.expect_map(tls, path + ".tls", {"cert_file", "key_file"})) {
    if (auto v = r.string(tls, "cert_file", path + ".tls")) h.tls_cert_file = resolve(base, *v);
    if (auto v = r.string(tls, "key_file", path + ".tls")) h.tls_key_file = resolve(base, *v);
    if (h.tls_cert_file.empty() != h.tls_key_file.empty()) {
      r.error(tls, path + ".tls", "set both cert_file and key_file");
    }
  }
  if (auto v = r.uint(n, "max_request_bytes", path, 1024, 1ull << 30)) h.max_request_bytes = *v;
  if (auto v = r.uint(n, "session_idle_timeout_s", path, 1, 86400 * 7)) {
    h.session_idle_timeout_s = static_cast<uint32_t>(*v);
  }
}

void parse_mysql(YamlReader& r, const YAML::Node& n, const fs::path& base, Config& c) {
  const std::string path = "mysql";
  if (!r.expect_map(n, path,
                    {"enabled", "listen", "port", "tls", "max_connections", "idle_timeout_s",
                     "handshake_timeout_s", "max_packet_bytes", "max_auth_failures", "accounts"})) {
    return;
  }
  auto& m = c.mysql;
  m.enabled = true;
  if (auto v = r.boolean(n, "enabled", path)) m.enabled = *v;
  if (auto v = r.string(n, "listen", path)) m.listen_host = *v;
  const YAML::Node tls = n["tls"];
  if (r.expect_map(tls, path + ".tls", {"cert_file", "key_file"})) {
    if (auto v = r.string(tls, "cert_file", path + ".tls")) m.tls_cert_file = resolve(base, *v);
    if (auto v = r.string(tls, "key_file", path + ".tls")) m.tls_key_file = resolve(base, *v);
    if (m.tls_cert_file.empty() || m.tls_key_file.empty())
      r.error(tls, path + ".tls", "set both cert_file and key_file");
  }
  if (!common::is_loopback_address(m.listen_host) && m.tls_cert_file.empty()) {
    r.error(n["listen"], path + ".listen",
            "a non-loopback address needs mysql.tls (cert_file, key_file): passwords and tokens must not "
            "cross the network in clear");
  }
  if (auto v = r.uint(n, "port", path, 0, 65535)) m.port = static_cast<uint16_t>(*v);
  if (auto v = r.uint(n, "max_connections", path, 1, 100000)) m.max_connections = static_cast<uint32_t>(*v);
  if (auto v = r.uint(n, "idle_timeout_s", path, 1, 86400 * 7)) m.idle_timeout_s = static_cast<uint32_t>(*v);
  if (auto v = r.uint(n, "handshake_timeout_s", path, 1, 600))
    m.handshake_timeout_s = static_cast<uint32_t>(*v);
  if (auto v = r.uint(n, "max_packet_bytes", path, 1024, 1ull << 30)) m.max_packet_bytes = *v;
  if (auto v = r.uint(n, "max_auth_failures", path, 1, 1000000))
    m.max_auth_failures = static_cast<uint32_t>(*v);
  const YAML::Node accounts = n["accounts"];
  if (accounts.IsDefined() && accounts.IsSequence()) {
    for (size_t i = 0; i < accounts.size(); ++i) {
      const std::string ap = YamlReader::index(path + ".accounts", i);
      const YAML::Node an = accounts[i];
      if (!r.expect_map(an, ap, {"user", "password_verifier", "principal", "password"})) continue;
      MySqlAccountConfig a;
      if (an["password"].IsDefined()) {
        r.error(an["password"], ap + ".password",
                "not allowed: give password_verifier, the output of SELECT PASSWORD('...') (\"*\" + 40 hex "
                "digits)");
      }
      if (auto v = r.string(an, "user", ap)) a.user = *v;
      if (a.user.empty() || a.user.size() > 256) r.error(an, ap + ".user", "required (1 to 256 bytes)");
      if (auto v = r.string(an, "password_verifier", ap)) a.password_verifier = *v;
      if (!RE2::FullMatch(a.password_verifier, "\\*[0-9A-Fa-f]{40}")) {
        r.error(an, ap + ".password_verifier",
                "expected \"*\" + 40 hex digits (SHA1(SHA1(password)), as SELECT PASSWORD('...') prints it)");
      }
      parse_principal(r, an["principal"], ap + ".principal", a.principal);
      if (!an["principal"].IsDefined()) r.error(an, ap + ".principal.subject", "required");
      a.principal.auth_method = "mysql-account";
      for (const auto& other : m.accounts) {
        if (other.user == a.user) r.error(an, ap + ".user", "duplicate user '" + a.user + "'");
      }
      m.accounts.push_back(std::move(a));
    }
  } else if (accounts.IsDefined() && !accounts.IsNull()) {
    r.error(accounts, path + ".accounts", "expected a list");
  }
}

void parse_auth(YamlReader& r, const YAML::Node& n, const fs::path& base, Config& c) {
  const std::string path = "auth";
  if (!r.expect_map(n, path, {"oidc", "api_keys", "stdio_token_env"})) return;
  if (auto v = r.string(n, "stdio_token_env", path)) c.auth.stdio_token_env = *v;
  const YAML::Node o = n["oidc"];
  if (r.expect_map(
          o, path + ".oidc",
          {"issuer", "discovery_url", "jwks_uri", "jwks_file", "audiences", "algorithms", "required_scopes",
           "clock_skew_s", "claims", "accept_id_tokens", "jwks_min_refresh_interval_s"})) {
    const std::string op = path + ".oidc";
    OidcConfig oc;
    if (auto v = r.string(o, "issuer", op))
      oc.issuer = *v;
    else
      r.error(o, op + ".issuer", "required");
    if (auto v = r.string(o, "discovery_url", op)) oc.discovery_url = *v;
    if (auto v = r.string(o, "jwks_uri", op)) oc.jwks_uri = *v;
    if (auto v = r.string(o, "jwks_file", op)) oc.jwks_file = resolve(base, *v);
    oc.audiences = r.strings(o, "audiences", op);
    if (o["algorithms"].IsDefined()) oc.algorithms = r.strings(o, "algorithms", op);
    for (const auto& alg : oc.algorithms) {
      if (alg != "RS256" && alg != "ES256" && alg != "EdDSA" && alg != "PS256" && alg != "RS384" &&
          alg != "RS512" && alg != "ES384") {
        r.error(o["algorithms"], op + ".algorithms",
                "unsupported algorithm '" + alg + "' (asymmetric algorithms only; never none or HS*)");
      }
    }
    oc.required_scopes = r.strings(o, "required_scopes", op);
    if (auto v = r.uint(o, "clock_skew_s", op, 0, 600)) oc.clock_skew_s = static_cast<uint32_t>(*v);
    if (auto v = r.boolean(o, "accept_id_tokens", op)) oc.accept_id_tokens = *v;
    if (auto v = r.uint(o, "jwks_min_refresh_interval_s", op, 1, 86400)) {
      oc.jwks_min_refresh_interval_s = static_cast<uint32_t>(*v);
    }
    const YAML::Node cl = o["claims"];
    if (r.expect_map(cl, op + ".claims", {"subject", "groups", "client_id"})) {
      if (auto v = r.string(cl, "subject", op + ".claims")) oc.subject_claim = *v;
      if (auto v = r.string(cl, "groups", op + ".claims")) oc.groups_claim = *v;
      if (auto v = r.string(cl, "client_id", op + ".claims")) oc.client_id_claim = *v;
    }
    c.auth.oidc = std::move(oc);
  }
  const YAML::Node keys = n["api_keys"];
  if (keys.IsDefined() && keys.IsSequence()) {
    for (size_t i = 0; i < keys.size(); ++i) {
      const std::string kp = YamlReader::index(path + ".api_keys", i);
      const YAML::Node kn = keys[i];
      if (!r.expect_map(kn, kp, {"id", "sha256", "subject", "groups"})) continue;
      ApiKeyConfig k;
      if (auto v = r.string(kn, "id", kp)) k.id = *v;
      if (auto v = r.string(kn, "sha256", kp)) k.sha256_hex = *v;
      if (!RE2::FullMatch(k.sha256_hex, "[0-9a-f]{64}")) {
        r.error(kn, kp + ".sha256",
                "expected 64 lower-case hex digits (the SHA-256 of the key, never the key)");
      }
      if (auto v = r.string(kn, "subject", kp))
        k.subject = *v;
      else
        r.error(kn, kp + ".subject", "required");
      k.groups = r.strings(kn, "groups", kp);
      c.auth.api_keys.push_back(std::move(k));
    }
  } else if (keys.IsDefined() && !keys.IsNull()) {
    r.error(keys, path + ".api_keys", "expected a list");
  }
}

void parse_approvals(YamlReader& r, const YAML::Node& n, const fs::path& base, Config& c) {
  const std::string path = "approvals";
  if (!n.IsDefined()) return;
  auto& a = c.approvals;
  a.enabled = true;
  a.sqlite_path = base / "approvals.db";
  if (n.IsNull()) return;
  if (!r.expect_map(n, path,
                    {"store", "wait_ms", "expiry_s", "reviewer_groups", "webhook_url",
                     "trust_loopback_reviewer_header"})) {
    return;
  }
  if (auto v = r.uint(n, "wait_ms", path, 0, 600000)) a.wait_ms = static_cast<uint32_t>(*v);
  if (auto v = r.uint(n, "expiry_s", path, 1, 86400 * 30)) a.expiry_s = static_cast<uint32_t>(*v);
  a.reviewer_groups = r.strings(n, "reviewer_groups", path);
  if (auto v = r.string(n, "webhook_url", path)) {
    a.webhook_url = *v;
    if (!v->starts_with("https://") && !v->starts_with("http://")) {
      r.error(n["webhook_url"], path + ".webhook_url", "expected an http:// or https:// URL");
    }
  }
  if (auto v = r.boolean(n, "trust_loopback_reviewer_header", path)) a.trust_loopback_reviewer_header = *v;
  const YAML::Node st = n["store"];
  const std::string sp = path + ".store";
  if (!r.expect_map(st, sp,
                    {"type", "path", "socket", "host", "port", "user", "password", "password_file",
                     "password_env", "database", "connect_timeout_ms"})) {
    return;
  }
  if (auto v = r.string(st, "type", sp)) {
    if (*v != "sqlite" && *v != "mariadb") {
      r.error(st["type"], sp + ".type", "expected sqlite or mariadb, got '" + *v + "'");
      return;
    }
    a.store = *v;
  }
  if (a.store == "sqlite") {
    if (auto v = r.string(st, "path", sp)) a.sqlite_path = resolve(base, *v);
    for (const char* k : {"socket", "host", "port", "user", "password_file", "password_env", "database"}) {
      if (st[k].IsDefined()) r.error(st[k], sp + "." + k, "only for type: mariadb");
    }
    return;
  }
  if (st["path"].IsDefined()) r.error(st["path"], sp + ".path", "only for type: sqlite");
  if (st["password"].IsDefined()) {
    r.error(st["password"], sp + ".password",
            "inline passwords are not allowed; use password_file or password_env");
  }
  auto& db = a.mariadb;
  if (auto v = r.string(st, "host", sp)) db.host = *v;
  if (auto v = r.uint(st, "port", sp, 1, 65535)) db.port = static_cast<uint16_t>(*v);
  if (auto v = r.string(st, "socket", sp)) db.socket = resolve(base, *v).string();
  if (auto v = r.string(st, "user", sp))
    db.user = *v;
  else
    r.error(st, sp + ".user", "required for type: mariadb");
  if (auto v = r.string(st, "database", sp))
    db.database = *v;
  else
    r.error(st, sp + ".database", "required for type: mariadb (the schema holding sqlguard_approvals)");
  if (auto v = r.uint(st, "connect_timeout_ms", sp, 100, 600000))
    db.connect_timeout_ms = static_cast<uint32_t>(*v);
  if (auto v = r.string(st, "password_file", sp)) a.mariadb_credential.password_file = resolve(base, *v);
  if (auto v = r.string(st, "password_env", sp)) a.mariadb_credential.password_env = *v;
  if (a.mariadb_credential.password_file.empty() == a.mariadb_credential.password_env.empty()) {
    r.error(st, sp, "set password_file or password_env (exactly one)");
  }
}

}  // namespace

common::Result<Config> parse_config(std::string_view yaml_text, const std::string& file_name,
                                    const std::filesystem::path& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return common::fail(common::ErrorCode::kInvalidInput, file_name + ":" + std::to_string(e.mark.line + 1) +
                                                              ":" + std::to_string(e.mark.column + 1) +
                                                              ": invalid YAML: " + e.msg);
  }
  YamlReader r(file_name);
  Config c;
  c.file = base_dir / fs::path(file_name).filename();
  if (!root.IsMap()) {
    return common::fail(common::ErrorCode::kInvalidInput,
                        file_name + ": expected a mapping at the top level");
  }
  r.expect_map(
      root, "",
      {"server", "database", "stdio", "policy", "masking", "audit", "http", "auth", "approvals", "mysql"});
  const YAML::Node server = root["server"];
  if (r.expect_map(server, "server", {"name"})) {
    if (auto v = r.string(server, "name", "server")) c.server_name = *v;
  }
  parse_database(r, root["database"], base_dir, c);
  const YAML::Node stdio = root["stdio"];
  if (r.expect_map(stdio, "stdio", {"principal"})) {
    parse_principal(r, stdio["principal"], "stdio.principal", c.stdio_principal);
  }
  if (c.stdio_principal.subject.empty()) c.stdio_principal.subject = "stdio";
  c.stdio_principal.auth_method = "config";
  parse_policy(r, root["policy"], c);
  parse_masking(r, root["masking"], base_dir, c);
  parse_audit(r, root["audit"], base_dir, c);
  parse_http(r, root["http"], base_dir, c);
  parse_auth(r, root["auth"], base_dir, c);
  parse_approvals(r, root["approvals"], base_dir, c);
  parse_mysql(r, root["mysql"], base_dir, c);
  if (c.http.enabled && c.http.resource_url.empty()) {
    c.http.resource_url = std::string(c.http.tls_cert_file.empty() ? "http://" : "https://") +
                          c.http.listen_host + ":" + std::to_string(c.http.port) + "/mcp";
  }
  if (c.auth.oidc && c.auth.oidc->audiences.empty() && !c.http.resource_url.empty()) {
    c.auth.oidc->audiences.push_back(c.http.resource_url);
  }
  if (!r.ok()) {
    std::string all;
    for (const auto& e : r.errors()) all += (all.empty() ? "" : "\n") + e;
    return common::fail(common::ErrorCode::kInvalidInput, std::move(all));
  }
  return c;
}

common::Result<Config> load_config(const std::filesystem::path& file) {
  std::error_code ec;
  fs::path abs = fs::absolute(file, ec);
  std::ifstream in(abs, std::ios::binary);
  if (!in)
    return common::fail(common::ErrorCode::kUnavailable,
                        file.string() + ": cannot read the configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  auto config = parse_config(ss.str(), abs.filename().string(), abs.parent_path());
  if (config) config->file = abs;
  return config;
}

}  // namespace sqlguard::server
