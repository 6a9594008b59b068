#include "tools/sql_tools.h"

#include "tools/result_rendering.h"

namespace sqlguard::tools {
namespace {

using nlohmann::json;

/// Checks that `arguments` is an object with only `allowed` keys. Returns an error text or "".
std::string check_object(const json& arguments, std::initializer_list<std::string_view> allowed) {
  if (arguments.is_null()) return "";
  if (!arguments.is_object()) return "invalid arguments: expected an object";
  for (const auto& [key, value] : arguments.items()) {
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (!known) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return "invalid arguments: unknown argument '" + key + "' (expected: " + list + ")";
    }
  }
  return "";
}

}  // namespace

json RunSqlTool::tool_definition() {
  return {
      {"name", "run_sql"},
      {"title", "Run SQL (governed)"},
      {"description",
       "Run one SQL statement on the database through sqlguard. Policy decides per caller what may "
       "run; refused statements come back as errors with the reason and the rule. Sensitive columns "
       "are masked (select them directly; functions, filters or unions over masked columns are "
       "refused). Results are limited in rows and bytes (truncated=true when cut). Every call is "
       "recorded in a tamper-evident audit log. One statement per call; no transaction control."},
      {"inputSchema",
       {{"type", "object"},
        {"properties",
         {{"sql", {{"type", "string"}, {"description", "exactly one SQL statement (MariaDB/MySQL dialect)"}}},
          {"max_rows",
           {{"type", "integer"},
            {"minimum", 1},
            {"maximum", 100000},
            {"description", "return at most this many rows (policy limits still apply)"}}},
          {"approval_id",
           {{"type", "string"},
            {"maxLength", 64},
            {"description",
             "id of an approval request from an earlier call that was held for approval; send it "
             "with the exact same sql to run that statement once a reviewer approved it"}}}}},
        {"required", {"sql"}},
        {"additionalProperties", false}}},
      {"outputSchema", run_sql_output_schema()},
      {"annotations",
       {{"title", "Run SQL (governed)"},
        {"readOnlyHint", false},
        {"destructiveHint", true},
        {"idempotentHint", false},
        {"openWorldHint", false}}},
  };
}

ToolResult RunSqlTool::call(const json& arguments, const CallContext& context) {
  if (auto err = check_object(arguments, {"sql", "max_rows", "approval_id"}); !err.empty())
    return ToolResult::error(err);
  if (!arguments.is_object() || !arguments.contains("sql") || !arguments["sql"].is_string()) {
    return ToolResult::error("invalid arguments: 'sql' is required and must be a string");
  }
  const std::string sql = arguments["sql"].get<std::string>();
  if (sql.find_first_not_of(" \t\r\n") == std::string::npos) {
    return ToolResult::error("invalid arguments: 'sql' is empty");
  }
  std::optional<uint64_t> max_rows;
  if (arguments.contains("max_rows")) {
    const json& m = arguments["max_rows"];
    if (!m.is_number_integer() || m.get<int64_t>() < 1 || m.get<int64_t>() > 100000) {
      return ToolResult::error("invalid arguments: 'max_rows' must be an integer from 1 to 100000");
    }
    max_rows = m.get<uint64_t>();
  }
  guard::CallInfo info = call_info(context, "run_sql");
  if (arguments.contains("approval_id")) {
    const json& a = arguments["approval_id"];
    if (!a.is_string() || a.get<std::string>().empty() || a.get<std::string>().size() > 64) {
      return ToolResult::error(
          "invalid arguments: 'approval_id' must be a non-empty string of at most 64 characters");
    }
    info.approval_id = a.get<std::string>();
  }
  auto outcome = guard_.run_sql(info, sql, max_rows);
  if (!outcome) return failure_result(outcome.error());
  ToolResult r;
  r.structured = render_structured(*outcome);
  r.content = json::array({{{"type", "text"}, {"text", render_text(*outcome)}}});
  return r;
}

json DescribeTableTool::tool_definition() {
  return {
      {"name", "describe_table"},
      {"title", "Describe table"},
      {"description",
       "Columns of a table you may read: name, type, nullability, key, default, and whether the "
       "column is masked for you (and by which rule)."},
      {"inputSchema",
       {{"type", "object"},
        {"properties", {{"table", {{"type", "string"}, {"description", "table name, or schema.table"}}}}},
        {"required", {"table"}},
        {"additionalProperties", false}}},
      {"outputSchema",
       {{"type", "object"},
        {"properties",
         {{"table", {{"type", "string"}}},
          {"columns",
           {{"type", "array"},
            {"items",
             {{"type", "object"},
              {"properties",
               {{"name", {{"type", "string"}}},
                {"type", {{"type", "string"}}},
                {"nullable", {{"type", "boolean"}}},
                {"key", {{"type", "string"}}},
                {"default", {{"type", json::array({"string", "null"})}}},
                {"comment", {{"type", "string"}}},
                {"masked", {{"type", "boolean"}}},
                {"masking_rule", {{"type", "string"}}},
                {"masking_method", {{"type", "string"}}}}},
              {"required", {"name", "type", "nullable", "masked"}}}}}}}},
        {"required", {"table", "columns"}}}},
      {"annotations",
       {{"title", "Describe table"},
        {"readOnlyHint", true},
        {"idempotentHint", true},
        {"openWorldHint", false}}},
  };
}

