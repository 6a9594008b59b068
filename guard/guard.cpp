#include "guard/guard.h"

#include "guard/audit_events.h"
#include "guard/result_digest.h"
#include "policy/catalog_resolution.h"
#include "policy/session_effects.h"
#include "recorder/record_types.h"

#include "common/bytes.h"
#include "common/random.h"
#include "common/time.h"
#include "db/sql_literal.h"

#include <chrono>
#include <mutex>

#include <re2/re2.h>
#include <spdlog/spdlog.h>

namespace sqlguard::guard {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t micros_since(Clock::time_point t0) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
}

const RE2& identifier_re() {
  // Unquoted identifiers only: letters, digits, '_' and '$', 1-64 characters.
  static const RE2 re("[A-Za-z0-9_$]{1,64}");
  return re;
}

}  // namespace

Guard::Guard(const policy::StatementAnalyzer& analyzer, const policy::PolicyEngine& policy,
             std::shared_ptr<const policy::MaskingEngine> masking, recorder::AuditLog& audit,
             db::ConnectionSource& connections, const db::CredentialVault& vault, GuardOptions options,
             approvals::ApprovalService* approvals, CatalogSource* catalog)
    : analyzer_(analyzer),
      policy_(policy),
      masking_(std::move(masking)),
      audit_(audit),
      pool_(connections),
      vault_(vault),
      options_(options),
      approvals_(approvals),
      default_schema_(connections.default_schema()),
      catalog_(catalog != nullptr ? *catalog : own_catalog_) {
  // Call ids must not repeat across instances writing to one log: never a fixed prefix.
  auto instance = common::random_hex_id("", 6);
  if (!instance) throw std::runtime_error("cannot start the guard: " + instance.error().message);
  instance_ = std::move(*instance);
}

Guard::~Guard() {
  if (has_deferred_) append_deferred_outcomes();
  if (size_t left = deferred_outcomes())
    spdlog::error("{} outcome record(s) could not be written to the audit log before shutdown", left);
}

std::string Guard::next_call_id() { return instance_ + "-" + std::to_string(call_counter_.fetch_add(1) + 1); }

std::string Guard::safe(std::string message) const { return vault_.scrub(std::move(message)); }

size_t Guard::deferred_outcomes() const {
  std::lock_guard lock(deferred_mu_);
  return deferred_outcomes_.size();
}

void Guard::append_deferred_outcomes() {
  if (!audit_.healthy()) return;
  std::lock_guard lock(deferred_mu_);
  while (!deferred_outcomes_.empty()) {
    if (!audit_.append(deferred_outcomes_.front())) return;  // failed again: keep them
    deferred_outcomes_.pop_front();
  }
  has_deferred_ = false;
}

common::Error Guard::audit_failure() const {
  return common::Error{
      common::ErrorCode::kAuditFailure,
      "refused: the audit log cannot record right now, so nothing runs (" + audit_.reason() + ")"};
}

std::expected<void, common::Error> Guard::record(const nlohmann::json& event, bool durable) {
  if (has_deferred_) append_deferred_outcomes();
  if (auto r = durable ? audit_.append(event) : audit_.append_async(event); !r) {
    spdlog::error("audit log append failed: {}", r.error().message);
    return std::unexpected(audit_failure());
  }
  return {};
}

std::expected<void, common::Error> Guard::record(audit::CallOutcome outcome) {
  if (has_deferred_) append_deferred_outcomes();
  auto r = options_.durability == Durability::kIntent ? audit_.append_async(outcome.to_json())
                                                      : audit_.append(outcome.to_json());
  if (r) return {};
  spdlog::error("audit log append failed: {}", r.error().message);
  // The intent is on disk, so the statement may have run: its outcome must follow it, late.
  outcome.late_reason = r.error().message;
  std::lock_guard lock(deferred_mu_);
  if (deferred_outcomes_.size() < kMaxDeferredOutcomes) {
    deferred_outcomes_.push_back(outcome.to_json());
    has_deferred_ = true;
  } else {
    spdlog::error("outcome of call {} dropped: {} outcomes already wait for the audit log", outcome.call,
                  kMaxDeferredOutcomes);
  }
  return std::unexpected(audit_failure());
}

bool Guard::audit_healthy(std::string* reason) const {
  if (audit_.healthy()) return true;
  if (reason) *reason = audit_.reason();
  return false;
}

