#include "recorder/audit_export.h"

#include <ctime>
#include <map>
#include <set>

#include "recorder/key_file.h"
#include "recorder/log_files.h"

namespace sqlguard::recorder {
namespace {

using nlohmann::json;

std::string str(const json& v, const char* key) {
  if (!v.is_object()) return {};
  auto it = v.find(key);
  if (it == v.end() || it->is_null()) return {};
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

const json& sub(const json& v, const char* key) {
  static const json kNull;
  if (!v.is_object()) return kNull;
  auto it = v.find(key);
  return it == v.end() ? kNull : *it;
}

std::string join(const json& arr, const char* sep = " ") {
  std::string out;
  if (!arr.is_array()) return out;
  for (const auto& item : arr) {
    if (!out.empty()) out += sep;
    if (item.is_string()) {
      out += item.get<std::string>();
    } else if (item.is_object() && item.contains("column")) {
      out += str(item, "column");
      std::string rule = str(item, "rule"), method = str(item, "method");
      if (!rule.empty() || !method.empty()) out += "(" + rule + (method.empty() ? "" : "/" + method) + ")";
    } else {
      out += item.dump();
    }
  }
  return out;
}

// RFC 4180 field; text cells that a spreadsheet would run as a formula get a leading quote.
std::string csv_field(std::string s, bool text) {
  if (text && !s.empty() &&
      (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r'))
    s.insert(0, "'");
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

int64_t epoch_ms(const std::string& time) {
  std::tm tm{};
  int us = 0;
  if (std::sscanf(time.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &us) < 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + us / 1000;
}

// Per-session and per-call context, so outcome records can be attributed and described.
struct Context {
  std::map<std::string, json> session_principal;  // session -> principal object
  std::map<std::string, json> session_start;      // session -> session.start record
  std::map<std::string, json> call_intent;        // call -> call.intent record
};

Context build_context(const std::vector<StoredRecord>& records) {
  Context ctx;
  for (const auto& r : records) {
    const json& rec = r.record;
    std::string type = str(rec, "type"), session = str(rec, "session");
    if (!session.empty() && sub(rec, "principal").is_object() && !ctx.session_principal.count(session))
      ctx.session_principal[session] = rec["principal"];
    if (type == "session.start" && !session.empty()) ctx.session_start[session] = rec;
    if (type == "call.intent") ctx.call_intent[str(rec, "call")] = rec;
  }
  return ctx;
}

const json& principal_of(const json& rec, const Context& ctx) {
  if (sub(rec, "principal").is_object()) return rec["principal"];
  auto it = ctx.session_principal.find(str(rec, "session"));
  static const json kNull;
  return it == ctx.session_principal.end() ? kNull : it->second;
}

bool passes(const json& rec, const ExportFilter& f, const Context& ctx) {
  std::string time = str(rec, "time");
  if (!f.since.empty() && time < f.since) return false;
  if (!f.until.empty() && time >= f.until) return false;
  if (!f.session.empty() && str(rec, "session") != f.session) return false;
  if (!f.principal.empty() && str(principal_of(rec, ctx), "subject") != f.principal) return false;
  return true;
}

}  // namespace

common::Result<std::vector<StoredRecord>> read_records(const std::filesystem::path& dir) {
  auto segs = list_segments(dir);
  if (!segs) return std::unexpected(segs.error());
  std::vector<StoredRecord> out;
  for (const auto& seg : *segs) {
    auto content = read_file(seg.path);
    if (!content) return std::unexpected(content.error());
    // In the last segment the records end at the first NUL: a preallocated segment's zero-filled
    // tail (log_files.h). A sealed segment has none, so a NUL there is damage: its lines are kept
    // (and fail to parse) rather than silently hiding the records after it.
    std::string_view rest = *content;
    if (&seg == &segs->back()) rest = rest.substr(0, segment_layout(rest).records_end);
    uint64_t line = 0;
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      if (nl == std::string_view::npos) break;  // torn tail: not a record
      StoredRecord r{seg.name, ++line, std::string(rest.substr(0, nl)), {}};
      r.record = json::parse(r.text, nullptr, false);
      out.push_back(std::move(r));
      rest.remove_prefix(nl + 1);
    }
  }
  return out;
}

common::Result<ExportFormat> parse_export_format(std::string_view name) {
  if (name == "jsonl") return ExportFormat::jsonl;
  if (name == "csv") return ExportFormat::csv;
  if (name == "ocsf") return ExportFormat::ocsf;
  return common::fail(common::ErrorCode::kInvalidInput,
                      "unknown export format \"" + std::string(name) + "\" (expected jsonl, csv or ocsf)");
}

json to_ocsf(const json& rec) {
  Context ctx;
  const std::string type = str(rec, "type");
  int activity_id = 99;
  std::string activity = "Other";
  if (type == "session.start") {
    activity_id = 3;
    activity = "Connect";
  } else if (type == "call.intent" || type == "call.outcome") {
    activity_id = 4;
    activity = "Query";
  }
  const json& statement = sub(rec, "statement");
  const json& decision = sub(rec, "decision");
  std::string status = str(rec, "status");
  std::string action = str(decision, "action");
  bool failure = status == "error" || status == "refused" || action == "deny" || type == "auth.rejected";
  json out = {
      {"category_uid", 6},
      {"category_name", "Application Activity"},
      {"class_uid", 6005},
      {"class_name", "Datastore Activity"},
      {"activity_id", activity_id},
      {"activity_name", activity},
      {"type_uid", 6005 * 100 + activity_id},
      {"time", epoch_ms(str(rec, "time"))},
      {"severity_id", failure ? 3 : 1},
      {"status_id", failure ? 2 : 1},
      {"status", failure ? "Failure" : "Success"},
      {"message", type},
      {"metadata",
       {{"version", "1.3.0"},
        {"product", {{"name", "sqlguard"}, {"vendor_name", "sqlguard"}}},
        {"log_name", str(rec, "origin")},
        {"sequence", rec.value("seq", 0)},
        {"uid", str(rec, "origin") + "/" + str(rec, "seq")},
        {"original_time", str(rec, "time")}}},
      {"unmapped", rec},
  };
  if (!str(rec, "call").empty()) out["metadata"]["correlation_uid"] = str(rec, "call");
  std::string detail = str(decision, "reason");
  if (!str(rec, "error").empty()) detail = str(rec, "error");
  if (!detail.empty()) out["status_detail"] = detail;
  if (!str(rec, "error_class").empty()) out["status_code"] = str(rec, "error_class");
  const json& principal = sub(rec, "principal");
  json actor = json::object();
  if (principal.is_object()) {
    actor["user"] = {{"name", str(principal, "subject")}, {"uid", str(principal, "subject")}};
    if (!str(principal, "issuer").empty()) actor["user"]["domain"] = str(principal, "issuer");
    const json& client = sub(principal, "client");
    if (client.is_object()) actor["app_name"] = str(client, "name") + " " + str(client, "version");
  }
  if (!str(rec, "session").empty()) actor["session"] = {{"uid", str(rec, "session")}};
  out["actor"] = actor;
  json src = json::object();
  if (!str(rec, "remote_address").empty()) src["ip"] = str(rec, "remote_address");
  out["src_endpoint"] = src;
  if (statement.is_object()) {
    out["query_info"] = {{"query_string", str(statement, "text")}};
    if (!str(statement, "sha256").empty()) out["query_info"]["uid"] = str(statement, "sha256");
    const json& tables = sub(statement, "tables");
    if (tables.is_array() && !tables.empty() && tables[0].is_string()) {
      out["table"] = {{"name", tables[0].get<std::string>()}};
      out["type_id"] = 3;
    }
  }
  return out;
}

common::Result<uint64_t> export_records(const std::filesystem::path& dir, ExportFormat format,
                                        const ExportFilter& filter, std::ostream& out) {
  auto records = read_records(dir);
  if (!records) return std::unexpected(records.error());
  Context ctx = build_context(*records);
  if (format == ExportFormat::csv)
    out << "seq,time,type,session,call,principal,client,transport,tool,statement,kind,tables,action,rule,"
           "reason,"
           "status,rows,affected_rows,masked_columns,result_sha256,duration_us,error_class,error\r\n";
  uint64_t n = 0;
  for (const auto& r : *records) {
    if (!r.record.is_object() || !passes(r.record, filter, ctx)) continue;
    ++n;
    const json& rec = r.record;
    switch (format) {
      case ExportFormat::jsonl: out << r.text << "\n"; break;
      case ExportFormat::ocsf: {
        json ev = to_ocsf(rec);
        const json& principal = principal_of(rec, ctx);
        if (!sub(rec, "principal").is_object() && principal.is_object())
          ev["actor"]["user"] = {{"name", str(principal, "subject")}, {"uid", str(principal, "subject")}};
        auto intent = ctx.call_intent.find(str(rec, "call"));
        if (str(rec, "type") == "call.outcome" && intent != ctx.call_intent.end()) {
          const json& st = sub(intent->second, "statement");
          ev["query_info"] = {{"query_string", str(st, "text")}};
          if (str(rec, "rows") != "") ev["query_info"]["data"] = {{"rows", rec.value("rows", 0)}};
        }
        out << ev.dump() << "\n";
        break;
      }
      case ExportFormat::csv: {
        const json& principal = principal_of(rec, ctx);
        const json& client = sub(principal, "client");
        const json& st = sub(rec, "statement");
        const json& dec = sub(rec, "decision");
        std::string client_text =
            client.is_object() ? str(client, "name") + " " + str(client, "version") : "";
        std::vector<std::pair<std::string, bool>> cells = {{str(rec, "seq"), false},
                                                           {str(rec, "time"), false},
                                                           {str(rec, "type"), true},
                                                           {str(rec, "session"), true},
                                                           {str(rec, "call"), true},
                                                           {str(principal, "subject"), true},
                                                           {client_text, true},
                                                           {str(rec, "transport"), true},
                                                           {str(rec, "tool"), true},
                                                           {str(st, "text"), true},
                                                           {str(st, "kind"), true},
                                                           {join(sub(st, "tables")), true},
                                                           {str(dec, "action"), true},
                                                           {str(dec, "rule"), true},
                                                           {str(dec, "reason"), true},
                                                           {str(rec, "status"), true},
                                                           {str(rec, "rows"), false},
                                                           {str(rec, "affected_rows"), false},
                                                           {join(sub(rec, "masked_columns")), true},
                                                           {str(rec, "result_sha256"), true},
                                                           {str(rec, "duration_us"), false},
                                                           {str(rec, "error_class"), true},
                                                           {str(rec, "error"), true}};
        bool first = true;
        for (auto& [cell, text] : cells) {
          if (!first) out << ",";
          first = false;
          out << csv_field(cell, text);
        }
        out << "\r\n";
        break;
      }
    }
  }
  return n;
}

common::Result<uint64_t> show_session(const std::filesystem::path& dir, const std::string& session,
                                      std::ostream& out) {
  auto records = read_records(dir);
  if (!records) return std::unexpected(records.error());
  uint64_t n = 0;
  for (const auto& r : *records) {
    const json& rec = r.record;
    if (!rec.is_object() || str(rec, "session") != session) continue;
    if (n == 0) out << "session " << session << " (" << str(rec, "origin") << ")\n";
    ++n;
    std::string type = str(rec, "type");
    out << str(rec, "time") << "  #" << str(rec, "seq") << "  ";
    const json& principal = sub(rec, "principal");
    if (type == "session.start") {
      const json& client = sub(principal, "client");
      out << "session start: " << str(principal, "subject");
      if (!str(principal, "issuer").empty()) out << " (issuer " << str(principal, "issuer") << ")";
      if (!str(principal, "auth").empty()) out << ", auth " << str(principal, "auth");
      if (client.is_object()) out << ", client " << str(client, "name") << " " << str(client, "version");
      if (!str(rec, "transport").empty()) out << ", transport " << str(rec, "transport");
      if (!str(rec, "remote_address").empty()) out << " from " << str(rec, "remote_address");
    } else if (type == "session.end") {
      out << "session end";
      if (!str(rec, "reason").empty()) out << ": " << str(rec, "reason");
    } else if (type == "call.intent") {
      const json& st = sub(rec, "statement");
      const json& dec = sub(rec, "decision");
      out << "call " << str(rec, "call") << " " << str(rec, "tool") << ": " << str(st, "text");
      if (!str(st, "kind").empty()) out << "  [" << str(st, "kind") << " " << join(sub(st, "tables")) << "]";
      out << "\n" << std::string(32, ' ') << "-> " << str(dec, "action");
      if (!str(dec, "rule").empty()) out << " (rule " << str(dec, "rule") << ")";
      if (!str(dec, "reason").empty()) out << ": " << str(dec, "reason");
    } else if (type == "call.outcome") {
      out << "call " << str(rec, "call") << " " << str(rec, "status");
      if (rec.contains("rows")) out << ": " << str(rec, "rows") << " rows";
      if (rec.contains("affected_rows")) out << ", " << str(rec, "affected_rows") << " affected";
      if (rec.value("truncated", false)) out << " (truncated)";
      std::string masked = join(sub(rec, "masked_columns"), ", ");
      if (!masked.empty()) out << ", masked " << masked;
      if (rec.contains("duration_us")) out << ", " << str(rec, "duration_us") << " us";
      if (!str(rec, "error_class").empty()) out << ", error " << str(rec, "error_class");
      if (!str(rec, "error").empty()) out << ": " << str(rec, "error");
    } else if (type == "approval.request" || type == "approval.decision") {
      out << type << " for call " << str(rec, "call");
      for (const char* k : {"approval", "approver", "decision", "reason", "expires"})
        if (!str(rec, k).empty()) out << ", " << k << " " << str(rec, k);
    } else {
      out << type;
    }
    out << "\n";
  }
  if (n == 0)
    return common::fail(common::ErrorCode::kInvalidInput,
                        "no records for session \"" + session + "\" in " + dir.string());
  return n;
}

}  // namespace sqlguard::recorder
