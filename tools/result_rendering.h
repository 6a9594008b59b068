// Rendering of guard results for MCP: structuredContent plus a compact text for the model.
#pragma once

#include <nlohmann/json.hpp>

#include "guard/guard.h"
#include "tools/tool.h"

namespace sqlguard::tools {

/// The run_sql outputSchema (JSON Schema 2020-12).
nlohmann::json run_sql_output_schema();

/// structuredContent for a successful run_sql:
/// {"columns":[{"name","type","masked","masking_rule"?}], "rows":[[cell,...]], "row_count",
///  "truncated", "affected_rows", "statement_kind", "call_id", "approval_id"?}.
/// Cells: JSON null for SQL NULL; integers within ±2^53 as numbers; binary or invalid UTF-8 as
/// "0x" + hex; everything else as the text the server sent.
nlohmann::json render_structured(const guard::SqlOutcome& outcome);

/// A readable text table (pipe-separated, newlines escaped), at most `max_chars` characters.
std::string render_text(const guard::SqlOutcome& outcome, size_t max_chars = 60000);

/// A tool result for a guard failure: isError with the agent-safe message and the call id. A
/// statement held for approval reads "held for approval: approval apr_… is pending (…). Once it
/// is approved, call run_sql again with the same sql and approval_id "apr_…" …".
ToolResult failure_result(const guard::SqlFailure& failure);

/// guard::CallInfo from an MCP call context.
guard::CallInfo call_info(const CallContext& context, std::string tool);

}  // namespace sqlguard::tools