audit::CallIntent Guard::intent_for(const CallInfo& call, const std::string& call_id) const {
  audit::CallIntent intent;
  intent.session = call.session_id;
  intent.call = call_id;
  intent.request_id = call.request_id;
  intent.tool = call.tool;
  intent.transport = call.transport;
  intent.principal = &call.principal;
  return intent;
}

audit::CallOutcome Guard::outcome_for(const CallInfo& call, const std::string& call_id, std::string status,
                                      Clock::time_point t0) const {
  audit::CallOutcome outcome;
  outcome.session = call.session_id;
  outcome.call = call_id;
  outcome.status = std::move(status);
  outcome.duration_us = micros_since(t0);
  return outcome;
}

SqlFailure Guard::stop_recorded(const CallInfo& call, audit::CallIntent& intent,
                                const policy::Decision& decision, common::Error error, std::string status,
                                std::string error_class, Clock::time_point t0) {
  intent.decision = decision;
  error.message = safe(std::move(error.message));
  if (auto r = record(intent.to_json()); !r) return SqlFailure{intent.call, r.error(), decision};
  audit::CallOutcome outcome = outcome_for(call, intent.call, std::move(status), t0);
  outcome.error_class = std::move(error_class);
  if (error.code != common::ErrorCode::kRefused) outcome.error = error.message;
  if (intent.approval) outcome.approval = intent.approval->id;
  if (auto r = record(std::move(outcome)); !r) return SqlFailure{intent.call, r.error(), decision};
  return SqlFailure{intent.call, std::move(error), decision};
}

SqlFailure Guard::refuse(const CallInfo& call, audit::CallIntent& intent, const policy::Decision& decision,
                         Clock::time_point t0) {
  const bool prefixed = decision.reason.rfind("statement refused", 0) == 0;
  return stop_recorded(call, intent, decision,
                       common::Error{common::ErrorCode::kRefused,
                                     prefixed ? decision.reason : "statement refused: " + decision.reason},
                       "refused", "refused", t0);
}

SqlFailure Guard::fail_unavailable(const CallInfo& call, audit::CallIntent& intent,
                                   const policy::Decision& decision, const common::Error& error,
                                   Clock::time_point t0) {
  return stop_recorded(call, intent, decision, error, "error", std::string(common::to_string(error.code)),
                       t0);
}

policy::Decision Guard::overridden(const policy::Decision& decision, std::string rule, std::string reason) {
  policy::Decision d = decision;
  d.action = policy::Action::kDeny;
  if (!rule.empty()) d.rule = std::move(rule);
  d.reason = std::move(reason);
  return d;
}

