#include "server/admin/approvals_http.h"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include "common/time.h"
#include "policy/principal_spec.h"
#include "server/admin/loopback_reviewer.h"
#include "server/mcp/http_transport.h"

// Same CPPHTTPLIB_* defines as the library (pkg-config Cflags); see http_transport.cpp.
#include <httplib.h>

namespace sqlguard::server {
namespace {

using approvals::ApprovalError;
using nlohmann::json;

json vote_json(const approvals::ApprovalVote& v) {
  return {{"reviewer", v.reviewer}, {"comment", v.comment}, {"at", common::rfc3339_ms(v.at_ms)}};
}

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
  reply(res, status, json{{"error", message}});
}

class Routes {
 public:
  Routes(approvals::ApprovalService& service, Authenticator* auth, ApprovalsHttpOptions options)
      : service_(service), auth_(auth), options_(std::move(options)) {}

  /// The reviewer or nullopt after replying 401/403/400.
  std::optional<policy::Principal> authenticate(const httplib::Request& req, httplib::Response& res) const {
    auto who = api_caller(req, auth_, options_.trust_loopback_reviewer_header, options_.allowed_hosts,
                          "approvals API");
    if (!who) {
      if (!who.error().www_authenticate.empty())
        res.set_header("WWW-Authenticate", who.error().www_authenticate);
      reply_error(res, who.error().status, who.error().message);
      return std::nullopt;
    }
    return std::move(*who);
  }

  bool may_see(const policy::Principal& who, const approvals::ApprovalRequest& r) const {
    return service_.is_reviewer_for(who, r) || service_.is_reviewer(who) ||
           (who.subject == r.principal.subject && who.issuer == r.principal.issuer);
  }

  void list(const httplib::Request& req, httplib::Response& res) const {
    auto who = authenticate(req, res);
    if (!who) return;
    std::optional<approvals::ApprovalState> state = approvals::ApprovalState::kPending;
    if (req.has_param("state")) {
      const std::string s = req.get_param_value("state");
      if (s == "all") {
        state.reset();
      } else if (auto st = approvals::approval_state_from_string(s)) {
        state = *st;
      } else {
        reply_error(res, 400, "state must be pending, approved, denied, expired, used or all");
        return;
      }
    }
    auto all = service_.list(state, 500);
    if (!all) {
      reply_error(res, http_status(all.error()), all.error().message);
      return;
    }
    json out = json::array();
    for (const auto& r : *all) {
      if (may_see(*who, r)) out.push_back(approval_json(r));
    }
    reply(res, 200, json{{"approvals", std::move(out)}});
  }

  void show(const httplib::Request& req, httplib::Response& res) const {
    auto who = authenticate(req, res);
    if (!who) return;
    auto r = service_.get(req.matches[1].str());
    if (!r) {
      reply_error(res, http_status(r.error()), r.error().message);
      return;
    }
    if (!may_see(*who, *r)) {
      reply_error(res, 404, "no approval request '" + r->id + "'");
      return;
    }
    reply(res, 200, approval_json(*r));
  }

  void decide(const httplib::Request& req, httplib::Response& res, bool approve) const {
    auto who = authenticate(req, res);
    if (!who) return;
    if (req.body.size() > options_.max_body_bytes) {
      reply_error(res, 400, "request body too large");
      return;
    }
    std::string comment;
    if (req.body.find_first_not_of(" \t\r\n") != std::string::npos) {
      const json body = json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object()) {
        reply_error(res, 400, "expected a JSON object {\"comment\": \"...\"}");
        return;
      }
      for (const auto& [key, value] : body.items()) {
        if (key != "comment") {
          reply_error(res, 400, "unknown field '" + key + "' (expected: comment)");
          return;
        }
        if (!value.is_string()) {
          reply_error(res, 400, "comment must be a string");
          return;
        }
        comment = value.get<std::string>();
      }
    }
    const std::string id = req.matches[1].str();
    auto r = approve ? service_.approve(id, *who, comment) : service_.deny(id, *who, comment);
    if (!r) {
      reply_error(res, http_status(r.error()), r.error().message);
      return;
    }
    reply(res, 200, approval_json(*r));
  }

  void whoami(const httplib::Request& req, httplib::Response& res) const {
    auto who = authenticate(req, res);
    if (!who) return;
    reply(res, 200,
          json{{"subject", who->subject}, {"groups", who->groups}, {"reviewer", service_.is_reviewer(*who)}});
  }

 private:
  approvals::ApprovalService& service_;
  Authenticator* auth_;
  ApprovalsHttpOptions options_;
};

