// sqlguard's entry point: logging on stderr, then the command line (server/cli/commands.h).
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "server/cli/commands.h"

int main(int argc, char** argv) {
  // Logs go to stderr: stdout belongs to the stdio transport and to command output.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("sqlguard"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
  int exit_code = 0;
  auto app = sqlguard::server::make_command_line(exit_code);
  return sqlguard::server::run_command_line(*app, argc, argv, exit_code);
}