std::expected<SqlOutcome, SqlFailure> Guard::run_sql(const CallInfo& call, const std::string& sql,
                                                     std::optional<uint64_t> max_rows) {
  const auto t0 = Clock::now();
  const std::string call_id = next_call_id();
  // Refusals before anything is recorded name no audit call: there is no record to point to.
  if (!audit_.healthy()) {
    audit_.note_refusal();
    return std::unexpected(SqlFailure{"", audit_failure(), std::nullopt});
  }
  if (sql.size() > options_.max_sql_bytes) {
    return std::unexpected(SqlFailure{"",
                                      common::Error{common::ErrorCode::kInvalidInput,
                                                    "refused: the statement is longer than " +
                                                        std::to_string(options_.max_sql_bytes) + " bytes"},
                                      std::nullopt});
  }

  // 1-2. Analyse, complete the analysis from the catalog (views, sequences), decide.
  policy::StatementAnalysis analysis = analyzer_.analyze(sql, call_schema(call));
  std::optional<common::Error> catalog_unavailable;
  std::string catalog_error;
  {
    CallCatalog lookups(catalog_, pool_);
    if (auto r = policy::resolve_with_catalog(analysis, lookups, analyzer_); !r) {
      catalog_error = r.error().message;
      catalog_unavailable = lookups.unavailable();
    }
  }
  const policy::Decision decision = policy_.decide(call.principal, analysis);
  audit::CallIntent intent = intent_for(call, call_id);
  intent.analysis = &analysis;
  intent.statement_text = sql;
  intent.statement_sha256 = common::sha256_base64(sql);
  intent.schema = call.schema;

  if (decision.action == policy::Action::kDeny) return std::unexpected(refuse(call, intent, decision, t0));
  if (!catalog_error.empty()) {
    // The database is down: the same answer as when no connection can be had to run it.
    if (catalog_unavailable)
      return std::unexpected(fail_unavailable(call, intent, decision, *catalog_unavailable, t0));
    return std::unexpected(refuse(
        call, intent, overridden(decision, "builtin:catalog", "statement refused: " + catalog_error), t0));
  }

  // 3. Approval, when a rule holds the statement for one.
  std::optional<approvals::ApprovalRequest> approval;
  if (decision.action == policy::Action::kApprove) {
    if (approvals_ == nullptr) {
      return std::unexpected(
          refuse(call, intent,
                 overridden(decision, "",
                            decision.reason + "; this statement needs approval (rule " + decision.rule +
                                ") and approvals are not enabled on this server"),
                 t0));
    }
    auto approved = await_approval(call, sql, analysis, decision, intent, t0);
    if (!approved) return std::unexpected(approved.error());
    approval = std::move(*approved);
  }

  // 4. A connection, then the masking plan (it may need the catalog to expand '*').
  auto lease = pool_.acquire();
  if (!lease) return std::unexpected(fail_unavailable(call, intent, decision, lease.error(), t0));
  CallCatalog catalog(catalog_, **lease);
  auto plan = masking_->plan(call.principal, analysis, catalog);
  if (!plan)
    return std::unexpected(refuse(call, intent, overridden(decision, "masking", plan.error().message), t0));

  // 5. Consume the approval (exactly one call wins it), then the intent on disk before anything
  // executes.
  if (approval) {
    auto used = approvals_->consume(approval->id, call.principal, intent.statement_sha256);
    if (!used) {
      SqlFailure f =
          refuse(call, intent, overridden(decision, "", "statement refused: " + used.error().message), t0);
      f.approval = HeldApproval{approval->id, approvals::ApprovalState::kUsed, "", ""};
      return std::unexpected(std::move(f));
    }
    std::vector<std::string> approvers;
    for (const auto& v : used->approvals) approvers.push_back(v.reviewer);
    intent.approval = audit::CallIntent::Approval{used->id, std::nullopt, std::move(approvers)};
  }
  intent.decision = decision;
  intent.masking_exemptions = plan->exemptions_used;
  if (auto r = record(intent.to_json()); !r) return std::unexpected(SqlFailure{call_id, r.error(), decision});

  // 6. Execute with the decision's limits; a cancelled call kills its statement server-side.
  auto result = execute(call, sql, analysis, decision, max_rows, lease);
  lease = std::unexpected(common::Error{});  // return the connection before recording

  audit::CallOutcome outcome = outcome_for(call, call_id, "error", t0);
  if (!result) {
    common::Error err = std::move(result.error());
    // Database messages can echo values ("Duplicate entry '...'", conversion warnings): when
    // masked columns may be involved, only the error number is passed on.
    if (err.code == common::ErrorCode::kDatabase) {
      err.message =
          masking_->sanitize_error_message(call.principal, *plan, err.db_errno, err.sqlstate, err.message);
    }
    err.message = safe(std::move(err.message));
    outcome.error_class = std::string(to_string(err.code));
    outcome.error = err.message;
    outcome.db_errno = err.db_errno;
    outcome.duration_us = micros_since(t0);
    if (auto r = record(std::move(outcome)); !r)
      return std::unexpected(SqlFailure{call_id, r.error(), decision});
    return std::unexpected(SqlFailure{call_id, std::move(err), decision});
  }

  // 7. Withhold the listing rows of tables the principal may not read, then mask; a masking
  // failure withholds the whole result.
  common::ResultSet rs = std::move(*result);
  const uint64_t withheld_rows = withhold_unreadable_tables(call, analysis, rs);
  auto report = masking_->apply(call.principal, *plan, rs);
  if (!report) {
    outcome.error_class = "refused";
    outcome.error = safe(report.error().message);
    outcome.duration_us = micros_since(t0);
    (void)record(std::move(outcome));
    return std::unexpected(
        SqlFailure{call_id,
                   common::Error{common::ErrorCode::kRefused,
                                 safe("refused: result withheld: " + report.error().message)},
                   decision});
  }

  // 8. Outcome on disk before the result is returned.
  SqlOutcome out;
  out.call_id = call_id;
  if (approval) out.approval_id = approval->id;
  out.kind = analysis.kind;
  out.decision = decision;
  out.masked_columns = report->masked_columns;
  out.masking_exemptions = report->exemptions_used;
  outcome.status = "ok";
  outcome.rows = rs.rows.size();
  audit::CallOutcome::Result recorded;
  recorded.affected_rows = rs.affected_rows;
  recorded.truncated = rs.truncated;
  for (const auto& c : rs.columns) recorded.columns.emplace_back(c.name, c.type_name);
  recorded.masked_columns = report->masked_columns;
  recorded.result_sha256 = result_digest(rs);
  recorded.detector_hits = report->detector_hits;
  recorded.withheld_rows = withheld_rows;
  recorded.masking_exemptions = report->exemptions_used;
  if (options_.record_results && rs.has_result_set) {
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < rs.rows.size() && i < options_.record_results_max_rows; ++i) {
      nlohmann::json row = nlohmann::json::array();
      for (const auto& cell : rs.rows[i]) row.push_back(cell ? nlohmann::json(*cell) : nlohmann::json());
      rows.push_back(std::move(row));
    }
    recorded.result_rows = std::move(rows);
  }
  outcome.result = std::move(recorded);
  out.duration_us = micros_since(t0);
  outcome.duration_us = out.duration_us;
  if (auto r = record(std::move(outcome)); !r)
    return std::unexpected(SqlFailure{call_id, r.error(), decision});
  out.result = std::move(rs);
  return out;
}

