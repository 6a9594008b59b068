#include "guard/audit_events.h"

#include <algorithm>

#include "policy/principal_json.h"
#include "recorder/record_types.h"

namespace sqlguard::guard::audit {
namespace {

using nlohmann::json;
namespace type = recorder::record_type;

json tables_json(const policy::StatementAnalysis& a) {
  json out = json::array();
  for (const auto& t : statement_tables(a)) out.push_back(t);
  return out;
}

// Tables reached through the views the statement reads: [{"view": "acme.v", "reads": [...]}].
void append_views(const policy::StatementAnalysis& a, json& out) {
  for (const auto& v : a.views) {
    if (!v.definition || v.table >= a.tables.size()) continue;
    const auto& t = a.tables[v.table];
    out.push_back({{"view", t.schema + "." + t.table}, {"reads", tables_json(*v.definition)}});
    append_views(*v.definition, out);
  }
}

}  // namespace

json decision_json(const policy::Decision& d) {
  return {{"action", std::string(policy::to_string(d.action))}, {"rule", d.rule}, {"reason", d.reason}};
}

std::vector<std::string> statement_tables(const policy::StatementAnalysis& a) {
  std::vector<std::string> out;
  for (const auto& t : a.tables) {
    if (t.is_cte || t.is_derived) continue;
    std::string name = t.schema.empty() ? t.table : t.schema + "." + t.table;
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

json CallIntent::to_json() const {
  json j = {{"type", std::string(type::kCallIntent)},
            {"session", session},
            {"call", call},
            {"request_id", request_id},
            {"tool", tool},
            {"transport", transport},
            {"principal", principal != nullptr ? policy::principal_to_json(*principal) : json(nullptr)}};
  if (analysis != nullptr) {
    json st = {{"text", std::string(statement_text)},
               {"sha256", statement_sha256},
               {"kind", std::string(policy::to_string(analysis->kind))},
               {"tables", tables_json(*analysis)},
               {"digest", analysis->digest_text}};
    if (!schema.empty()) st["schema"] = schema;
    if (!analysis->views.empty()) {
      json views = json::array();
      append_views(*analysis, views);
      st["views"] = std::move(views);
    }
    j["statement"] = std::move(st);
  }
  if (target) j["target"] = *target;
  if (decision) j["decision"] = decision_json(*decision);
  if (approval) {
    json a = {{"id", approval->id}};
    if (approval->state) a["state"] = *approval->state;
    if (approval->approvers) a["approvers"] = *approval->approvers;
    j["approval"] = std::move(a);
  }
  if (!masking_exemptions.empty()) j["masking_exemptions"] = masking_exemptions;
  return j;
}

json CallOutcome::to_json() const {
  json j = {{"type", std::string(type::kCallOutcome)},
            {"session", session},
            {"call", call},
            {"status", status},
            {"duration_us", duration_us}};
  if (error_class) j["error_class"] = *error_class;
  if (error) j["error"] = *error;
  if (db_errno) j["db_errno"] = db_errno;
  if (approval) j["approval"] = *approval;
  if (rows) j["rows"] = *rows;
  if (result) {
    json columns = json::array();
    for (const auto& [name, type_name] : result->columns)
      columns.push_back({{"name", name}, {"type", type_name}});
    json masked = json::array();
    for (const auto& m : result->masked_columns) {
      masked.push_back({{"column", m.column}, {"rule", m.rule}, {"method", m.method}});
    }
    j["affected_rows"] = result->affected_rows;
    j["truncated"] = result->truncated;
    j["columns"] = std::move(columns);
    j["masked_columns"] = std::move(masked);
    j["result_sha256"] = result->result_sha256;
    if (result->detector_hits) j["detector_hits"] = result->detector_hits;
    if (result->withheld_rows) j["withheld_rows"] = result->withheld_rows;
    if (!result->masking_exemptions.empty()) j["masking_exemptions"] = result->masking_exemptions;
    if (result->result_rows) j["result_rows"] = *result->result_rows;
  }
  if (late_reason) j["late"] = {{"reason", *late_reason}};
  return j;
}

json SessionEvent::to_json() const {
  json j = {{"type", std::string(start ? type::kSessionStart : type::kSessionEnd)},
            {"session", session},
            {"principal", principal != nullptr ? policy::principal_to_json(*principal) : json(nullptr)},
            {"transport", transport}};
  if (start)
    j["remote_address"] = remote_address;
  else
    j["reason"] = reason;
  return j;
}

}  // namespace sqlguard::guard::audit
