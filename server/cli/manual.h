// The manual page of every sqlguard command: what `sqlguard CMD --help` prints after the options.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace sqlguard::server {

/// Exit status of a command line that CLI11 could not parse (unknown option, missing required
/// argument, value not allowed): 2, as for every other usage error.
inline constexpr int kUsageExitStatus = 2;

/// Attaches the manual page of every registered command (its path, e.g. "audit verify") as the
/// command's help footer: DESCRIPTION, EXIT STATUS, FILES and ENVIRONMENT where they apply,
/// EXAMPLES, SEE ALSO. Call after every command is registered.
/// Returns the paths of commands that have no page (a command added without documenting it;
/// tests/server/manual_test.cpp requires this to be empty) followed by pages naming no
/// registered command, each prefixed "no page: " or "no command: ".
std::vector<std::string> attach_manual(CLI::App& app);

/// The commands under `app`, depth first, as space-separated paths ("serve", "audit verify").
std::vector<std::string> command_paths(const CLI::App& app);

}  // namespace sqlguard::server