common::Result<common::ResultSet> Guard::execute(const CallInfo& call, const std::string& sql,
                                                 const policy::StatementAnalysis& analysis,
                                                 const policy::Decision& decision,
                                                 std::optional<uint64_t> max_rows,
                                                 common::Result<db::ConnectionSource::Lease>& lease) {
  db::ExecuteOptions exec;
  exec.max_rows = decision.limits.max_rows;
  if (max_rows && *max_rows > 0) exec.max_rows = std::min(exec.max_rows, *max_rows);
  exec.max_result_bytes = decision.limits.max_result_bytes;
  exec.timeout_ms = decision.limits.timeout_ms;
  exec.read_only = decision.read_only;
  const policy::SessionEffects effects = policy::session_effects(analysis);
  exec.leaves_session_unchanged = effects.leaves_session_unchanged;
  exec.ignores_session_residue = effects.ignores_session_residue;
  exec.schema = call.schema;
  if (call.cancel.stop_requested()) {
    return std::unexpected(
        common::Error{common::ErrorCode::kCancelled, "the call was cancelled before it ran"});
  }
  auto run_once = [&]() {
    const uint64_t thread_id = (*lease)->thread_id();
    std::stop_callback on_cancel(call.cancel, [this, thread_id] { pool_.kill_query(thread_id); });
    return (*lease)->execute(sql, exec);
  };
  auto result = run_once();
  if (!result && result.error().before_statement) {
    // The pooled connection was dead (server restart): nothing ran; once more on a new one.
    lease = pool_.acquire();
    result = lease ? run_once() : std::unexpected(lease.error());
  }
  if (!result && call.cancel.stop_requested()) {
    return std::unexpected(common::Error{common::ErrorCode::kCancelled, "the call was cancelled"});
  }
  return result;
}

