#include "policy/policy_engine.h"

#include <algorithm>
#include <string>
#include <utility>

#include "policy/glob.h"
#include "policy/sql_builtins.h"

namespace sqlguard::policy {

namespace {

using K = StatementKind;

bool is_privilege_kind(K k) {
  switch (k) {
    case K::kGrant:
    case K::kRevoke:
    case K::kCreateUser:
    case K::kAlterUser:
    case K::kDropUser:
    case K::kRenameUser:
    case K::kSetPassword:
    case K::kCreateRole:
    case K::kDropRole:
    case K::kSetRole: return true;
    default: return false;
  }
}

bool is_session_kind(K k) {
  switch (k) {
    case K::kSet:
    case K::kSetStatement:
    case K::kUse:
    case K::kStartTransaction:
    case K::kCommit:
    case K::kRollback:
    case K::kSavepoint:
    case K::kReleaseSavepoint:
    case K::kSetTransaction:
    case K::kXa:
    case K::kLockTables:
    case K::kUnlockTables: return true;
    default: return false;
  }
}

bool is_dynamic_kind(K k) {
  return k == K::kPrepare || k == K::kExecute || k == K::kExecuteImmediate || k == K::kDeallocate;
}

bool is_admin_kind(K k) {
  switch (k) {
    case K::kAnalyzeTable:
    case K::kCheckTable:
    case K::kOptimizeTable:
    case K::kRepairTable:
    case K::kChecksumTable:
    case K::kFlush:
    case K::kKill:
    case K::kReset:
    case K::kPurge:
    case K::kInstall:
    case K::kUninstall:
    case K::kShutdown:
    case K::kBinlog:
    case K::kReplication:
    case K::kCache:
    case K::kBackup: return true;
    default: return false;
  }
}

std::string table_name(const TableRef& t) {
  if (t.schema.empty()) return t.table;
  return t.schema + "." + t.table;
}

bool base_table(const TableRef& t) { return !t.is_cte && !t.is_derived; }

bool table_glob_matches(const std::string& glob, const TableRef& t) {
  if (glob.find('.') == std::string::npos) return glob_match(glob, t.table);
  return glob_match(glob, table_name(t));
}

bool any_glob(const std::vector<std::string>& globs, const TableRef& t) {
  for (const auto& g : globs) {
    if (table_glob_matches(g, t)) return true;
  }
  return false;
}

// Column glob: "schema.table.column", "table.column" or "column".
bool column_glob_matches(const std::string& glob, const TableRef* t, const std::string& col) {
  const auto dots = std::count(glob.begin(), glob.end(), '.');
  if (dots == 0) return glob_match(glob, col);
  if (t == nullptr) return false;
  if (dots == 1) return glob_match(glob, t->table + "." + col);
  return glob_match(glob, t->schema + "." + t->table + "." + col);
}

bool principal_matches(const PrincipalMatch& m, const Principal& p, bool deny) {
  if (!m.subjects.empty()) {
    bool ok = false;
    for (const auto& g : m.subjects) {
      if (glob_match(g, p.subject, deny)) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  if (!m.groups.empty()) {
    bool ok = false;
    for (const auto& g : m.groups) {
      if (p.in_group(g)) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  if (!m.clients.empty()) {
    bool ok = false;
    for (const auto& g : m.clients) {
      if (glob_match(g, p.client_name, deny)) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

// The statement and, recursively, the definitions of the views it reads (resolve_with_catalog):
// reading through a view is reading what its definition reads, so table, column and function
// matchers and the built-in denials see every part.
template <typename F>
void for_each_part(const StatementAnalysis& a, F&& f) {
  f(a);
  for (const auto& v : a.views) {
    if (v.definition) for_each_part(*v.definition, f);
  }
}

// True when `pred(part)` holds for the statement or any view definition it reaches.
template <typename P>
bool any_part(const StatementAnalysis& a, P&& pred) {
  bool hit = false;
  for_each_part(a, [&](const StatementAnalysis& part) { hit = hit || pred(part); });
  return hit;
}

bool kind_matches(const std::vector<std::string>& kinds, K kind) {
  if (kinds.empty()) return true;
  const std::string_view name = to_string(kind);
  for (const auto& k : kinds) {
    if (k == "*" || k == name) return true;
  }
  return false;
}

bool deny_columns_hit(const PolicyRule& r, const StatementAnalysis& a);

// Deny rules: any overlap with a non-empty matcher triggers them.
bool deny_rule_matches(const PolicyRule& r, const Principal& p, const StatementAnalysis& a) {
  if (!principal_matches(r.principals, p, true)) return false;
  if (!kind_matches(r.kinds, a.kind)) return false;
  if (!r.tables.empty()) {
    const bool hit = a.opaque_body ||  // an unanalysed body might touch anything
                     any_part(a, [&](const StatementAnalysis& part) {
                       for (const auto& t : part.tables) {
                         if (base_table(t) && any_glob(r.tables, t)) return true;
                       }
                       return false;
                     });
    if (!hit) return false;
  }
  if (!r.columns.empty()) {
    const bool hit = a.opaque_body ||
                     any_part(a, [&](const StatementAnalysis& part) { return deny_columns_hit(r, part); });
    if (!hit) return false;
  }
  if (!r.functions.empty()) {
    const bool hit = any_part(a, [&](const StatementAnalysis& part) {
      for (const auto& f : part.functions) {
        for (const auto& g : r.functions) {
          if (glob_match(g, f)) return true;
        }
      }
      return false;
    });
    if (!hit) return false;
  }
  return true;
}

// Grant rules over one part (the statement or one view definition).
bool grant_part_covered(const PolicyRule& r, const StatementAnalysis& a) {
  if (!r.tables.empty()) {
    for (const auto& t : a.tables) {
      if (base_table(t) && !any_glob(r.tables, t)) return false;
    }
  }
  if (!r.columns.empty()) {
    for (const auto& c : a.columns) {
      bool covered_all = true;
      bool any_base = false;
      for (uint32_t ti : c.candidates) {
        const TableRef& t = a.tables[ti];
        if (!base_table(t)) continue;
        any_base = true;
        bool ok = false;
        for (const auto& g : r.columns) {
          if (column_glob_matches(g, &t, c.column)) {
            ok = true;
            break;
          }
        }
        if (!ok) {
          covered_all = false;
          break;
        }
      }
      if (!any_base && c.candidates.empty()) {
        bool ok = false;
        for (const auto& g : r.columns) {
          if (column_glob_matches(g, nullptr, c.column)) {
            ok = true;
            break;
          }
        }
        covered_all = ok;
      }
      if (!covered_all) return false;
    }
  }
  if (r.functions.empty()) {
    if (!a.stored_functions.empty()) return false;
  } else {
    for (const auto& f : a.functions) {
      bool ok = false;
      for (const auto& g : r.functions) {
        if (glob_match(g, f)) {
          ok = true;
          break;
        }
      }
      if (!ok) return false;
    }
  }
  return true;
}

// Deny rule column matcher over one part.
bool deny_columns_hit(const PolicyRule& r, const StatementAnalysis& a) {
  bool hit = false;
  for (const auto& c : a.columns) {
    if (hit) break;
    for (const auto& g : r.columns) {
      if (c.candidates.empty() && column_glob_matches(g, nullptr, c.column)) {
        hit = true;
        break;
      }
      for (uint32_t ti : c.candidates) {
        const TableRef& t = a.tables[ti];
        if (!base_table(t)) continue;
        // A star may include the column: match on the table part.
        if (c.column == "*") {
          const auto last = g.rfind('.');
          if (last == std::string::npos || table_glob_matches(g.substr(0, last), t)) {
            hit = true;
            break;
          }
        } else if (column_glob_matches(g, &t, c.column)) {
          hit = true;
          break;
        }
      }
      if (hit) break;
    }
  }
  return hit;
}

// Allow/approve rules: every table, column and function must be covered, in the statement and
// in every view definition it reaches.
bool grant_rule_matches(const PolicyRule& r, const Principal& p, const StatementAnalysis& a) {
  if (!principal_matches(r.principals, p, false)) return false;
  if (!kind_matches(r.kinds, a.kind)) return false;
  if (a.opaque_body && (!r.tables.empty() || !r.columns.empty())) return false;
  return !any_part(a, [&](const StatementAnalysis& part) { return !grant_part_covered(r, part); });
}

Decision builtin_deny(std::string name, std::string reason) {
  Decision d;
  d.action = Action::kDeny;
  d.rule = "builtin:" + std::move(name);
  d.reason = std::move(reason);
  return d;
}

// "shop.orders, acme.staff_directory (a view reading hr.staff)".
std::string describe_tables(const StatementAnalysis& a) {
  std::vector<std::string> names;
  for (const auto& t : a.tables) {
    if (!base_table(t)) continue;
    if (std::find(names.begin(), names.end(), table_name(t)) != names.end()) continue;
    names.push_back(table_name(t));
  }
  std::string s;
  for (const auto& n : names) {
    if (!s.empty()) s += ", ";
    s += n;
    for (const auto& v : a.views) {
      if (!v.definition || v.table >= a.tables.size() || table_name(a.tables[v.table]) != n) continue;
      const std::string reached = describe_tables(*v.definition);
      if (!reached.empty()) s += " (a view reading " + reached + ")";
      break;
    }
  }
  return s;
}

void tighten(Limits& l, const PolicyRule& r) {
  if (r.max_rows) l.max_rows = std::min(l.max_rows, *r.max_rows);
  if (r.max_result_bytes) l.max_result_bytes = std::min(l.max_result_bytes, *r.max_result_bytes);
  if (r.timeout_ms) l.timeout_ms = std::min(l.timeout_ms, *r.timeout_ms);
}

}  // namespace

PolicyEngine::PolicyEngine(PolicyConfig config) : config_(std::move(config)) {}

Decision PolicyEngine::decide(const Principal& principal, const StatementAnalysis& a) const {
  if (!a.understood) {
    return builtin_deny("not-understood", "statement refused: sqlguard could not fully analyse it (" +
                                              a.reason +
                                              "); send one plain statement without unusual syntax");
  }
  const UnsafeAllowances& u = config_.unsafe_allow;
  const std::string kind(to_string(a.kind));
  if (a.executable_comment && !u.executable_comments) {
    return builtin_deny("executable-comment",
                        "statement refused: executable comments (/*! */, /*M! */) run hidden SQL; "
                        "write the SQL without them");
  }
  if (a.optimizer_hint && !u.optimizer_hints) {
    return builtin_deny("optimizer-hint",
                        "statement refused: optimizer hints (/*+ */) can override limits; remove "
                        "the hint comment");
  }
  if (!u.file_io) {
    const bool file_fn = any_part(a, [](const StatementAnalysis& part) {
      for (const auto& f : part.functions) {
        if (is_file_function(f)) return true;
      }
      return false;
    });
    if (a.into_outfile || file_fn || a.kind == K::kLoadData || a.kind == K::kLoadXml) {
      return builtin_deny("file-io",
                          "statement refused: server file access (INTO OUTFILE/DUMPFILE, "
                          "LOAD_FILE, LOAD DATA/XML) is never allowed to agents");
    }
  }
  if (is_privilege_kind(a.kind) && !u.privilege_statements) {
    return builtin_deny("privilege-statement", "statement refused: " + kind +
                                                   " changes accounts or privileges, which agents "
                                                   "may not do");
  }
  if (!u.session_control && (is_session_kind(a.kind) || a.user_variable_writes)) {
    return builtin_deny("session-control",
                        is_session_kind(a.kind)
                            ? "statement refused: " + kind +
                                  " changes session or transaction state; sqlguard manages "
                                  "sessions and transactions itself"
                            : std::string("statement refused: assigning user variables "
                                          "(@v := ..., INTO @v) is not allowed; return the value "
                                          "as a column instead"));
  }
  if (is_dynamic_kind(a.kind) && !u.dynamic_sql) {
    return builtin_deny("dynamic-sql", "statement refused: dynamic SQL (" + kind +
                                           ") hides the statement that runs; send the statement itself");
  }
  if (!u.sleep_and_lock_functions) {
    std::string found;
    for_each_part(a, [&](const StatementAnalysis& part) {
      for (const auto& f : part.functions) {
        if (found.empty() && is_sleep_or_lock_function(f)) found = f;
      }
    });
    if (!found.empty()) {
      return builtin_deny("sleep-and-lock-functions",
                          "statement refused: function " + found + "() sleeps, burns CPU or takes locks" +
                              (a.views.empty() ? "" : " (in the statement or a view it reads)") +
                              "; remove it");
    }
  }
  if (!u.sequence_changes && (is_read_kind(a.kind) || a.kind == K::kDo)) {
    // NEXTVAL / SETVAL / NEXT VALUE FOR (and DEFAULT(col) of a sequence-defaulted column) change
    // the sequence although the statement reads: decided here, on purpose; the read-only session
    // in the database stays as the second line.
    const SequenceUse* change = nullptr;
    for_each_part(a, [&](const StatementAnalysis& part) {
      for (const auto& s : part.sequences) {
        if (s.changes && change == nullptr) change = &s;
      }
    });
    if (change != nullptr) {
      return builtin_deny("sequence-change",
                          "statement refused: " + change->form +
                              " advances or sets a sequence, a change of database state inside " +
                              (a.kind == K::kDo ? std::string("DO") : "a " + kind) +
                              "; read the sequence with PREVIOUS VALUE FOR / LASTVAL(), or ask for "
                              "a write rule");
    }
  }
  if (a.locking_read && !u.locking_reads) {
    return builtin_deny("locking-read",
                        "statement refused: locking reads (FOR UPDATE / FOR SHARE / LOCK IN "
                        "SHARE MODE) hold row locks; remove the locking clause");
  }
  if (is_admin_kind(a.kind) && !u.administration) {
    return builtin_deny("administration", "statement refused: " + kind +
                                              " is a server administration statement that "
                                              "agents may not run");
  }
  if (!u.system_variables &&
      any_part(a, [](const StatementAnalysis& part) { return part.system_variables; })) {
    return builtin_deny("system-variables",
                        "statement refused: reading @@system variables reveals server "
                        "configuration; remove the @@ reference");
  }

  const PolicyRule* deny = nullptr;
  const PolicyRule* approve = nullptr;
  const PolicyRule* allow = nullptr;
  Limits limits = config_.defaults;
  std::vector<std::string> approvers;
  uint32_t approvals = 0;
  for (const auto& r : config_.rules) {
    if (r.action == Action::kDeny) {
      if (deny == nullptr && deny_rule_matches(r, principal, a)) deny = &r;
      continue;
    }
    if (!grant_rule_matches(r, principal, a)) continue;
    tighten(limits, r);
    if (r.action == Action::kApprove) {
      if (approve == nullptr) approve = &r;
      for (const auto& g : r.approver_groups) {
        if (std::find(approvers.begin(), approvers.end(), g) == approvers.end()) {
          approvers.push_back(g);
        }
      }
      approvals = std::max(approvals, r.approvals_required);
    } else if (allow == nullptr) {
      allow = &r;
    }
  }
  Decision d;
  d.limits = limits;
  d.read_only = is_read_kind(a.kind) && !a.writes_data;
  auto about = [&](const PolicyRule& r) {
    return r.description.empty() ? std::string() : " (" + r.description + ")";
  };
  if (deny != nullptr) {
    d.action = Action::kDeny;
    d.rule = deny->id;
    d.reason = "statement refused by rule " + deny->id + about(*deny) + ": " + kind +
               (describe_tables(a).empty() ? "" : " on " + describe_tables(a));
    return d;
  }
  if (approve != nullptr) {
    d.action = Action::kApprove;
    d.rule = approve->id;
    d.reason = "statement needs approval under rule " + approve->id + about(*approve);
    d.approver_groups = std::move(approvers);
    d.approvals_required = std::max<uint32_t>(1, approvals);
    return d;
  }
  if (allow != nullptr) {
    d.action = Action::kAllow;
    d.rule = allow->id;
    d.reason = "allowed by rule " + allow->id + about(*allow);
    return d;
  }
  d.action = Action::kDeny;
  d.rule = "default-deny";
  std::string what = kind;
  const std::string tables = describe_tables(a);
  if (!tables.empty()) what += " on " + tables;
  if (!a.stored_functions.empty()) {
    what += " calling ";
    for (std::size_t i = 0; i < a.stored_functions.size(); ++i) {
      if (i) what += ", ";
      what += a.stored_functions[i];
    }
  }
  d.reason = "statement refused: no rule allows " + what + " for " + principal.subject +
             " (rule default-deny); ask an administrator for a policy rule";
  return d;
}

bool PolicyEngine::may_read_table(const Principal& principal, std::string_view schema,
                                  std::string_view table) const {
  TableRef t;
  t.schema = std::string(schema);
  t.table = std::string(table);
  bool granted = false;
  for (const auto& r : config_.rules) {
    if (r.action == Action::kDeny) {
      if (!principal_matches(r.principals, principal, true)) continue;
      if (!r.columns.empty() || !r.functions.empty()) continue;
      // A denial of reading, showing or describing the table hides it from every listing.
      if (!(r.kinds.empty() || kind_matches(r.kinds, K::kSelect) || kind_matches(r.kinds, K::kShow) ||
            kind_matches(r.kinds, K::kDescribe)))
        continue;
      if (r.tables.empty() || any_glob(r.tables, t)) return false;
      continue;
    }
    if (!principal_matches(r.principals, principal, false)) continue;
    const bool reads = r.kinds.empty() || kind_matches(r.kinds, K::kSelect) ||
                       kind_matches(r.kinds, K::kDescribe) || kind_matches(r.kinds, K::kShow);
    if (!reads) continue;
    if (r.tables.empty() || any_glob(r.tables, t)) granted = true;
  }
  return granted;
}

}  // namespace sqlguard::policy
