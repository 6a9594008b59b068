// The connection-level guard: every tool call passes here. Analyse → decide → (hold) → record
// intent → execute → mask → record outcome. See docs/architecture.md "One tool call, end to end".
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "approvals/approval_service.h"
#include "common/error.h"
#include "common/result_set.h"
#include "db/connection.h"
#include "db/credential_vault.h"
#include "guard/audit_events.h"
#include "guard/catalog_cache.h"
#include "policy/decision.h"
#include "policy/masking_engine.h"
#include "policy/policy_engine.h"
#include "policy/principal.h"
#include "policy/statement_analysis.h"
#include "policy/statement_analyzer.h"
#include "recorder/audit_log.h"

namespace sqlguard::guard {

/// Who is calling, over which session. Built by the tools layer from the MCP call context.
struct CallInfo {
  policy::Principal principal;
  std::string session_id;
  std::string request_id;  ///< JSON-RPC id as JSON text
  std::string transport;   ///< "stdio", "http", "sse"
  std::string remote_address;
  std::string tool;  ///< "run_sql", "describe_table", "list_tables", "use_schema"
  /// The schema unqualified names resolve to and statements run in ("" = the database's default
  /// schema). Set by transports whose sessions can change it (MySQL's COM_INIT_DB, after
  /// Guard::use_schema said yes); the MCP tools leave it empty.
  std::string schema;
  std::stop_token cancel;
  /// run_sql's `approval_id`: run a statement held earlier once it is approved ("" = none).
  std::string approval_id;
  /// For transports that cannot pass approval_id (MySQL): a statement held earlier for the same
  /// principal, schema and exact text that is still pending or approved is used again instead of
  /// requesting a new approval (found in the approval store, so it survives a restart).
  bool reuse_held_approval = false;
  /// MCP progress while the call waits for an approval: (progress, total, message); may be empty.
  std::function<void(double, double, std::string_view)> progress;
};

/// A successful run_sql.
struct SqlOutcome {
  std::string call_id;
  policy::StatementKind kind = policy::StatementKind::kUnknown;
  policy::Decision decision;
  common::ResultSet result;  ///< masked
  std::vector<policy::MaskedColumn> masked_columns;
  std::vector<std::string> masking_exemptions;  ///< masking rule ids whose exemption let values through
  uint64_t duration_us = 0;                     ///< from receipt to outcome record, µs
  std::string approval_id;                      ///< set when the statement ran on an approval
};

/// A run_sql held for approval (or refused because of its approval): what the agent is told.
struct HeldApproval {
  std::string id;
  approvals::ApprovalState state = approvals::ApprovalState::kPending;
  std::string reviewer;  ///< for denied: who denied
  std::string comment;   ///< for denied: the reviewer's comment
};

/// A refusal or failure of run_sql, with what the agent may be told.
struct SqlFailure {
  std::string call_id;
  common::Error error;
  std::optional<policy::Decision> decision;  ///< set when policy or masking refused
  std::optional<HeldApproval> approval;      ///< set when the statement is held or its approval refused
};

struct ColumnInfo {
  std::string name;
  std::string type;  ///< COLUMN_TYPE, e.g. "varchar(255)"
  bool nullable = true;
  std::string key;            ///< "PRI", "UNI", "MUL" or ""
  std::string default_value;  ///< "" when none
  bool has_default = false;
  std::string comment;
  std::optional<policy::MaskedColumn> masking;  ///< set when masked for this principal
};

struct TableInfo {
  std::string schema;
  std::string name;
  std::string type;  ///< "BASE TABLE", "VIEW", "SYSTEM VIEW"
  std::string comment;
  uint64_t approx_rows = 0;
  std::vector<std::string> masked_columns;  ///< columns masked for this principal
};

/// When a call.outcome must be on disk (config `audit.durability`, docs/audit.md "Durability").
enum class Durability : uint8_t {
  kStrict,  ///< intent durable before execution, outcome durable before the answer (default)
  kIntent,  ///< intent durable before execution; the outcome is group-committed right after the
            ///< answer (AuditLog::append_async): a crash can lose the outcomes of the last ms
};

struct GuardOptions {
  Durability durability = Durability::kStrict;
  bool record_results = false;  ///< put masked rows into outcome records
  uint32_t record_results_max_rows = 100;
  uint64_t max_sql_bytes = 1 << 20;  ///< longer statements are refused before analysis
};

/// Thread-safe: calls run concurrently; the pool serialises database access per connection and
/// the audit log serialises records (group commit).
class Guard {
 public:
  /// Everything passed by reference or pointer must outlive the guard. `approvals` may be
  /// nullptr: statements a rule holds for approval are then refused. `catalog` may be nullptr:
  /// the guard then reads information_schema over `connections`, cached (CatalogCache).
  /// Throws std::runtime_error when the CSPRNG cannot give the random call-id prefix
  /// (common/random.h).
  Guard(const policy::StatementAnalyzer& analyzer, const policy::PolicyEngine& policy,
        std::shared_ptr<const policy::MaskingEngine> masking, recorder::AuditLog& audit,
        db::ConnectionSource& connections, const db::CredentialVault& vault, GuardOptions options,
        approvals::ApprovalService* approvals = nullptr, CatalogSource* catalog = nullptr);
  /// Appends outcome records still waiting for the audit log (see `late` outcomes), if it can.
  ~Guard();
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