std::expected<approvals::ApprovalRequest, SqlFailure> Guard::await_approval(
    const CallInfo& call, const std::string& sql, const policy::StatementAnalysis& analysis,
    const policy::Decision& decision, audit::CallIntent& intent, Clock::time_point t0) {
  // Records the call as held or refused (intent + outcome) and builds the agent's failure.
  auto stop = [&](const approvals::ApprovalRequest* r, std::string error_class,
                  std::string message) -> SqlFailure {
    if (r)
      intent.approval = audit::CallIntent::Approval{r->id, std::string(to_string(r->state)), std::nullopt};
    SqlFailure failure =
        stop_recorded(call, intent, decision, common::Error{common::ErrorCode::kRefused, message}, "refused",
                      std::move(error_class), t0);
    if (r) {
      HeldApproval held{r->id, r->state, "", ""};
      if (r->denial) {
        held.reviewer = r->denial->reviewer;
        held.comment = r->denial->comment;
      }
      failure.approval = std::move(held);
    }
    return failure;
  };
  auto store_failure = [&](const approvals::ApprovalError& e) {
    return std::unexpected(stop(nullptr, "refused",
                                "statement refused: it needs approval (rule " + decision.rule +
                                    ") and the approval store cannot be used right now (" + e.message + ")"));
  };

  approvals::ApprovalRequest request;
  if (!call.approval_id.empty()) {
    auto got = approvals_->get(call.approval_id);
    if (!got) {
      if (got.error().code != approvals::ApprovalError::Code::kNotFound) return store_failure(got.error());
      return std::unexpected(stop(nullptr, "refused",
                                  "statement refused: there is no approval request '" + call.approval_id +
                                      "'; call run_sql without approval_id to request approval"));
    }
    if (got->principal.subject != call.principal.subject || got->principal.issuer != call.principal.issuer ||
        got->sha256 != intent.statement_sha256 || got->schema != call.schema) {
      return std::unexpected(
          stop(nullptr, "refused",
               "statement refused: approval " + got->id +
                   " was requested for a different statement, schema or principal; an approval "
                   "only runs the exact sql it was granted for (call run_sql without "
                   "approval_id to request approval for this statement)"));
    }
    request = std::move(*got);
  } else {
    std::expected<std::optional<approvals::ApprovalRequest>, approvals::ApprovalError> open;
    if (call.reuse_held_approval)
      open = approvals_->find_open(call.principal, intent.statement_sha256, call.schema);
    if (!open) return store_failure(open.error());
    if (*open) request = std::move(**open);
  }
  if (request.id.empty()) {
    approvals::NewApproval n;
    n.principal = call.principal;
    n.session_id = call.session_id;
    n.call_id = intent.call;
    n.statement = sql;
    n.sha256 = intent.statement_sha256;
    n.kind = std::string(policy::to_string(analysis.kind));
    n.tables = audit::statement_tables(analysis);
    n.schema = call.schema;
    n.rule = decision.rule;
    n.reason = decision.reason;
    n.approver_groups = decision.approver_groups;
    n.approvals_required = std::max<uint32_t>(1, decision.approvals_required);
    auto created = approvals_->create(n);
    if (!created) return store_failure(created.error());
    request = std::move(*created);
  }

  if (request.state == approvals::ApprovalState::kPending) {
    auto waited = approvals_->wait(request.id, call.cancel, call.progress);
    if (!waited) return store_failure(waited.error());
    request = std::move(*waited);
  }

  const std::string& id = request.id;
  switch (request.state) {
    case approvals::ApprovalState::kApproved: return request;
    case approvals::ApprovalState::kPending: {
      std::string groups;
      for (const auto& g : request.approver_groups) groups += (groups.empty() ? "" : ", ") + g;
      return std::unexpected(stop(
          &request, "held_for_approval",
          "held for approval: approval " + id + " is pending (" + std::to_string(request.approvals.size()) +
              "/" + std::to_string(request.approvals_required) + " approvals; reviewers: " + groups +
              "; rule " + request.rule +
              "). Once it is approved, call run_sql again with the same sql and approval_id \"" + id +
              "\" (expires " + common::rfc3339_ms(request.expires_ms) + ")."));
    }
    case approvals::ApprovalState::kDenied: {
      std::string who = request.denial ? request.denial->reviewer : "a reviewer";
      std::string comment = request.denial && !request.denial->comment.empty()
                                ? ": \"" + request.denial->comment + "\""
                                : " (no comment)";
      return std::unexpected(
          stop(&request, "refused", "statement refused: approval " + id + " was denied by " + who + comment));
    }
    case approvals::ApprovalState::kExpired:
      return std::unexpected(
          stop(&request, "refused",
               "statement refused: approval " + id +
                   " expired; call run_sql without approval_id to request a new approval"));
    case approvals::ApprovalState::kUsed:
      return std::unexpected(stop(&request, "refused",
                                  "statement refused: approval " + id +
                                      " was already used (approvals are single-use); call run_sql without "
                                      "approval_id to request a new approval"));
  }
  return std::unexpected(stop(&request, "internal", "internal error"));
}

uint64_t Guard::withhold_unreadable_tables(const CallInfo& call, const policy::StatementAnalysis& analysis,
                                           common::ResultSet& rs) const {
  if (analysis.kind != policy::StatementKind::kShow) return 0;
  if (analysis.show_form != "TABLES" && analysis.show_form != "TABLE STATUS") return 0;
  // The parser models the listing as a read of `schema.*`, its first table.
  if (analysis.tables.empty() || analysis.tables.front().table != "*") return 0;
  const std::string& schema = analysis.tables.front().schema;
  const auto before = rs.rows.size();
  std::erase_if(rs.rows, [&](const common::Row& row) {
    return row.empty() || !row[0] || !policy_.may_read_table(call.principal, schema, *row[0]);
  });
  return before - rs.rows.size();
}

