#include "server/admin/console_http.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

#include "policy/principal_spec.h"
#include "recorder/audit_export.h"
#include "recorder/audit_verify.h"
#include "server/admin/console_assets.h"
#include "server/admin/loopback_reviewer.h"
#include "server/mcp/http_transport.h"

// Same rule as server/mcp/http_transport.cpp: Debian's cpp-httplib is a compiled library, and every
// translation unit including httplib.h must see its CPPHTTPLIB_* definitions (pkg-config Cflags).
#if defined(CPPHTTPLIB_OPENSSL_SUPPORT)
#include <httplib.h>
#define SQLGUARD_HAVE_HTTPLIB 1
#endif

namespace sqlguard::server {

using nlohmann::json;

namespace {

std::string str(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

const json& sub(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

}  // namespace

json summarize_sessions(const std::vector<json>& records, std::size_t limit) {
  struct Summary {
    json row;
    std::set<std::string> refused_calls;
    std::size_t first_index = 0;
  };
  std::map<std::string, Summary> sessions;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const json& rec = records[i];
    const std::string id = str(rec, "session");
    if (id.empty()) continue;
    auto [it, inserted] = sessions.try_emplace(id);
    Summary& s = it->second;
    if (inserted) {
      s.first_index = i;
      s.row = {{"session", id},
               {"subject", ""},
               {"client", ""},
               {"transport", ""},
               {"started", str(rec, "time")},
               {"ended", nullptr},
               {"calls", 0},
               {"refusals", 0}};
    }
    const std::string type = str(rec, "type");
    const json& principal = sub(rec, "principal");
    if (principal.is_object() && s.row["subject"].get<std::string>().empty()) {
      s.row["subject"] = str(principal, "subject");
      const json& client = sub(principal, "client");
      std::string name = str(client, "name");
      if (!str(client, "version").empty()) name += " " + str(client, "version");
      s.row["client"] = name;
    }
    if (s.row["transport"].get<std::string>().empty() && !str(rec, "transport").empty()) {
      s.row["transport"] = str(rec, "transport");
    }
    if (type == "session.start") {
      s.row["started"] = str(rec, "time");
    } else if (type == "session.end") {
      s.row["ended"] = str(rec, "time");
    } else if (type == "call.intent") {
      s.row["calls"] = s.row["calls"].get<int64_t>() + 1;
      if (str(sub(rec, "decision"), "action") == "deny") s.refused_calls.insert(str(rec, "call"));
    } else if (type == "call.outcome") {
      if (str(rec, "status") == "refused") s.refused_calls.insert(str(rec, "call"));
    }
  }
  std::vector<Summary*> order;
  order.reserve(sessions.size());
  for (auto& [id, s] : sessions) {
    s.row["refusals"] = s.refused_calls.size();
    order.push_back(&s);
  }
  // Newest first: by start time (RFC 3339 UTC in one fixed format sorts lexically), then by
  // position in the log.
  std::sort(order.begin(), order.end(), [](const Summary* a, const Summary* b) {
    const auto& ta = a->row["started"].get_ref<const std::string&>();
    const auto& tb = b->row["started"].get_ref<const std::string&>();
    if (ta != tb) return ta > tb;
    return a->first_index > b->first_index;
  });
  json out = json::array();
  for (std::size_t i = 0; i < order.size() && i < limit; ++i) out.push_back(std::move(order[i]->row));
  return out;
}

#if defined(SQLGUARD_HAVE_HTTPLIB)

namespace {

// `default-src 'self'` forbids inline scripts and styles, other origins and plugins; the rest
// closes what default-src does not cover.
constexpr const char* kCsp =
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'";
constexpr const char* kJsonContentType = "application/json";

void security_headers(httplib::Response& res) {
  res.set_header("Content-Security-Policy", kCsp);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
}

void reply_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), kJsonContentType);
}

void reply_console_error(httplib::Response& res, int status, std::string message) {
  reply_json(res, status, json{{"error", std::move(message)}});
}