/// Runs a handler, turning any exception (a bug) into a 500 without details.
template <typename F>
auto guarded(F f) {
  return [f = std::move(f)](const httplib::Request& req, httplib::Response& res) {
    try {
      f(req, res);
    } catch (const std::exception& e) {
      spdlog::error("approvals API: {}", e.what());
      reply_error(res, 500, "internal error");
    }
  };
}

}  // namespace

json approval_json(const approvals::ApprovalRequest& r) {
  json approvals = json::array();
  for (const auto& v : r.approvals) approvals.push_back(vote_json(v));
  return {{"id", r.id},
          {"state", std::string(approvals::to_string(r.state))},
          {"principal",
           {{"subject", r.principal.subject},
            {"groups", r.principal.groups},
            {"client", r.principal.client_name}}},
          {"statement", r.statement},
          {"sha256", r.sha256},
          {"kind", r.kind},
          {"tables", r.tables},
          {"schema", r.schema},
          {"rule", r.rule},
          {"reason", r.reason},
          {"created_at", common::rfc3339_ms(r.created_ms)},
          {"expires_at", common::rfc3339_ms(r.expires_ms)},
          {"approvals_required", r.approvals_required},
          {"approver_groups", r.approver_groups},
          {"approvals", std::move(approvals)},
          {"denial", r.denial ? vote_json(*r.denial) : json(nullptr)}};
}

int http_status(const approvals::ApprovalError& error) {
  switch (error.code) {
    case ApprovalError::Code::kNotFound: return 404;
    case ApprovalError::Code::kForbidden: return 403;
    case ApprovalError::Code::kConflict: return 409;
    case ApprovalError::Code::kInvalid: return 400;
    case ApprovalError::Code::kStore: return 503;
  }
  return 500;
}

void register_approval_routes(httplib::Server& server, approvals::ApprovalService& service,
                              Authenticator* auth, const ApprovalsHttpOptions& options) {
  auto routes = std::make_shared<Routes>(service, auth, options);
  server.Get("/api/approvals", guarded([routes](const auto& req, auto& res) { routes->list(req, res); }));
  server.Get(R"(/api/approvals/([A-Za-z0-9_-]{1,64}))",
             guarded([routes](const auto& req, auto& res) { routes->show(req, res); }));
  server.Post(R"(/api/approvals/([A-Za-z0-9_-]{1,64})/approve)",
              guarded([routes](const auto& req, auto& res) { routes->decide(req, res, true); }));
  server.Post(R"(/api/approvals/([A-Za-z0-9_-]{1,64})/deny)",
              guarded([routes](const auto& req, auto& res) { routes->decide(req, res, false); }));
  server.Get("/api/whoami", guarded([routes](const auto& req, auto& res) { routes->whoami(req, res); }));
}

WebhookNotifier::WebhookNotifier(std::string url) {
  const auto scheme_end = url.find("://");
  const auto path_start = scheme_end == std::string::npos ? std::string::npos : url.find('/', scheme_end + 3);
  base_ = path_start == std::string::npos ? url : url.substr(0, path_start);
  path_ = path_start == std::string::npos ? "/" : url.substr(path_start);
}

std::string WebhookNotifier::message(const approvals::ApprovalRequest& r) {
  std::string statement = r.statement;
  if (statement.size() > 500) statement = statement.substr(0, 500) + "…";
  std::string tables;
  for (const auto& t : r.tables) tables += (tables.empty() ? "" : ", ") + t;
  std::string text = "sqlguard: approval " + r.id + " requested by " + r.principal.subject;
  if (!r.principal.client_name.empty()) text += " (" + r.principal.client_name + ")";
  text += " under rule " + r.rule + ": " + r.kind + (tables.empty() ? "" : " on " + tables) + "\n```" +
          statement + "```\n" + std::to_string(r.approvals_required) + " approval(s) needed; expires " +
          common::rfc3339_ms(r.expires_ms) + ". Decide: sqlguard approvals approve|deny " + r.id;
  return text;
}

bool WebhookNotifier::announce(const approvals::ApprovalRequest& r) const {
  try {
    httplib::Client client(base_);
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(3, 0);
    client.set_write_timeout(3, 0);
    const json body = {{"text", message(r)}};
    auto res =
        client.Post(path_, body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
    if (!res) {
      spdlog::warn("approvals webhook: {}: {}", base_, httplib::to_string(res.error()));
      return false;
    }
    if (res->status < 200 || res->status >= 300) {
      spdlog::warn("approvals webhook: {} answered {}", base_, res->status);
      return false;
    }
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("approvals webhook: {}", e.what());
    return false;
  }
}

}  // namespace sqlguard::server