std::expected<void, SqlFailure> Guard::record_metadata_call(const CallInfo& call, const std::string& call_id,
                                                            const std::string& target) {
  audit::CallIntent intent = intent_for(call, call_id);
  intent.target = target;
  policy::Decision allow;
  allow.action = policy::Action::kAllow;
  allow.rule = "builtin:catalog";
  allow.reason = "catalog lookups are filtered by policy";
  intent.decision = allow;
  if (auto r = record(intent.to_json()); !r)
    return std::unexpected(SqlFailure{call_id, r.error(), std::nullopt});
  return {};
}

std::expected<void, SqlFailure> Guard::record_metadata_outcome(const CallInfo& call,
                                                               const std::string& call_id,
                                                               Clock::time_point t0,
                                                               const std::string& status, size_t rows,
                                                               const std::string& error) {
  audit::CallOutcome outcome = outcome_for(call, call_id, status, t0);
  outcome.rows = rows;
  if (!error.empty()) outcome.error = error;
  if (auto r = record(std::move(outcome)); !r)
    return std::unexpected(SqlFailure{call_id, r.error(), std::nullopt});
  return {};
}

common::Result<Guard::ObjectAccess> Guard::object_access(const CallInfo& call, const std::string& schema,
                                                         const std::string& name,
                                                         db::Connection& connection) {
  ObjectAccess out;
  if (!policy_.may_read_table(call.principal, schema, name)) return out;
  auto quote = [](const std::string& id) {
    std::string q = "`";
    for (char ch : id) q += ch == '`' ? std::string("``") : std::string(1, ch);
    return q + "`";
  };
  policy::StatementAnalysis probe =
      analyzer_.analyze("SELECT * FROM " + quote(schema) + "." + quote(name), schema);
  CallCatalog catalog(catalog_, connection);
  if (auto r = policy::resolve_with_catalog(probe, catalog, analyzer_); !r) return std::unexpected(r.error());
  // A view is readable when everything its definition reaches is (recursively).
  bool readable = true;
  std::function<void(const policy::StatementAnalysis&)> walk = [&](const policy::StatementAnalysis& part) {
    for (const auto& t : part.tables) {
      if (t.is_cte || t.is_derived || t.is_sequence) continue;
      if (!policy_.may_read_table(call.principal, t.schema, t.table)) readable = false;
    }
    for (const auto& v : part.views) {
      if (v.definition) walk(*v.definition);
    }
  };
  walk(probe);
  out.readable = readable;
  if (!readable || probe.views.empty()) return out;
  out.is_view = true;
  out.view_columns = probe.views.front().columns;
  out.view_masking.assign(out.view_columns.size(), std::nullopt);
  auto plan = masking_->plan(call.principal, probe, catalog);
  for (std::size_t k = 0; k < out.view_columns.size(); ++k) {
    const std::string label = schema + "." + name + "." + out.view_columns[k];
    if (!plan) {
      // The view cannot be read by this principal at all (its definition uses a masked column
      // in a way no masking can make safe): every column is reported as such.
      out.view_masking[k] = policy::MaskedColumn{label, "view-lineage", "refused"};
    } else if (!plan->bypass && k < plan->output_rules.size() && plan->output_rules[k] >= 0) {
      out.view_masking[k] = masking_->rule_info(plan->output_rules[k]);
      if (out.view_masking[k]) out.view_masking[k]->column = label;
    }
  }
  return out;
}