ToolResult DescribeTableTool::call(const json& arguments, const CallContext& context) {
  if (auto err = check_object(arguments, {"table"}); !err.empty()) return ToolResult::error(err);
  if (!arguments.is_object() || !arguments.contains("table") || !arguments["table"].is_string()) {
    return ToolResult::error("invalid arguments: 'table' is required and must be a string");
  }
  const std::string table = arguments["table"].get<std::string>();
  auto cols = guard_.describe_table(call_info(context, "describe_table"), table);
  if (!cols) return failure_result(cols.error());
  json columns = json::array();
  std::string text = "table " + table + ":\n";
  for (const auto& c : *cols) {
    json col = {{"name", c.name},
                {"type", c.type},
                {"nullable", c.nullable},
                {"key", c.key},
                {"default", c.has_default ? json(c.default_value) : json(nullptr)},
                {"comment", c.comment},
                {"masked", c.masking.has_value()}};
    if (c.masking) {
      col["masking_rule"] = c.masking->rule;
      col["masking_method"] = c.masking->method;
    }
    columns.push_back(std::move(col));
    text += "  " + c.name + " " + c.type + (c.nullable ? "" : " NOT NULL") +
            (c.key.empty() ? "" : " " + c.key) +
            (c.masking ? " [masked: " + c.masking->method + ", rule " + c.masking->rule + "]" : "") + "\n";
  }
  ToolResult r;
  r.structured = {{"table", table}, {"columns", std::move(columns)}};
  r.content = json::array({{{"type", "text"}, {"text", text}}});
  return r;
}

json ListTablesTool::tool_definition() {
  return {
      {"name", "list_tables"},
      {"title", "List tables"},
      {"description",
       "Tables and views in a schema (default: the configured database) that you may read, with "
       "their approximate row counts and the columns masked for you."},
      {"inputSchema",
       {{"type", "object"},
        {"properties", {{"schema", {{"type", "string"}, {"description", "schema (database) name"}}}}},
        {"additionalProperties", false}}},
      {"outputSchema",
       {{"type", "object"},
        {"properties",
         {{"schema", {{"type", "string"}}},
          {"tables",
           {{"type", "array"},
            {"items",
             {{"type", "object"},
              {"properties",
               {{"name", {{"type", "string"}}},
                {"type", {{"type", "string"}}},
                {"comment", {{"type", "string"}}},
                {"approx_rows", {{"type", "integer"}}},
                {"masked_columns", {{"type", "array"}, {"items", {{"type", "string"}}}}}}},
              {"required", {"name", "type", "masked_columns"}}}}}}}},
        {"required", {"schema", "tables"}}}},
      {"annotations",
       {{"title", "List tables"},
        {"readOnlyHint", true},
        {"idempotentHint", true},
        {"openWorldHint", false}}},
  };
}

ToolResult ListTablesTool::call(const json& arguments, const CallContext& context) {
  if (auto err = check_object(arguments, {"schema"}); !err.empty()) return ToolResult::error(err);
  std::string schema;
  if (arguments.is_object() && arguments.contains("schema")) {
    if (!arguments["schema"].is_string())
      return ToolResult::error("invalid arguments: 'schema' must be a string");
    schema = arguments["schema"].get<std::string>();
  }
  auto tables = guard_.list_tables(call_info(context, "list_tables"), schema);
  if (!tables) return failure_result(tables.error());
  const std::string shown = schema.empty() ? guard_.default_schema() : schema;
  json list = json::array();
  std::string text = std::to_string(tables->size()) + " table(s) in " + shown + ":\n";
  for (const auto& t : *tables) {
    list.push_back({{"name", t.name},
                    {"type", t.type},
                    {"comment", t.comment},
                    {"approx_rows", t.approx_rows},
                    {"masked_columns", t.masked_columns}});
    text += "  " + t.name + " (" + t.type + ", ~" + std::to_string(t.approx_rows) + " rows)";
    if (!t.masked_columns.empty()) {
      text += " masked:";
      for (const auto& c : t.masked_columns) text += " " + c;
    }
    text += "\n";
  }
  ToolResult r;
  r.structured = {{"schema", shown}, {"tables", std::move(list)}};
  r.content = json::array({{{"type", "text"}, {"text", text}}});
  return r;
}

void GuardSessionObserver::session_started(const CallContext& context) {
  guard_.session_started(call_info(context, ""));
}

void GuardSessionObserver::session_ended(const CallContext& context, std::string_view reason) {
  guard_.session_ended(call_info(context, ""), std::string(reason));
}

ToolRegistry make_sql_tools(guard::Guard& guard) {
  ToolRegistry registry;
  registry.add(std::make_unique<RunSqlTool>(guard));
  registry.add(std::make_unique<DescribeTableTool>(guard));
  registry.add(std::make_unique<ListTablesTool>(guard));
  return registry;
}

}  // namespace sqlguard::tools
