// The sqlguard command line: every command (serve, validate, check, keygen, audit, doctor, init,
// client-config, approvals) with its options and manual page, built in one place so that main()
// and the tests see the same tree.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>

namespace sqlguard::server {

/// The whole command line. A command's callback stores its exit status in `exit_code`, which
/// must outlive the returned app.
std::unique_ptr<CLI::App> make_command_line(int& exit_code);

/// Parses argv and runs the chosen command. Returns the exit status: the command's, 0 after
/// --help or --version, kUsageExitStatus (2) when the command line cannot be parsed (CLI11
/// prints why on stderr).
int run_command_line(CLI::App& app, int argc, char** argv, const int& exit_code);

}  // namespace sqlguard::server
