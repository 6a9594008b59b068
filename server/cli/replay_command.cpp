#include "server/cli/replay_command.h"

#include <iostream>
#include <map>

#include "guard/result_digest.h"
#include "recorder/audit_export.h"
#include "recorder/audit_verify.h"
#include "server/cli/app.h"
#include "server/config/config.h"

namespace sqlguard::server {
namespace {

struct ReplayArgs {
  std::string dir;
  std::string session;
  std::string config;
  std::vector<std::string> pubkeys;
};

policy::Principal principal_from(const nlohmann::json& p) {
  policy::Principal out;
  out.subject = p.value("subject", "");
  out.issuer = p.value("issuer", "");
  out.auth_method = p.value("auth", "");
  if (p.contains("groups") && p["groups"].is_array()) {
    for (const auto& g : p["groups"]) {
      if (g.is_string()) out.groups.push_back(g.get<std::string>());
    }
  }
  if (p.contains("client") && p["client"].is_object()) {
    out.client_name = p["client"].value("name", "");
    out.client_version = p["client"].value("version", "");
  }
  return out;
}

int replay(const ReplayArgs& a) {
  recorder::VerifyOptions vo;
  vo.dir = a.dir;
  for (const auto& k : a.pubkeys) vo.public_keys.emplace_back(k);
  const auto report = recorder::verify_log(vo);
  if (!report.ok()) {
    std::cerr << report.summary() << "\nreplay: refusing to replay a log that does not verify\n";
    return 2;
  }
  auto records = recorder::read_records(a.dir);
  if (!records) {
    std::cerr << "replay: " << records.error().message << "\n";
    return 2;
  }
  // Outcomes by call id, then the session's allowed run_sql intents in log order.
  std::map<std::string, nlohmann::json> outcomes;
  for (const auto& r : *records) {
    if (r.record.value("type", "") == "call.outcome" && r.record.value("session", "") == a.session) {
      outcomes[r.record.value("call", "")] = r.record;
    }
  }
  auto config = load_config(a.config);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return 2;
  }
  auto app = App::create(*config);
  if (!app) {
    std::cerr << "replay: " << app.error().message << "\n";
    return 2;
  }
  size_t total = 0, matched = 0, skipped = 0;
  for (const auto& r : *records) {
    const auto& rec = r.record;
    if (rec.value("type", "") != "call.intent" || rec.value("session", "") != a.session ||
        rec.value("tool", "") != "run_sql") {
      continue;
    }
    const auto decision = rec.value("decision", nlohmann::json::object());
    const std::string call_id = rec.value("call", "");
    const auto out = outcomes.find(call_id);
    if (decision.value("action", "") != "allow" || out == outcomes.end() ||
        out->second.value("status", "") != "ok") {
      ++skipped;
      continue;
    }
    ++total;
    const std::string sql = rec["statement"].value("text", "");
    guard::CallInfo call;
    call.principal = principal_from(rec.value("principal", nlohmann::json::object()));
    call.session_id = "replay-" + a.session;
    call.request_id = call_id;
    call.transport = "replay";
    call.tool = "run_sql";
    auto res = (*app)->guard().run_sql(call, sql, std::nullopt);
    std::cout << "seq " << rec.value("seq", 0) << " call " << call_id << ": ";
    if (!res) {
      std::cout << "NOT REPLAYED: " << res.error().error.message << "\n";
      continue;
    }
    const std::string digest = guard::result_digest(res->result);
    if (digest == out->second.value("result_sha256", "")) {
      ++matched;
      std::cout << "match (" << res->result.rows.size() << " rows)\n";
    } else {
      std::cout << "MISMATCH: recorded " << out->second.value("result_sha256", "") << ", now " << digest
                << "\n";
    }
  }
  std::cout << "audit replay: " << matched << " of " << total << " statements of session " << a.session
            << " match their recorded result digest (" << skipped
            << " not replayed: refused, failed or not run_sql)\n";
  return matched == total ? 0 : 1;
}

}  // namespace

void register_replay_command(CLI::App& audit, int& exit_code) {
  auto args = std::make_shared<ReplayArgs>();
  auto* cmd = audit.add_subcommand(
      "replay", "Re-run a session's allowed statements on a test database and compare result digests");
  cmd->add_option("dir", args->dir, "Audit log directory")->required();
  cmd->add_option("--session", args->session, "Session id")->required();
  cmd->add_option("--config", args->config,
                  "Configuration of the test database (its own audit dir records the replay)")
      ->required();
  cmd->add_option("--pubkey", args->pubkeys, "Pinned public key (vkey file) for verifying the log first");
  cmd->callback([args, &exit_code] { exit_code = replay(*args); });
}

}  // namespace sqlguard::server