std::expected<std::vector<ColumnInfo>, SqlFailure> Guard::describe_table(const CallInfo& call,
                                                                         const std::string& table) {
  const auto t0 = Clock::now();
  const std::string call_id = next_call_id();
  std::string schema = call_schema(call);
  std::string name = table;
  if (auto dot = table.find('.'); dot != std::string::npos) {
    schema = table.substr(0, dot);
    name = table.substr(dot + 1);
  }
  auto failure = [&](common::ErrorCode cls, std::string msg) {
    return std::unexpected(SqlFailure{call_id, common::Error{cls, safe(std::move(msg))}, std::nullopt});
  };
  if (!RE2::FullMatch(schema, identifier_re()) || !RE2::FullMatch(name, identifier_re())) {
    return failure(common::ErrorCode::kInvalidInput,
                   "table must be 'name' or 'schema.name' using letters, digits, '_' and '$'");
  }
  if (!audit_.healthy()) {
    audit_.note_refusal();
    return failure(common::ErrorCode::kAuditFailure,
                   "refused: the audit log cannot record right now (" + audit_.reason() + ")");
  }
  if (auto r = record_metadata_call(call, call_id, schema + "." + name); !r)
    return std::unexpected(r.error());
  auto finish = [&](const std::string& status, size_t n, const std::string& err) {
    return record_metadata_outcome(call, call_id, t0, status, n, err);
  };
  const std::string not_found = "table " + schema + "." + name + " does not exist or you may not read it";
  if (!policy_.may_read_table(call.principal, schema, name)) {
    if (auto r = finish("refused", 0, not_found); !r) return std::unexpected(r.error());
    return failure(common::ErrorCode::kRefused, not_found);
  }
  auto lease = pool_.acquire();
  if (!lease) {
    (void)finish("error", 0, lease.error().message);
    return std::unexpected(SqlFailure{call_id, lease.error(), std::nullopt});
  }
  auto access = object_access(call, schema, name, **lease);
  if (!access) {
    const std::string msg = safe("refused: " + access.error().message);
    (void)finish("error", 0, msg);
    return failure(common::ErrorCode::kRefused, msg);
  }
  if (!access->readable) {
    if (auto r = finish("refused", 0, not_found); !r) return std::unexpected(r.error());
    return failure(common::ErrorCode::kRefused, not_found);
  }
  auto rs = (*lease)->query(
      "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY, COLUMN_DEFAULT, COLUMN_COMMENT "
      "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
      db::sql_quote(schema) + " AND TABLE_NAME = " + db::sql_quote(name) + " ORDER BY ORDINAL_POSITION");
  if (!rs) {
    common::Error e = rs.error();
    e.message = safe(e.message);
    (void)finish("error", 0, e.message);
    return std::unexpected(SqlFailure{call_id, e, std::nullopt});
  }
  if (rs->rows.empty()) {
    if (auto r = finish("error", 0, not_found); !r) return std::unexpected(r.error());
    return failure(common::ErrorCode::kInvalidInput, not_found);
  }
  std::vector<ColumnInfo> out;
  for (const auto& row : rs->rows) {
    ColumnInfo c;
    c.name = row[0].value_or("");
    c.type = row[1].value_or("");
    c.nullable = row[2].value_or("") == "YES";
    c.key = row[3].value_or("");
    c.has_default = row[4].has_value();
    c.default_value = row[4].value_or("");
    c.comment = row[5].value_or("");
    c.masking = masking_->rule_for(call.principal, schema, name, c.name);
    if (access->is_view) {
      // A view's columns carry the masking of the base columns they show (lineage); the
      // catalog also reports the base column's default for them.
      for (std::size_t k = 0; k < access->view_columns.size(); ++k) {
        if (access->view_columns[k] == c.name && access->view_masking[k]) c.masking = access->view_masking[k];
      }
    }
    // What the schema says about a masked column's values is data too: its default, its
    // comment and an ENUM/SET value list.
    if (c.masking) {
      std::optional<std::string> type = c.type, dflt, comment = c.comment;
      if (c.has_default) dflt = c.default_value;
      policy::mask_column_description(type, dflt, comment);
      c.type = *type;
      c.default_value = dflt.value_or("");
      c.comment = *comment;
    }
    out.push_back(std::move(c));
  }
  if (auto r = finish("ok", out.size(), ""); !r) return std::unexpected(r.error());
  return out;
}

std::expected<std::vector<TableInfo>, SqlFailure> Guard::list_tables(const CallInfo& call,
                                                                     const std::string& schema) {
  return readable_tables(call, schema, false);
}

std::expected<void, SqlFailure> Guard::use_schema(const CallInfo& call, const std::string& schema) {
  if (schema.empty()) {
    return std::unexpected(
        SqlFailure{"", common::Error{common::ErrorCode::kInvalidInput, "no schema given"}, std::nullopt});
  }
  auto tables = readable_tables(call, schema, true);
  if (!tables) return std::unexpected(tables.error());
  return {};
}

