#include "server/cli/manual.h"

#include <map>
#include <string_view>

namespace sqlguard::server {
namespace {

/// One page per command path. Sections in man(7) order; the options themselves are CLI11's.
const std::map<std::string, std::string, std::less<>>& pages() {
  static const std::map<std::string, std::string, std::less<>> p = {
      {"serve", R"(DESCRIPTION
  Serves governed SQL tools (run_sql, describe_table, list_tables) over MCP 2025-11-25. Every
  call passes the guard: policy decision per principal, approval for `approve` rules, masking,
  and an intent and outcome record in the audit log before and after the statement runs.
  --stdio serves one session on stdin/stdout (the principal is the config's stdio principal);
  --http serves Streamable HTTP on the config's http.listen (/mcp, /healthz, /metrics, /console).
  --mysql serves the MySQL client/server protocol on mysql.listen (default 127.0.0.1:3307) to
  any MySQL client, through the same guard; with --http both run in one process.
  The database may be down at start: calls fail with a clear error until it is back.

EXIT STATUS
  0  the session ended (stdin closed) or the server was stopped (SIGINT, SIGTERM)
  1  cannot start: the audit log, credential or listener could not be opened
  2  usage error, or the config does not validate; also when calls were still running at exit

FILES
  the config (--config), the audit log directory (audit.dir), the signing key (audit.signing_key)

ENVIRONMENT
  SQLGUARD_LOG_LEVEL  log level (logs go to stderr); the database password comes from the
                      variable or file the config's credential section names

EXAMPLES
  sqlguard serve --stdio --config /etc/sqlguard/sqlguard.yaml
  sqlguard serve --http --config /etc/sqlguard/sqlguard.yaml
  sqlguard serve --mysql --config /etc/sqlguard/sqlguard.yaml   # then: mariadb -h 127.0.0.1 -P 3307 -u alice -p

SEE ALSO
  docs/configuration.md, docs/mysql.md, docs/policy.md, docs/masking.md, docs/audit.md)"},
      {"validate", R"(DESCRIPTION
  Loads the config exactly as serve would (schema, rules, masking, key files and their modes)
  and reports the first problem as FILE:LINE:COL: key.path: problem. Contacts no database.

EXIT STATUS
  0  valid
  1  not valid (the problem is printed on stderr)
  2  usage error

EXAMPLES
  sqlguard validate --config /etc/sqlguard/sqlguard.yaml

SEE ALSO
  docs/configuration.md, schemas/config.schema.json)"},
      {"check", R"(DESCRIPTION
  Analyses one statement and decides it for a principal as the server would: the statement's
  kind and tables, the decision (allow, deny, approve), the rule and reason, the limits, and
  the masking plan. Contacts no database, so tables are assumed to be base tables and `*` is
  not expanded. For policy CI: --expect makes the exit status the assertion.

EXIT STATUS
  0  decided (and, with --expect, the decision is the expected one)
  1  with --expect: the decision differs
  2  usage error, or the config does not validate

EXAMPLES
  sqlguard check --config sqlguard.yaml --as alice:analysts "SELECT email FROM shop.customers"
  sqlguard check --config sqlguard.yaml --expect deny "DROP TABLE shop.orders"

SEE ALSO
  docs/policy.md (rules, built-in denials, the bypass catalogue))"},
      {"keygen", R"(DESCRIPTION
  Creates an Ed25519 key pair for signing audit checkpoints (C2SP signed-note). The private
  key is written with mode 0600; give the public key (vkey) to auditors so they can pin it.

EXIT STATUS
  0  written
  1  a file exists or cannot be written
  2  usage error

FILES
  PREFIX.key (private, 0600), PREFIX.pub (the vkey line)

EXAMPLES
  sqlguard keygen --name example.com/sqlguard --out /etc/sqlguard/audit-ed25519

SEE ALSO
  docs/audit.md)"},
      {"audit", R"(DESCRIPTION
  Offline tools over an audit log directory. None of them needs the server or the database
  (except replay) and none of them changes the log.

EXIT STATUS
  that of the subcommand; 2 for a usage error

EXAMPLES
  sqlguard audit verify /var/lib/sqlguard --pubkey /etc/sqlguard/audit-ed25519.pub

SEE ALSO
  docs/audit.md)"},
      {"audit verify", R"(DESCRIPTION
  Checks every record's hash link, every RFC 6962 leaf hash, every checkpoint signature and
  that each checkpoint's root matches the records. A checkpoint kept elsewhere (--checkpoint)
  also detects truncation, rollback and forks; --pubkey pins the signing key instead of
  trusting DIR/vkey.

EXIT STATUS
  0  the log is intact
  1  a check failed (the summary names the first failing record or checkpoint)
  2  usage error

EXAMPLES
  sqlguard audit verify /var/lib/sqlguard --pubkey audit-ed25519.pub --checkpoint witness/checkpoint

SEE ALSO
  docs/audit.md (what verification proves))"},
      {"audit export", R"(DESCRIPTION
  Writes records as JSON lines, CSV or OCSF 1.x API Activity (class 6005), optionally limited
  by time, principal or session. The count is printed on stderr.

EXIT STATUS
  0  exported
  1  the log or the output cannot be read or written
  2  usage error

EXAMPLES
  sqlguard audit export /var/lib/sqlguard --format ocsf --since 2026-12-01 -o december.ocsf.jsonl

SEE ALSO
  docs/audit.md, schemas/audit-record.schema.json)"},
      {"audit show", R"(DESCRIPTION
  Prints one session as a readable timeline: each call's principal, statement, decision,
  approval and outcome.

EXIT STATUS
  0  shown
  1  the log cannot be read, or it has no records of that session
  2  usage error

EXAMPLES
  sqlguard audit show /var/lib/sqlguard --session 46b0159b7da6

SEE ALSO
  docs/audit.md, docs/console.md)"},
      {"audit prove", R"(DESCRIPTION
  Prints an RFC 6962 inclusion proof that record SEQ is in the tree a signed checkpoint
  commits to, as one JSON document a third party checks with `audit verify-proof`.

EXIT STATUS
  0  written
  1  no such record, or the checkpoint does not cover it
  2  usage error

EXAMPLES
  sqlguard audit prove /var/lib/sqlguard 42 -o record-42.proof.json

SEE ALSO
  docs/audit.md)"},
      {"audit verify-proof", R"(DESCRIPTION
  Checks an inclusion proof offline: the record's leaf hash, the audit path to the root and
  the checkpoint's signature by one of the given keys. Needs nothing but the proof file.

EXIT STATUS
  0  the proof holds
  1  it does not (the reason is printed), or the file cannot be read
  2  usage error

EXAMPLES
  sqlguard audit verify-proof record-42.proof.json --pubkey audit-ed25519.pub

SEE ALSO
  docs/audit.md)"},
      {"audit replay", R"(DESCRIPTION
  Verifies the log, then re-runs the allowed run_sql statements of one session through a
  guard built from another config (a test database) and compares each result's digest with
  the recorded result_sha256. The replay is recorded in that config's own audit log.

EXIT STATUS
  0  every replayed statement matches its recorded digest
  1  a statement differs or could not be replayed
  2  usage error, the log does not verify, or the config cannot be used

EXAMPLES
  sqlguard audit replay /var/lib/sqlguard --session 46b0159b7da6 --config test-db.yaml

SEE ALSO
  docs/audit.md)"},
      {"approvals", R"(DESCRIPTION
  Reviews statements held by `approve` rules, in the store the config's approvals section
  names (the same one the server and the web console use). A reviewer (--as) must be in the
  rule's approvers or in approvals.reviewer_groups, and no principal decides its own request.

EXIT STATUS
  that of the subcommand; 2 for a usage error

EXAMPLES
  sqlguard approvals list --config /etc/sqlguard/sqlguard.yaml

SEE ALSO
  docs/approvals.md, docs/console.md)"},
      {"approvals list", R"(DESCRIPTION
  Lists approval requests, newest first: id, state, requester, statement and expiry.

EXIT STATUS
  0  listed
  1  the store cannot be read
  2  usage error, no approvals section, or the config does not validate

EXAMPLES
  sqlguard approvals list --config sqlguard.yaml --state all --json

SEE ALSO
  docs/approvals.md)"},
      {"approvals show", R"(DESCRIPTION
  Shows one approval request in full: the statement, its analysis, the requester, the rule
  that held it and its decisions.

EXIT STATUS
  0  shown
  1  no such request, or the store cannot be read
  2  usage error, no approvals section, or the config does not validate

EXAMPLES
  sqlguard approvals show --config sqlguard.yaml apr_2QX7...

SEE ALSO
  docs/approvals.md)"},
      {"approvals approve", R"(DESCRIPTION
  Approves a pending request as the reviewer --as. Once it has approvals_required distinct
  approvals the statement may run once: at once if the agent's call is still waiting, else
  when the same principal sends the same statement again before the request expires.

EXIT STATUS
  0  approved
  1  refused: not pending, expired, the reviewer is the requester or is not allowed to review
  2  usage error, no approvals section, or the config does not validate

EXAMPLES
  sqlguard approvals approve --config sqlguard.yaml --as bob:dba apr_2QX7... --comment "ticket 4711"

SEE ALSO
  docs/approvals.md)"},
      {"approvals deny", R"(DESCRIPTION
  Denies a pending request as the reviewer --as; the requester receives the comment.

EXIT STATUS
  0  denied
  1  refused: not pending, or the reviewer may not decide this request
  2  usage error, no approvals section, or the config does not validate

EXAMPLES
  sqlguard approvals deny --config sqlguard.yaml --as bob:dba apr_2QX7... --comment "use the replica"

SEE ALSO
  docs/approvals.md)"},
      {"doctor", R"(DESCRIPTION
  Connects with sqlguard's own database account and compares its grants (SHOW GRANTS) with
  what the policy needs: grants wider than any rule allows are warnings, with the REVOKE to
  run; so are views whose definitions the account cannot see. Password hashes are never shown.

EXIT STATUS
  0  the grants fit the policy
  1  warnings were printed
  2  usage error, the config does not validate, or the database cannot be reached

EXAMPLES
  sqlguard doctor --config /etc/sqlguard/sqlguard.yaml

SEE ALSO
  docs/configuration.md)"},
      {"init", R"(DESCRIPTION
  Connects once with the account given, reads the catalogue of the chosen schemas and samples
  up to --sample values per text-like column, in memory only (never written, never logged).
  Writes a commented starter config: a read-only policy, a masking rule for every column the
  value detectors flag (e-mail, Luhn-valid cards, mod-97 IBANs, phones, national identifiers
  with check digits, secrets) with the evidence, or that is named like a password, token or
  date of birth; a fresh signing key; and least-privilege GRANTs for sqlguard's own account.
  Then validates the result (and with --apply-grants creates the account and runs doctor) and
  lists what to review by hand.

EXIT STATUS
  0  written and valid (with --apply-grants: doctor found nothing)
  1  with --apply-grants: doctor printed warnings
  2  usage error, the database cannot be read, or a file exists (without --force)

FILES
  next to --out: OUT.grants.sql, sqlguard-db-password (0600), masking.key (0600),
  audit-ed25519.key (0600) and audit-ed25519.pub

EXAMPLES
  SQLGUARD_INIT_PASSWORD=... sqlguard init --host db.internal --user admin \
      --password-env SQLGUARD_INIT_PASSWORD --schemas shop,hr --out /etc/sqlguard/sqlguard.yaml

SEE ALSO
  sqlguard validate, sqlguard doctor, docs/masking.md)"},
      {"client-config", R"(DESCRIPTION
  Prints the exact registration snippet for an MCP client, with absolute paths to this binary
  and the config: stdio (the client starts sqlguard) or --transport http (the URL from the
  config's http section and how that client passes a bearer token, as a placeholder).

EXIT STATUS
  0  printed
  2  usage error, the config does not validate, or the client cannot use that transport

EXAMPLES
  sqlguard client-config claude-code --config /etc/sqlguard/sqlguard.yaml
  sqlguard client-config vscode --config sqlguard.yaml --transport http

SEE ALSO
  examples/clients/)"},
  };
  return p;
}

void collect(const CLI::App& app, const std::string& prefix, std::vector<std::string>& out) {
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    const std::string path = prefix.empty() ? sub->get_name() : prefix + " " + sub->get_name();
    out.push_back(path);
    collect(*sub, path, out);
  }
}

CLI::App* find(CLI::App& app, std::string_view path) {
  CLI::App* at = &app;
  while (!path.empty() && at != nullptr) {
    const auto space = path.find(' ');
    const std::string name(path.substr(0, space));
    path = space == std::string_view::npos ? std::string_view{} : path.substr(space + 1);
    try {
      at = at->get_subcommand(name);
    } catch (const CLI::OptionNotFound&) {
      at = nullptr;
    }
  }
  return at;
}

}  // namespace

std::vector<std::string> command_paths(const CLI::App& app) {
  std::vector<std::string> out;
  collect(app, "", out);
  return out;
}

std::vector<std::string> attach_manual(CLI::App& app) {
  std::vector<std::string> problems;
  for (const auto& path : command_paths(app)) {
    const auto page = pages().find(path);
    if (page == pages().end()) {
      problems.push_back("no page: " + path);
      continue;
    }
    find(app, path)->footer("\n" + page->second + "\n");
  }
  for (const auto& [path, text] : pages()) {
    if (find(app, path) == nullptr) problems.push_back("no command: " + path);
  }
  return problems;
}

}  // namespace sqlguard::server
