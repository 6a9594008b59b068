// sqlguard's entry point: logging on stderr, then the command line (server/cli/commands.h).
#include <malloc.h>

#include <cstdlib>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "server/cli/commands.h"

int main(int argc, char** argv) {
  // glibc gives each thread that meets contention its own malloc arena (up to 8 per core), and
  // each arena keeps the memory it once held: with a worker pool, the resident set grows with
  // the number of threads that ever ran a call. Two arenas keep it near the single-threaded
  // figure (BENCHMARKS.md, RSS). MALLOC_ARENA_MAX in the environment still decides if set.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);
  // Logs go to stderr: stdout belongs to the stdio transport and to command output.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("sqlguard"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
  int exit_code = 0;
  auto app = sqlguard::server::make_command_line(exit_code);
  return sqlguard::server::run_command_line(*app, argc, argv, exit_code);
}
