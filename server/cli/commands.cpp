#include "server/cli/commands.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "common/metrics.h"
#include "policy/analysis_format.h"
#include "policy/principal_spec.h"
#include "server/cli/app.h"
#include "server/cli/approvals_commands.h"
#include "server/cli/audit_commands.h"
#include "server/cli/client_config_command.h"
#include "server/cli/doctor_command.h"
#include "server/cli/init_command.h"
#include "server/cli/manual.h"
#include "server/cli/replay_command.h"
#include "server/config/config.h"
#include "server/mcp/server_info.h"

namespace sqlguard::server {
namespace {

void setup_logging(const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); }

int cmd_serve(const std::string& config_file, bool stdio, bool http, bool mysql,
              const std::string& log_level) {
  setup_logging(log_level);
  if (stdio == (http || mysql)) {
    std::cerr << "sqlguard serve: choose the transport: --stdio, or --http and/or --mysql\n";
    return 2;
  }
  auto config = load_config(config_file);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return 2;
  }
  if (http) config->http.enabled = true;
  // Created before the App so that it outlives everything that observes into it.
  common::MetricsRegistry metrics;
  auto app = App::create(*config, &metrics);
  if (!app) {
    spdlog::critical("cannot start: {}", app.error().message);
    return 1;
  }
  const int rc = stdio ? (*app)->serve_stdio() : mysql ? (*app)->serve_mysql(http) : (*app)->serve_http();
  if (rc == 2) std::_Exit(2);  // calls still running: do not destroy the guard under them
  return rc;
}

int cmd_validate(const std::string& config_file) {
  auto config = load_config(config_file);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return 1;
  }
  std::cout << config_file << ": OK (" << config->policy.rules.size() << " policy rules, "
            << config->masking.rules.size() << " masking rules, " << config->masking.detectors.size()
            << " detectors)\n";
  return 0;
}

/// A catalog for `check`: no database is contacted, so no name is known: tables are assumed to
/// be base tables, views are not expanded and `*` cannot be expanded (the running server looks
/// all of them up).
class OfflineCatalog final : public policy::Catalog {
 public:
  common::Result<policy::CatalogEntry> table(std::string_view, std::string_view) const override {
    return policy::CatalogEntry{};
  }
};

/// The config and the principal `check` decides for (--as, else the stdio principal); nullopt
/// after printing why to stderr.
std::optional<std::pair<Config, policy::Principal>> check_setup(const std::string& config_file,
                                                                const std::string& as,
                                                                const std::string& client) {
  auto config = load_config(config_file);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return std::nullopt;
  }
  policy::Principal principal = config->stdio_principal;
  if (!as.empty()) {
    auto p = policy::parse_principal_spec(as);
    if (!p) {
      std::cerr << "--as: " << p.error().message << "\n";
      return std::nullopt;
    }
    principal = *p;
  }
  principal.client_name = client;
  return std::pair{std::move(*config), std::move(principal)};
}

int cmd_check(const std::string& config_file, const std::string& as, const std::string& sql,
              const std::string& client, const std::string& expect) {
  auto setup = check_setup(config_file, as, client);
  if (!setup) return 2;
  const auto& config = setup->first;
  const auto& principal = setup->second;
  const policy::StatementAnalyzer analyzer;
  const policy::PolicyEngine engine(config.policy);
  const auto analysis = analyzer.analyze(sql, config.database.database);
  const auto decision = engine.decide(principal, analysis);
  std::cout << "principal: " << principal.subject;
  if (!principal.groups.empty()) {
    std::cout << " (groups:";
    for (const auto& g : principal.groups) std::cout << " " << g;
    std::cout << ")";
  }
  std::cout << "\n" << policy::describe(analysis) << "\n";
  std::cout << "decision: " << policy::to_string(decision.action) << "\nrule: " << decision.rule
            << "\nreason: " << decision.reason << "\n";
  if (decision.action != policy::Action::kDeny) {
    std::cout << "limits: max_rows=" << decision.limits.max_rows
              << " max_result_bytes=" << decision.limits.max_result_bytes
              << " timeout_ms=" << decision.limits.timeout_ms
              << (decision.read_only ? " (read-only transaction)" : "") << "\n";
    auto masking = policy::MaskingEngine::create(config.masking);
    if (masking) {
      auto plan = (*masking)->plan(principal, analysis, OfflineCatalog{});
      if (plan) {
        std::cout << "masking: " << (plan->bypass ? "no rule applies" : "planned");
        for (const auto& m : plan->masked_references) std::cout << "\n  masked: " << m;
        std::cout << "\n";
      } else {
        std::cout << "masking: refused: " << plan.error().message
                  << "\n  (offline check: tables are assumed to be base tables and `*` cannot be expanded;"
                     " the server decides with the database catalog)\n";
      }
    }
  }
  if (!expect.empty() && expect != policy::to_string(decision.action)) {
    std::cerr << "check: expected " << expect << ", got " << policy::to_string(decision.action) << "\n";
    return 1;
  }
  return 0;
}

