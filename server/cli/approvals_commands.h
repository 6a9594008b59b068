// The reviewers' command line for just-in-time approvals (docs/approvals.md §CLI):
//
//   sqlguard approvals list    --config F [--as SUBJECT[:groups]] [--state S|all] [--json]
//   sqlguard approvals show    --config F [--as SUBJECT[:groups]] ID
//   sqlguard approvals approve --config F --as SUBJECT[:groups] [--comment C] ID
//   sqlguard approvals deny    --config F --as SUBJECT[:groups] [--comment C] ID
//
// The CLI opens the approval store of the config directly (the SQLite file or the shared
// MariaDB schema), so whoever may run it with that config is trusted to name themselves with
// --as (recorded with auth "cli"). Its decisions are stored unrecorded; the running sqlguard
// writes their "approval.decision" audit records (it owns the audit log) within seconds, and
// always before the approved statement runs.
// Exit codes: 0 success; 1 refused (not a reviewer, self-approval, not pending, not found,
// store error); 2 usage or configuration error.
#pragma once

#include <CLI/CLI.hpp>

namespace sqlguard::server {

/// Adds `approvals` (list, show, approve, deny) to `app`. Callbacks store their exit code in
/// `exit_code` (which must outlive the parse). Returns the `approvals` subcommand.
CLI::App* register_approvals_commands(CLI::App& app, int& exit_code);

}  // namespace sqlguard::server
