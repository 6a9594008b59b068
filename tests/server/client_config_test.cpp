#include "server/cli/client_config_command.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sqlguard::server {
namespace {

std::string body(const std::string& snippet) { return snippet.substr(snippet.find('\n') + 1); }

TEST(ClientConfig, StdioSnippetsNameTheBinaryAndTheConfig) {
  Config c;
  c.file = "/etc/sqlguard/sqlguard.yaml";
  c.server_name = "sqlguard";
  auto s = client_snippet(c, "claude-desktop", "stdio", "/usr/bin/sqlguard");
  ASSERT_TRUE(s) << s.error().message;
  auto j = nlohmann::json::parse(body(*s));
  EXPECT_EQ(j["mcpServers"]["sqlguard"]["command"], "/usr/bin/sqlguard");
  EXPECT_EQ(j["mcpServers"]["sqlguard"]["args"],
            nlohmann::json({"serve", "--stdio", "--config", "/etc/sqlguard/sqlguard.yaml"}));
  s = client_snippet(c, "vscode", "stdio", "/usr/bin/sqlguard");
  ASSERT_TRUE(s);
  EXPECT_EQ(nlohmann::json::parse(body(*s))["servers"]["sqlguard"]["type"], "stdio");
  s = client_snippet(c, "claude-code", "stdio", "/usr/bin/sqlguard");
  ASSERT_TRUE(s);
  EXPECT_NE(
      s->find(
          "claude mcp add sqlguard -- /usr/bin/sqlguard serve --stdio --config /etc/sqlguard/sqlguard.yaml"),
      std::string::npos)
      << *s;
}

TEST(ClientConfig, HttpSnippetsCarryTheUrlAndATokenWhenAuthIsOn) {
  Config c;
  c.file = "/etc/sqlguard/sqlguard.yaml";
  c.http.resource_url = "https://sqlguard.example.com/mcp";
  c.auth.api_keys.push_back({});
  auto s = client_snippet(c, "vscode", "http", "/usr/bin/sqlguard");
  ASSERT_TRUE(s) << s.error().message;
  auto j = nlohmann::json::parse(body(s->substr(0, s->rfind("# the token"))));
  EXPECT_EQ(j["servers"]["sqlguard"]["url"], "https://sqlguard.example.com/mcp");
  EXPECT_EQ(j["servers"]["sqlguard"]["headers"]["Authorization"], "Bearer ${input:sqlguard-token}");
  EXPECT_EQ(j["inputs"][0]["password"], true);
  s = client_snippet(c, "cursor", "http", "/usr/bin/sqlguard");
  ASSERT_TRUE(s);
  EXPECT_NE(s->find("${env:SQLGUARD_TOKEN}"), std::string::npos);
  EXPECT_FALSE(client_snippet(c, "claude-desktop", "http", "x"));  // Connectors UI, not the file
  EXPECT_FALSE(client_snippet(c, "emacs", "stdio", "x"));
}

}  // namespace
}  // namespace sqlguard::server