std::string_view asset_view(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

class ConsoleRoutes {
 public:
  ConsoleRoutes(ConsoleOptions options, Authenticator* auth) : options_(std::move(options)), auth_(auth) {
    if (options_.auditor_groups.empty()) options_.auditor_groups = options_.reviewer_groups;
  }

  void register_on(httplib::Server& server, const std::shared_ptr<ConsoleRoutes>& self) {
    auto asset = [self](std::string_view body, const char* type) {
      return [self, body, type](const httplib::Request& req, httplib::Response& res) {
        security_headers(res);
        if (!self->filter(req, res)) return;
        res.set_header("Cache-Control", "no-cache");
        res.set_content(body.data(), body.size(), type);
      };
    };
    const auto index = asset(asset_view(console_assets::index_html, console_assets::index_html_size),
                             "text/html; charset=utf-8");
    server.Get("/console", index);
    server.Get("/console/", index);
    server.Get("/console/index\\.html", index);
    server.Get("/console/app\\.js", asset(asset_view(console_assets::app_js, console_assets::app_js_size),
                                          "text/javascript; charset=utf-8"));
    server.Get("/console/app\\.css", asset(asset_view(console_assets::app_css, console_assets::app_css_size),
                                           "text/css; charset=utf-8"));
    server.Get("/api/audit/sessions", [self](const httplib::Request& req, httplib::Response& res) {
      if (self->admit(req, res)) self->sessions(req, res);
    });
    server.Get(R"(/api/audit/sessions/([^/]+))", [self](const httplib::Request& req, httplib::Response& res) {
      if (self->admit(req, res)) self->session(req, res);
    });
    server.Get("/api/audit/verify", [self](const httplib::Request& req, httplib::Response& res) {
      if (self->admit(req, res)) self->verify(res);
    });
  }

 private:
  bool filter(const httplib::Request& req, httplib::Response& res) const {
    if (!options_.request_filter) return true;
    try {
      return options_.request_filter(req, res);
    } catch (...) {
      reply_console_error(res, 500, "internal error");
      return false;
    }
  }

  // Authentication, then authorization (auditor groups). Fills `res` and returns false when
  // the request may not proceed.
  bool admit(const httplib::Request& req, httplib::Response& res) const {
    security_headers(res);
    if (!filter(req, res)) return false;
    auto caller =
        api_caller(req, auth_, options_.trust_loopback_reviewer_header, options_.allowed_hosts, "audit API");
    if (!caller) {
      if (!caller.error().www_authenticate.empty())
        res.set_header("WWW-Authenticate", caller.error().www_authenticate);
      reply_console_error(res, caller.error().status, caller.error().message);
      return false;
    }
    const policy::Principal& principal = *caller;
    for (const auto& group : options_.auditor_groups) {
      if (principal.in_group(group)) return true;
    }
    reply_console_error(res, 403,
                        "forbidden: " + principal.subject + " is not in an auditor or reviewer group");
    return false;
  }

  common::Result<std::vector<json>> load() const {
    auto stored = recorder::read_records(options_.audit_dir);
    if (!stored) return std::unexpected(stored.error());
    std::vector<json> records;
    records.reserve(stored->size());
    for (auto& r : *stored) {
      if (r.record.is_object()) records.push_back(std::move(r.record));
    }
    return records;
  }

  void sessions(const httplib::Request& req, httplib::Response& res) const {
    std::size_t limit = 100;
    if (req.has_param("limit")) {
      const std::string value = req.get_param_value("limit");
      std::size_t parsed = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
      if (ec != std::errc() || end != value.data() + value.size() || parsed == 0 || parsed > 1000) {
        reply_console_error(res, 400, "limit must be an integer from 1 to 1000");
        return;
      }
      limit = parsed;
    }
    auto records = load();
    if (!records) {
      spdlog::warn("console: cannot read the audit log: {}", records.error().message);
      reply_console_error(res, 503, "cannot read the audit log");
      return;
    }
    reply_json(res, 200, json{{"sessions", summarize_sessions(*records, limit)}});
  }

  void session(const httplib::Request& req, httplib::Response& res) const {
    const std::string id = req.matches.size() > 1 ? std::string(req.matches[1]) : std::string();
    auto records = load();
    if (!records) {
      spdlog::warn("console: cannot read the audit log: {}", records.error().message);
      reply_console_error(res, 503, "cannot read the audit log");
      return;
    }
    json out = json::array();
    bool truncated = false;
    for (auto& rec : *records) {
      if (str(rec, "session") != id) continue;
      if (out.size() >= options_.max_session_records) {
        truncated = true;
        break;
      }
      out.push_back(std::move(rec));
    }
    if (out.empty()) {
      reply_console_error(res, 404, "no records of that session in the audit log");
      return;
    }
    reply_json(res, 200, json{{"session", id}, {"records", std::move(out)}, {"truncated", truncated}});
  }

  void verify(httplib::Response& res) const {
    recorder::VerifyOptions vo;
    vo.dir = options_.audit_dir;
    vo.public_keys = options_.audit_public_keys;
    vo.external_checkpoints = options_.audit_external_checkpoints;
    recorder::VerifyReport report;
    {
      // One verification at a time: it reads and hashes the whole log.
      std::lock_guard lock(verify_mutex_);
      report = recorder::verify_log(vo);
    }
    json failure = nullptr;
    if (report.failure) {
      failure = {{"seq", report.failure->seq ? json(*report.failure->seq) : json(nullptr)},
                 {"segment", report.failure->segment},
                 {"line", report.failure->line},
                 {"message", report.failure->message}};
    }
    reply_json(res, 200,
               json{{"ok", report.ok()},
                    {"summary", report.summary()},
                    {"records", report.records},
                    {"segments", report.segments},
                    {"checkpoints", report.checkpoints_verified},
                    {"latest_checkpoint_size", report.latest_checkpoint_size},
                    {"latest_signer", report.latest_signer},
                    {"origin", report.origin},
                    {"warnings", report.warnings},
                    {"failure", std::move(failure)}});
  }

  ConsoleOptions options_;
  Authenticator* auth_;
  mutable std::mutex verify_mutex_;
};

}  // namespace

void register_console_routes(httplib::Server& server, ConsoleOptions options, Authenticator* auth) {
  auto routes = std::make_shared<ConsoleRoutes>(std::move(options), auth);
  routes->register_on(server, routes);
}

#else

void register_console_routes(httplib::Server&, ConsoleOptions, Authenticator*) {}

#endif

}  // namespace sqlguard::server
