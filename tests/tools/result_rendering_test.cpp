// Rendering of results for MCP clients: types, NULL, binary, invalid UTF-8, truncation text.
#include <gtest/gtest.h>

#include "tools/result_rendering.h"
#include "tools/sql_tools.h"

namespace sqlguard::tools {
namespace {

guard::SqlOutcome outcome() {
  guard::SqlOutcome o;
  o.call_id = "c-1";
  o.kind = policy::StatementKind::kSelect;
  auto& rs = o.result;
  rs.has_result_set = true;
  common::ResultColumn id{
      .name = "id", .type = common::ColumnType::kLongLong, .type_name = "BIGINT", .charset = 63};
  common::ResultColumn name{
      .name = "name", .type = common::ColumnType::kVarString, .type_name = "VARCHAR", .charset = 45};
  common::ResultColumn blob{
      .name = "b", .type = common::ColumnType::kBlob, .type_name = "BLOB", .charset = 63};
  common::ResultColumn email{.name = "email",
                             .type = common::ColumnType::kVarString,
                             .type_name = "VARCHAR",
                             .charset = 45,
                             .masked = true,
                             .masking_rule = "pii"};
  rs.columns = {id, name, blob, email};
  rs.rows.push_back(
      {std::string("1"), std::string("a|b\nc"), std::string("\x00\xff", 2), std::string("a***@x.org")});
  rs.rows.push_back({std::string("18014398509481985"), std::nullopt, std::nullopt, std::string("\xc3\x28")});
  rs.truncated = true;
  o.masked_columns = {{"email", "pii", "email"}};
  return o;
}

TEST(ResultRendering, StructuredContentKeepsTypesAndIsValidUtf8) {
  const auto j = render_structured(outcome());
  EXPECT_EQ(j["rows"][0][0], 1);
  EXPECT_EQ(j["rows"][1][0], "18014398509481985") << "integers beyond 2^53 stay exact as strings";
  EXPECT_EQ(j["rows"][0][2], "0x00ff") << "binary is hex";
  EXPECT_TRUE(j["rows"][1][1].is_null());
  EXPECT_EQ(j["rows"][1][3], "0xc328") << "invalid UTF-8 is hex, never raw";
  EXPECT_EQ(j["columns"][3]["masked"], true);
  EXPECT_EQ(j["columns"][3]["masking_rule"], "pii");
  EXPECT_EQ(j["truncated"], true);
  EXPECT_NO_THROW((void)j.dump());
}

TEST(ResultRendering, TextEscapesSeparatorsAndSaysTruncated) {
  const std::string t = render_text(outcome());
  EXPECT_NE(t.find("truncated"), std::string::npos);
  EXPECT_NE(t.find("a\\|b\\nc"), std::string::npos) << t;
  EXPECT_NE(t.find("email (email, rule pii)"), std::string::npos) << t;
}

TEST(ToolDefinitions, SchemasAreClientFriendly) {
  for (const nlohmann::json& def : {RunSqlTool::tool_definition(), DescribeTableTool::tool_definition(),
                                    ListTablesTool::tool_definition()}) {
    EXPECT_EQ(def["inputSchema"]["type"], "object");
    EXPECT_TRUE(def["inputSchema"].contains("properties"));
    EXPECT_EQ(def["outputSchema"]["type"], "object");
    EXPECT_LE(def["name"].get<std::string>().size(), 40u);
    // VS Code rejects arrays without items.
    std::function<void(const nlohmann::json&)> check = [&](const nlohmann::json& s) {
      if (s.is_object()) {
        if (s.contains("type") && s["type"] == "array") {
          EXPECT_TRUE(s.contains("items")) << s.dump();
        }
        for (const auto& [k, v] : s.items()) check(v);
      } else if (s.is_array()) {
        for (const auto& v : s) check(v);
      }
    };
    check(def);
  }
}

}  // namespace
}  // namespace sqlguard::tools
