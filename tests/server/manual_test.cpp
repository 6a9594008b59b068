#include "server/cli/manual.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "server/cli/commands.h"

namespace sqlguard::server {
namespace {

CLI::App* find_command(CLI::App& app, const std::string& path) {
  CLI::App* at = &app;
  std::istringstream words(path);
  for (std::string w; words >> w;) at = at->get_subcommand(w);
  return at;
}

TEST(Manual, EveryCommandHasAPageAndEveryPageACommand) {
  int exit_code = 0;
  auto app = make_command_line(exit_code);
  EXPECT_EQ(attach_manual(*app), std::vector<std::string>{});
  const auto paths = command_paths(*app);
  EXPECT_GE(paths.size(), 19U);  // serve ... approvals deny
  for (const auto& path : paths) {
    const std::string help = find_command(*app, path)->help();
    for (const char* section : {"DESCRIPTION", "EXIT STATUS", "EXAMPLES", "SEE ALSO"})
      EXPECT_NE(help.find(section), std::string::npos) << path << " --help has no " << section;
  }
}

// The examples are what users copy: each must name a command and only options it has.
TEST(Manual, ExamplesUseOnlyOptionsTheCommandHas) {
  int exit_code = 0;
  auto app = make_command_line(exit_code);
  std::size_t checked = 0;
  for (const auto& path : command_paths(*app)) {
    std::string footer = find_command(*app, path)->get_footer();
    for (std::size_t at; (at = footer.find("\\\n")) != std::string::npos;) footer.replace(at, 2, " ");
    std::istringstream lines(footer);
    for (std::string line; std::getline(lines, line);) {
      const auto at = line.find("sqlguard ");
      if (at == std::string::npos || line.find("SEE ALSO") != std::string::npos) continue;
      std::istringstream words(line.substr(at + 9));
      CLI::App* cmd = app.get();
      std::string w;
      while (words >> w && w.rfind("-", 0) != 0) {
        CLI::App* sub = nullptr;
        try {
          sub = cmd->get_subcommand(w);
        } catch (const CLI::OptionNotFound&) {}
        if (sub == nullptr) break;
        cmd = sub;
      }
      if (cmd == app.get()) continue;  // prose naming another command ("sqlguard validate, ...")
      do {
        if (w.rfind("--", 0) != 0) continue;
        w = w.substr(0, w.find('='));
        EXPECT_NE(cmd->get_option_no_throw(w), nullptr) << path << " example uses " << w << ": " << line;
        ++checked;
      } while (words >> w);
    }
  }
  EXPECT_GT(checked, 30U);
}

int run(std::vector<std::string> args) {
  int exit_code = 0;
  auto app = make_command_line(exit_code);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return run_command_line(*app, static_cast<int>(argv.size()), argv.data(), exit_code);
}

TEST(Manual, UsageErrorsExitWithStatusTwoAndHelpWithZero) {
  EXPECT_EQ(run({"sqlguard", "validate"}), kUsageExitStatus);  // --config missing
  EXPECT_EQ(run({"sqlguard", "audit", "export", "d", "--format", "xml"}), kUsageExitStatus);
  EXPECT_EQ(run({"sqlguard", "no-such-command"}), kUsageExitStatus);
  EXPECT_EQ(run({"sqlguard", "audit", "verify", "--help"}), 0);
  EXPECT_EQ(run({"sqlguard", "--version"}), 0);
}

}  // namespace
}  // namespace sqlguard::server
