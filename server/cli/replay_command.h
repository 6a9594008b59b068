// `sqlguard audit replay DIR --session ID --config TESTCFG`: re-runs a session's allowed
// statements against a test database through the guard and reports, per statement, whether
// the (masked) result digest matches the one recorded.
#pragma once

#include <CLI/CLI.hpp>

namespace sqlguard::server {

/// Adds `replay` to the `audit` subcommand. Exit code: 0 all digests match, 1 a mismatch, a
/// refusal or an error, 2 the log does not verify or the config cannot be loaded.
void register_replay_command(CLI::App& audit, int& exit_code);

}  // namespace sqlguard::server