  /// Runs one statement for `call.principal`. `max_rows` (optional) can only lower the
  /// policy's limit. Failures carry an agent-safe message (never a credential or an unmasked
  /// value). Nothing executes unless its intent record is durable.
  /// Approvals (docs/approvals.md): a statement an `approve` rule matches creates an approval
  /// request (or, with `call.approval_id`, uses that one: same principal and exact statement
  /// only), waits up to the configured time sending `call.progress`, and runs once approved —
  /// the approval is consumed (single use). Otherwise the failure carries `approval` (held:
  /// state pending; denied: the reviewer's comment; expired/used/mismatch: refused). Any
  /// approval store error refuses the call.
  std::expected<SqlOutcome, SqlFailure> run_sql(const CallInfo& call, const std::string& sql,
                                                std::optional<uint64_t> max_rows);

  /// Columns of `table` ("t" in the default schema, or "schema.t") with masking flags, if the
  /// principal may read it (otherwise the same "not found or not allowed" error as a missing
  /// table, so existence is not disclosed).
  std::expected<std::vector<ColumnInfo>, SqlFailure> describe_table(const CallInfo& call,
                                                                    const std::string& table);

  /// Tables and views of `schema` (default schema when empty) the principal may read.
  std::expected<std::vector<TableInfo>, SqlFailure> list_tables(const CallInfo& call,
                                                                const std::string& schema);

  /// Whether `call.principal` may make `schema` its session's default schema (MySQL COM_INIT_DB /
  /// USE): the schema must hold at least one table or view the principal may read (as
  /// list_tables shows). Recorded as a catalog call (tool "use_schema", target the schema).
  /// Errors: kInvalidInput (not an identifier), kRefused ("does not exist or you may not use
  /// it": existence is not disclosed), kUnavailable, kAuditFailure.
  std::expected<void, SqlFailure> use_schema(const CallInfo& call, const std::string& schema);

  /// Session lifecycle records ("session.start" / "session.end").
  void session_started(const CallInfo& call);
  void session_ended(const CallInfo& call, const std::string& reason);

  /// Records a rejected credential ("auth.rejected"): `details` carries status, reason, the
  /// token's alg/kid and, when its signature verified, who it was. Never the credential.
  void auth_rejected(nlohmann::json details, const std::string& remote_address);

  /// Healthy when the audit log can record; `reason` says why not.
  bool audit_healthy(std::string* reason) const;
  /// Outcome records held because the audit log failed after their intent was durable; they
  /// are appended (with `late`) before the next record once the log resumes.
  size_t deferred_outcomes() const;
  const std::string& default_schema() const { return default_schema_; }

 private:
  using Clock = std::chrono::steady_clock;

