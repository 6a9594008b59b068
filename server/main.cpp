// sqlguard command line: serve, check, validate, audit, keygen.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "server/app.h"
#include "server/audit_commands.h"
#include "server/config.h"
#include "server/server_info.h"
#include "server/stdio_transport.h"

namespace {

using namespace sqlguard;

void setup_logging(const std::string& level) {
  spdlog::set_level(spdlog::level::from_str(level));
}

int cmd_serve(const std::string& config_file, bool stdio, const std::string& log_level) {
  setup_logging(log_level);
  if (!stdio) {
    std::cerr << "sqlguard serve: choose a transport (--stdio)\n";
    return 2;
  }
  auto config = server::load_config(config_file);
  if (!config) {
    std::cerr << config.error() << "\n";
    return 2;
  }
  auto app = server::App::create(*config);
  if (!app) {
    spdlog::critical("cannot start: {}", app.error());
    return 1;
  }
  spdlog::info("sqlguard {} serving over stdio; database {}; audit log {}",
               server::server_version(), config->database.describe(), config->audit.log.dir.string());
  const int rc = server::serve_stdio((*app)->tools(), &(*app)->session_observer(), config->stdio_principal);
  if (rc == 2) std::_Exit(2);  // calls still running: do not destroy the guard under them
  return rc;
}

int cmd_validate(const std::string& config_file) {
  auto config = server::load_config(config_file);
  if (!config) {
    std::cerr << config.error() << "\n";
    return 1;
  }
  std::cout << config_file << ": OK (" << config->policy.rules.size() << " policy rules, "
            << config->masking.rules.size() << " masking rules, " << config->masking.detectors.size()
            << " detectors)\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Logs go to stderr: stdout belongs to the stdio transport and to command output.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("sqlguard"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
  CLI::App app{"sqlguard: governed SQL tools for AI agents (an MCP server for MySQL and MariaDB)"};
  app.set_version_flag("--version", std::string(server::server_version()));
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical, off")
      ->envname("SQLGUARD_LOG_LEVEL");
  int exit_code = 0;

  auto* serve = app.add_subcommand("serve", "Run the MCP server");
  std::string serve_config;
  bool serve_stdio = false;
  serve->add_option("--config", serve_config, "configuration file (YAML)")->required();
  serve->add_flag("--stdio", serve_stdio, "serve one MCP session over stdin/stdout");
  serve->callback([&] { exit_code = cmd_serve(serve_config, serve_stdio, log_level); });

  auto* validate = app.add_subcommand("validate", "Check a configuration file and exit");
  std::string validate_config;
  validate->add_option("--config", validate_config, "configuration file (YAML)")->required();
  validate->callback([&] { exit_code = cmd_validate(validate_config); });

  server::register_audit_commands(app, exit_code);

  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
