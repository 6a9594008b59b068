// The `sqlguard audit ...` and `sqlguard keygen` subcommands (docs/audit.md §Commands):
//
//   sqlguard keygen --name ORIGIN --out PREFIX        Ed25519 key pair: PREFIX.key (0600), PREFIX.pub
//   sqlguard audit verify DIR [--checkpoint FILE]... [--pubkey FILE]...
//   sqlguard audit export DIR --format jsonl|csv|ocsf [--since T] [--until T] [--principal P]
//                             [--session ID] [--output FILE]
//   sqlguard audit show DIR --session ID
//   sqlguard audit prove DIR SEQ [--checkpoint FILE] [--output FILE]
//   sqlguard audit verify-proof FILE [--pubkey FILE]...
//
// Output goes to stdout (reports) and stderr (errors); exit code 0 on success, 1 when a check
// fails or a command cannot run. (`audit replay` needs the guard and is registered elsewhere.)
#pragma once

#include <CLI/CLI.hpp>

namespace sqlguard::server {

/// Adds `audit` (with verify, export, show, prove, verify-proof) and `keygen` to `app`. The
/// callbacks run during parsing and store their exit code in `exit_code` (which must outlive
/// the parse). Returns the `audit` subcommand so the caller can add more (e.g. replay).
CLI::App* register_audit_commands(CLI::App& app, int& exit_code);

}  // namespace sqlguard::server