/// `check --statements FILE` (FILE `-` = stdin): statements separated by NUL bytes (which no
/// statement can contain: the lexer refuses them), each analysed and decided like `check SQL`,
/// one JSON object per line on stdout, flushed after each: {"n": index from 0, "understood",
/// "analysis_reason" (why not understood), "decision", "rule", "reason"}. For measuring the
/// analyser over a corpus (scripts/sql-coverage) without a process per statement.
int cmd_check_statements(const std::string& config_file, const std::string& as, const std::string& file,
                         const std::string& client) {
  auto setup = check_setup(config_file, as, client);
  if (!setup) return 2;
  const auto& config = setup->first;
  const auto& principal = setup->second;
  std::string input;
  if (file == "-") {
    input.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cerr << "check: cannot read " << file << "\n";
      return 2;
    }
    input.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const policy::StatementAnalyzer analyzer;
  const policy::PolicyEngine engine(config.policy);
  std::size_t n = 0;
  std::size_t begin = 0;
  while (begin < input.size()) {
    std::size_t end = input.find('\0', begin);
    if (end == std::string::npos) end = input.size();
    const std::string_view sql(input.data() + begin, end - begin);
    begin = end + 1;
    const auto analysis = analyzer.analyze(sql, config.database.database);
    const auto decision = engine.decide(principal, analysis);
    nlohmann::json j = {{"n", n++},
                        {"understood", analysis.understood},
                        {"analysis_reason", analysis.reason},
                        {"decision", policy::to_string(decision.action)},
                        {"rule", decision.rule},
                        {"reason", decision.reason}};
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  }
  return 0;
}

/// Arguments of serve, validate and check; held by the callbacks, so they live as long as the app.
struct CoreArgs {
  std::string log_level = "info";
  std::string serve_config;
  bool serve_stdio = false;
  bool serve_http = false;
  bool serve_mysql = false;
  std::string validate_config;
  std::string check_config, check_as, check_sql, check_client, check_expect, check_statements;
};

void register_core_commands(CLI::App& app, int& exit_code, const std::shared_ptr<CoreArgs>& a) {
  auto* serve = app.add_subcommand("serve", "Run the MCP server");
  serve->add_option("--config", a->serve_config, "configuration file (YAML)")->required();
  serve->add_flag("--stdio", a->serve_stdio, "serve one MCP session over stdin/stdout");
  serve->add_flag("--http", a->serve_http, "serve Streamable HTTP (settings in the config's http: section)");
  serve->add_flag("--mysql", a->serve_mysql,
                  "serve the MySQL protocol (settings in the config's mysql: section); with --http, both");
  serve->callback([a, &exit_code] {
    exit_code = cmd_serve(a->serve_config, a->serve_stdio, a->serve_http, a->serve_mysql, a->log_level);
  });

  auto* validate = app.add_subcommand("validate", "Check a configuration file and exit");
  validate->add_option("--config", a->validate_config, "configuration file (YAML)")->required();
  validate->callback([a, &exit_code] { exit_code = cmd_validate(a->validate_config); });

  auto* check = app.add_subcommand("check", "Analyse and decide one statement without touching the database");
  check->add_option("--config", a->check_config, "configuration file (YAML)")->required();
  check->add_option("--as", a->check_as, "principal SUBJECT[:group,group] (default: the stdio principal)");
  check->add_option("--client", a->check_client, "MCP client name to evaluate with");
  check->add_option("--expect", a->check_expect, "exit 1 unless the decision is this (allow, deny, approve)")
      ->check(CLI::IsMember({"allow", "deny", "approve"}));
  auto* check_sql_opt = check->add_option("sql", a->check_sql, "the statement");
  check
      ->add_option("--statements", a->check_statements,
                   "NUL-separated statements from this file (- for stdin), one JSON line each")
      ->excludes(check_sql_opt);
  check->callback([a, &exit_code] {
    if (!a->check_statements.empty()) {
      exit_code = cmd_check_statements(a->check_config, a->check_as, a->check_statements, a->check_client);
    } else if (a->check_sql.empty()) {
      std::cerr << "check: give the statement, or --statements FILE\n";
      exit_code = kUsageExitStatus;
    } else {
      exit_code = cmd_check(a->check_config, a->check_as, a->check_sql, a->check_client, a->check_expect);
    }
  });
}

}  // namespace

std::unique_ptr<CLI::App> make_command_line(int& exit_code) {
  auto app = std::make_unique<CLI::App>(
      "sqlguard: governed SQL tools for AI agents (an MCP server for MySQL and MariaDB)");
  app->set_version_flag("--version", std::string(server_version()));
  app->require_subcommand(1);
  auto args = std::make_shared<CoreArgs>();
  app->add_option("--log-level", args->log_level, "trace, debug, info, warn, error, critical, off")
      ->envname("SQLGUARD_LOG_LEVEL");
  app->footer(
      "\nRun `sqlguard COMMAND --help` for a command's manual: what it does, exit status, files,\n"
      "examples. Documents: README.md and docs/ in the source tree.\n");
  register_core_commands(*app, exit_code, args);
  register_replay_command(*register_audit_commands(*app, exit_code), exit_code);
  register_doctor_command(*app, exit_code);
  register_init_command(*app, exit_code);
  register_client_config_command(*app, exit_code);
  register_approvals_commands(*app, exit_code);
  attach_manual(*app);
  return app;
}

int run_command_line(CLI::App& app, int argc, char** argv, const int& exit_code) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here too, with status 0.
    return app.exit(e) == 0 ? 0 : kUsageExitStatus;
  }
  return exit_code;
}

}  // namespace sqlguard::server
