// The three MCP tools sqlguard offers, all backed by the guard.
#pragma once

#include <memory>

#include "guard/guard.h"
#include "tools/tool.h"

namespace sqlguard::tools {

/// run_sql {sql: string, max_rows?: integer 1..100000}: one statement through the guard.
class RunSqlTool final : public Tool {
 public:
  explicit RunSqlTool(guard::Guard& guard) : guard_(guard) {}
  std::string_view name() const override { return "run_sql"; }
  nlohmann::json definition() const override { return tool_definition(); }
  /// The Tool object for tools/list (static: needs no guard).
  static nlohmann::json tool_definition();
  ToolResult call(const nlohmann::json& arguments, const CallContext& context) override;

 private:
  guard::Guard& guard_;
};

/// describe_table {table: string}: columns, types, keys and which columns are masked for you.
class DescribeTableTool final : public Tool {
 public:
  explicit DescribeTableTool(guard::Guard& guard) : guard_(guard) {}
  std::string_view name() const override { return "describe_table"; }
  nlohmann::json definition() const override { return tool_definition(); }
  /// The Tool object for tools/list (static: needs no guard).
  static nlohmann::json tool_definition();
  ToolResult call(const nlohmann::json& arguments, const CallContext& context) override;

 private:
  guard::Guard& guard_;
};

/// list_tables {schema?: string}: tables and views you may read, with their masked columns.
class ListTablesTool final : public Tool {
 public:
  explicit ListTablesTool(guard::Guard& guard) : guard_(guard) {}
  std::string_view name() const override { return "list_tables"; }
  nlohmann::json definition() const override { return tool_definition(); }
  /// The Tool object for tools/list (static: needs no guard).
  static nlohmann::json tool_definition();
  ToolResult call(const nlohmann::json& arguments, const CallContext& context) override;

 private:
  guard::Guard& guard_;
};

/// Records MCP sessions in the audit log through the guard.
class GuardSessionObserver final : public SessionObserver {
 public:
  explicit GuardSessionObserver(guard::Guard& guard) : guard_(guard) {}
  void session_started(const CallContext& context) override;
  void session_ended(const CallContext& context, std::string_view reason) override;

 private:
  guard::Guard& guard_;
};

/// A registry with run_sql, describe_table and list_tables (in that order).
ToolRegistry make_sql_tools(guard::Guard& guard);

}  // namespace sqlguard::tools
