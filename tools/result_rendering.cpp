#include "tools/result_rendering.h"

#include "common/bytes.h"
#include "common/utf8.h"

#include <charconv>

namespace sqlguard::tools {
namespace {

using T = common::ColumnType;

bool is_integer_type(T t) {
  return t == T::kTiny || t == T::kShort || t == T::kInt24 || t == T::kLong || t == T::kLongLong ||
         t == T::kYear;
}

std::string hex(std::string_view s) { return "0x" + common::hex_encode(s); }

nlohmann::json cell_json(const common::ResultColumn& col, const common::Cell& cell) {
  if (!cell) return nullptr;
  const std::string& v = *cell;
  if (!col.masked && is_integer_type(col.type)) {
    int64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    constexpr int64_t kSafe = (int64_t{1} << 53) - 1;
    if (ec == std::errc() && p == v.data() + v.size() && n <= kSafe && n >= -kSafe) return n;
    return v;
  }
  if ((!col.masked && col.charset == common::kCharsetBinary && col.type != T::kBit &&
       !is_integer_type(col.type) && col.type != T::kNewDecimal && col.type != T::kDouble &&
       col.type != T::kFloat && col.type != T::kDate && col.type != T::kDateTime &&
       col.type != T::kTimestamp && col.type != T::kTime && col.type != T::kNewDate) ||
      col.type == T::kBit || !common::valid_utf8(v)) {
    return hex(v);
  }
  return v;
}

std::string cell_text(const nlohmann::json& v) {
  if (v.is_null()) return "NULL";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  std::string s = v.get<std::string>();
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '|')
      out += "\\|";
    else
      out += c;
  }
  return out;
}

}  // namespace

nlohmann::json run_sql_output_schema() {
  return nlohmann::json::parse(R"json({
    "type": "object",
    "properties": {
      "columns": {"type": "array", "description": "Result columns in order",
        "items": {"type": "object", "properties": {
          "name": {"type": "string"}, "type": {"type": "string"},
          "masked": {"type": "boolean", "description": "values were masked by a masking rule"},
          "masking_rule": {"type": "string"}},
          "required": ["name", "type", "masked"]}},
      "rows": {"type": "array", "description": "Rows; each an array of cells (string, integer or null)",
        "items": {"type": "array", "items": {"type": ["string", "integer", "null"]}}},
      "row_count": {"type": "integer", "description": "rows returned"},
      "truncated": {"type": "boolean", "description": "more rows existed than the row or byte limit allowed"},
      "affected_rows": {"type": "integer"},
      "statement_kind": {"type": "string"},
      "call_id": {"type": "string", "description": "id of this call in the audit log"},
      "approval_id": {"type": "string", "description": "the approval this statement ran on (single use)"}
    },
    "required": ["columns", "rows", "row_count", "truncated", "affected_rows"]
  })json");
}

nlohmann::json render_structured(const guard::SqlOutcome& o) {
  const auto& rs = o.result;
  nlohmann::json cols = nlohmann::json::array();
  for (const auto& c : rs.columns) {
    nlohmann::json col = {{"name", c.name}, {"type", c.type_name}, {"masked", c.masked}};
    if (c.masked && !c.masking_rule.empty()) col["masking_rule"] = c.masking_rule;
    cols.push_back(std::move(col));
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : rs.rows) {
    nlohmann::json row = nlohmann::json::array();
    for (size_t i = 0; i < r.size() && i < rs.columns.size(); ++i)
      row.push_back(cell_json(rs.columns[i], r[i]));
    rows.push_back(std::move(row));
  }
  nlohmann::json out = {{"columns", std::move(cols)},
                        {"rows", std::move(rows)},
                        {"row_count", rs.rows.size()},
                        {"truncated", rs.truncated},
                        {"affected_rows", rs.affected_rows},
                        {"statement_kind", std::string(policy::to_string(o.kind))},
                        {"call_id", o.call_id}};
  if (!o.approval_id.empty()) out["approval_id"] = o.approval_id;
  return out;
}

std::string render_text(const guard::SqlOutcome& o, size_t max_chars) {
  const auto& rs = o.result;
  std::string out;
  if (!rs.has_result_set) {
    out = "OK: " + std::to_string(rs.affected_rows) + " row(s) affected (" +
          std::string(policy::to_string(o.kind)) + ", audit call " + o.call_id +
          (o.approval_id.empty() ? "" : ", approval " + o.approval_id) + ")";
    return out;
  }
  out = std::to_string(rs.rows.size()) + " row(s)";
  if (rs.truncated) out += " (truncated at the row or byte limit; add LIMIT or filters)";
  out += ", audit call " + o.call_id;
  if (!o.approval_id.empty()) out += ", approval " + o.approval_id;
  if (!o.masked_columns.empty()) {
    out += "; masked columns:";
    for (const auto& m : o.masked_columns) out += " " + m.column + " (" + m.method + ", rule " + m.rule + ")";
  }
  out += "\n";
  for (size_t i = 0; i < rs.columns.size(); ++i) out += (i ? " | " : "") + rs.columns[i].name;
  out += "\n";
  for (const auto& r : rs.rows) {
    std::string line;
    for (size_t i = 0; i < r.size() && i < rs.columns.size(); ++i) {
      line += (i ? " | " : "") + cell_text(cell_json(rs.columns[i], r[i]));
    }
    if (out.size() + line.size() + 1 > max_chars) {
      out += "... (text cut; all rows are in structuredContent)\n";
      break;
    }
    out += line + "\n";
  }
  return out;
}

ToolResult failure_result(const guard::SqlFailure& f) {
  std::string text = f.error.message;
  if (!f.call_id.empty()) text += " [audit call " + f.call_id + "]";
  return ToolResult::error(std::move(text));
}

guard::CallInfo call_info(const CallContext& c, std::string tool) {
  guard::CallInfo info;
  info.principal = c.principal;
  info.session_id = c.session_id;
  info.request_id = c.request_id;
  info.transport = c.transport;
  info.remote_address = c.remote_address;
  info.tool = std::move(tool);
  info.cancel = c.cancel;
  info.progress = c.progress;
  return info;
}

}  // namespace sqlguard::tools
