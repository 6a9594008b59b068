// sqlguard command line: serve, check, audit, keygen.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "server/server_info.h"

int main(int argc, char** argv) {
  CLI::App app{"sqlguard: governed SQL tools for AI agents (MCP server)"};
  app.set_version_flag("--version", std::string(sqlguard::server::server_version()));
  CLI11_PARSE(app, argc, argv);
  return 0;
}