  std::string next_call_id();
  common::Error audit_failure() const;
  /// Appends `event` (any record but call.outcome); first appends any deferred outcomes.
  /// `durable` false: AuditLog::append_async (session events: durable no later than the
  /// session's first intent, or the recorder's next group commit).
  std::expected<void, common::Error> record(const nlohmann::json& event, bool durable = true);
  /// Appends a call.outcome, durably or asynchronously as options.durability says. If that fails (its intent
  /// is durable, so the statement may have run), the outcome is kept and appended `late` before the next
  /// record once the log resumes (at most kMaxDeferredOutcomes wait).
  std::expected<void, common::Error> record(audit::CallOutcome outcome);
  void append_deferred_outcomes();
  audit::CallIntent intent_for(const CallInfo& call, const std::string& call_id) const;
  audit::CallOutcome outcome_for(const CallInfo& call, const std::string& call_id, std::string status,
                                 Clock::time_point t0) const;
  /// Records `intent` with `decision` and an outcome (`status`, `error_class`; the error text
  /// unless it is a refusal), and returns the failure to give the agent (or the audit failure).
  SqlFailure stop_recorded(const CallInfo& call, audit::CallIntent& intent, const policy::Decision& decision,
                           common::Error error, std::string status, std::string error_class,
                           Clock::time_point t0);
  /// A refusal by `decision` (policy, catalog, masking or approval), recorded.
  SqlFailure refuse(const CallInfo& call, audit::CallIntent& intent, const policy::Decision& decision,
                    Clock::time_point t0);
  /// The database could not be reached (`error` from db/), recorded.
  SqlFailure fail_unavailable(const CallInfo& call, audit::CallIntent& intent,
                              const policy::Decision& decision, const common::Error& error,
                              Clock::time_point t0);
  /// `decision` turned into a denial by `rule` ("" = keep the rule) for `reason`.
  static policy::Decision overridden(const policy::Decision& decision, std::string rule, std::string reason);
  /// Runs `sql` on `lease` with the decision's limits and the session effects proven from
  /// `analysis` (which let the connection skip resets); a cancelled call kills its statement
  /// server-side; a connection lost before the statement is replaced once (`lease` then holds
  /// the new one).
  common::Result<common::ResultSet> execute(const CallInfo& call, const std::string& sql,
                                            const policy::StatementAnalysis& analysis,
                                            const policy::Decision& decision,
                                            std::optional<uint64_t> max_rows,
                                            common::Result<db::ConnectionSource::Lease>& lease);
  /// SHOW [FULL] TABLES and SHOW TABLE STATUS list every table of a schema: drops the rows (the
  /// first column is the table name) of tables the principal may not read, as list_tables does,
  /// so no SHOW form names or describes a denied table. Returns how many rows were withheld.
  uint64_t withhold_unreadable_tables(const CallInfo& call, const policy::StatementAnalysis& analysis,
                                      common::ResultSet& rs) const;
  std::expected<void, SqlFailure> record_metadata_call(const CallInfo& call, const std::string& call_id,
                                                       const std::string& target);
  std::expected<void, SqlFailure> record_metadata_outcome(const CallInfo& call, const std::string& call_id,
                                                          Clock::time_point t0, const std::string& status,
                                                          size_t rows, const std::string& error);
  /// The approval step of run_sql: the approved (and not yet consumed) request, or the failure
  /// to return (held, denied, refused). Records intent/outcome for the failures itself.
  std::expected<approvals::ApprovalRequest, SqlFailure> await_approval(
      const CallInfo& call, const std::string& sql, const policy::StatementAnalysis& analysis,
      const policy::Decision& decision, audit::CallIntent& intent, Clock::time_point t0);
  std::string safe(std::string message) const;
  /// The schema `call`'s unqualified names resolve to: call.schema, else the default schema.
  const std::string& call_schema(const CallInfo& call) const {
    return call.schema.empty() ? default_schema_ : call.schema;
  }
  /// list_tables, and (`use`) use_schema: stops at the first readable table and refuses when
  /// there is none.
  std::expected<std::vector<TableInfo>, SqlFailure> readable_tables(const CallInfo& call,
                                                                    const std::string& schema, bool use);
  /// What describe_table / list_tables may say about schema.name (a table or view): whether the
  /// principal may read it (a view: and everything its definition reaches), and for a view the
  /// masking of each of its columns, from its lineage. Errors: as resolve_with_catalog() (the
  /// catalog could not be read, or a view cannot be checked).
  struct ObjectAccess {
    bool readable = false;
    bool is_view = false;
    std::vector<std::string> view_columns;
    std::vector<std::optional<policy::MaskedColumn>> view_masking;  ///< aligned with view_columns
  };
  common::Result<ObjectAccess> object_access(const CallInfo& call, const std::string& schema,
                                             const std::string& name, db::Connection& connection);

  const policy::StatementAnalyzer& analyzer_;
  const policy::PolicyEngine& policy_;
  std::shared_ptr<const policy::MaskingEngine> masking_;
  recorder::AuditLog& audit_;
  db::ConnectionSource& pool_;
  const db::CredentialVault& vault_;
  GuardOptions options_;
  approvals::ApprovalService* approvals_;
  std::string default_schema_;
  CatalogCache own_catalog_;
  CatalogSource& catalog_;  ///< own_catalog_ unless one was given
  std::atomic<uint64_t> call_counter_{0};
  static constexpr size_t kMaxDeferredOutcomes = 10000;
  mutable std::mutex deferred_mu_;
  std::deque<nlohmann::json> deferred_outcomes_;  // guarded by deferred_mu_
  std::atomic<bool> has_deferred_{false};
  std::string instance_;  ///< random prefix of call ids
};

}  // namespace sqlguard::guard