std::expected<std::vector<TableInfo>, SqlFailure> Guard::readable_tables(const CallInfo& call,
                                                                         const std::string& schema_arg,
                                                                         bool use) {
  const auto t0 = Clock::now();
  const std::string call_id = next_call_id();
  const std::string schema = !schema_arg.empty() ? schema_arg : call_schema(call);
  auto failure = [&](common::ErrorCode cls, std::string msg) {
    return std::unexpected(SqlFailure{call_id, common::Error{cls, safe(std::move(msg))}, std::nullopt});
  };
  if (!RE2::FullMatch(schema, identifier_re())) {
    return failure(common::ErrorCode::kInvalidInput, "schema must use letters, digits, '_' and '$'");
  }
  if (!audit_.healthy()) {
    audit_.note_refusal();
    return failure(common::ErrorCode::kAuditFailure,
                   "refused: the audit log cannot record right now (" + audit_.reason() + ")");
  }
  if (auto r = record_metadata_call(call, call_id, schema); !r) return std::unexpected(r.error());
  auto finish = [&](const std::string& status, size_t n, const std::string& err) {
    return record_metadata_outcome(call, call_id, t0, status, n, err);
  };
  auto lease = pool_.acquire();
  if (!lease) {
    (void)finish("error", 0, lease.error().message);
    return std::unexpected(SqlFailure{call_id, lease.error(), std::nullopt});
  }
  auto rs = (*lease)->query(
      "SELECT TABLE_NAME, TABLE_TYPE, TABLE_COMMENT, TABLE_ROWS FROM information_schema.TABLES "
      "WHERE TABLE_SCHEMA = " +
      db::sql_quote(schema) + " ORDER BY TABLE_NAME");
  if (!rs) {
    common::Error e = rs.error();
    e.message = safe(e.message);
    (void)finish("error", 0, e.message);
    return std::unexpected(SqlFailure{call_id, e, std::nullopt});
  }
  std::vector<TableInfo> out;
  CallCatalog catalog(catalog_, **lease);
  for (const auto& row : rs->rows) {
    TableInfo t;
    t.schema = schema;
    t.name = row[0].value_or("");
    auto access = object_access(call, schema, t.name, **lease);
    if (!access) {
      const std::string msg = safe("refused: " + access.error().message);
      (void)finish("error", 0, msg);
      return failure(common::ErrorCode::kRefused, msg);
    }
    if (!access->readable) continue;  // a view reaching what the principal may not read is hidden
    t.type = row[1].value_or("");
    t.comment = row[2].value_or("");
    t.approx_rows = row[3] ? std::strtoull(row[3]->c_str(), nullptr, 10) : 0;
    if (access->is_view) {
      for (std::size_t k = 0; k < access->view_columns.size(); ++k) {
        if (access->view_masking[k]) t.masked_columns.push_back(access->view_columns[k]);
      }
    } else if (auto e = catalog.table(schema, t.name); e && *e != nullptr) {
      for (const auto& c : (**e).columns) {
        if (masking_->rule_for(call.principal, schema, t.name, c.name)) t.masked_columns.push_back(c.name);
      }
    }
    out.push_back(std::move(t));
    if (use) break;  // one readable table or view is enough to use the schema
  }
  if (use && out.empty()) {
    const std::string refusal = "schema " + schema + " does not exist or you may not use it";
    if (auto r = finish("refused", 0, refusal); !r) return std::unexpected(r.error());
    return failure(common::ErrorCode::kRefused, refusal);
  }
  if (auto r = finish("ok", out.size(), ""); !r) return std::unexpected(r.error());
  return out;
}

void Guard::session_started(const CallInfo& call) {
  audit::SessionEvent ev{true, call.session_id, &call.principal, call.transport, call.remote_address, ""};
  if (auto r = record(ev.to_json(), false); !r) spdlog::error("{}", r.error().message);
}

void Guard::auth_rejected(nlohmann::json details, const std::string& remote_address) {
  details["type"] = std::string(recorder::record_type::kAuthRejected);
  details["remote_address"] = remote_address;
  if (auto r = record(std::move(details)); !r) spdlog::error("{}", r.error().message);
}

void Guard::session_ended(const CallInfo& call, const std::string& reason) {
  audit::SessionEvent ev{false, call.session_id, &call.principal, call.transport, "", reason};
  if (auto r = record(ev.to_json(), false); !r) spdlog::error("{}", r.error().message);
}

}  // namespace sqlguard::guard
